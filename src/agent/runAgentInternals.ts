import { extname } from 'node:path';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { ScheduleEvent } from '../operators/ScheduleEvent.js';
import { FileChangedError } from '../io/FileChangedError.js';
import { GatewayError } from '../model/GatewayError.js';
import { BandwidthMeter } from '../operators/BandwidthMeter.js';

/** Why a version that was rewritten before it could be sent is skipped. */
export const supersededReason = 'superseded: the file was rewritten before this version was sent; the new version is sent once it settles';

/** Extensions the default image reducer knows how to decode and shrink. */
export const reducibleExtensions: readonly string[] = ['.png', '.tif', '.tiff'];

/** Whether the default reducer should be offered this file at all. */
export function isReducibleImage(path: string): boolean {
  return reducibleExtensions.includes(extname(path).toLowerCase());
}

/**
 * Statuses after which no further upload can succeed until a person changes something: bad
 * credentials, no permission, a tag the gateway refuses.
 */
export function isFatalStatus(status: number): boolean {
  return status === 401 || status === 403 || status === 412;
}

/** The identity of one version of a file, for maps keyed by version. */
export function versionKey(item: { readonly path: string; readonly size: number; readonly mtimeMs: number }): string {
  return `${item.path}\u0000${item.size}\u0000${item.mtimeMs}`;
}

/**
 * `toAgentEvent` with the uplink's rate on every `uploaded` event: a `BandwidthMeter` hears
 * every upload start and end, so it sets each upload's bytes against its fair share of the link
 * while others ran beside it. That is the link's rate, not one upload's: with two upload slots
 * on a 3 MB/s link each upload runs at about 1.5 MB/s, and the meter says 3 MB/s. The caller's
 * meter, one per run, so others can read the same rate (the PNG setting's choice does).
 */
export function measuringUplink(meter: BandwidthMeter<string>): (event: ScheduleEvent) => AgentEvent {
  const keyOf = (event: ScheduleEvent): string => `${event.item.index}\u0000${event.item.path}`;
  return (event) => {
    const translated = toAgentEvent(event);
    if (event.type === 'upload-start') {
      meter.start(keyOf(event), event.at);
    } else if (event.type === 'upload-end') {
      if (event.result instanceof GatewayError) {
        meter.fail(keyOf(event), event.at);
      } else if (translated.type === 'uploaded') {
        const bandwidth = meter.finish(keyOf(event), event.result, event.at);
        if (bandwidth !== undefined) return { ...translated, bandwidth };
      }
    }
    return translated;
  };
}

/** Translates one step of the schedule into the agent's event vocabulary. */
export function toAgentEvent(event: ScheduleEvent): AgentEvent {
  const path = event.item.path;
  switch (event.type) {
    case 'reduce-start':
      return { type: 'reduce-start', at: event.at, path };
    case 'reduce-end': {
      const { reduction } = event;
      return {
        type: 'reduced',
        at: event.at,
        path,
        bytesIn: reduction.bytesIn,
        bytesOut: reduction.bytesOut,
        cpuMs: reduction.cpuMs,
        reduced: reduction.reduced,
        ...(reduction.reason === undefined ? {} : { reason: reduction.reason }),
      };
    }
    case 'reduce-error':
      return {
        type: 'reduced',
        at: event.at,
        path,
        bytesIn: event.item.size,
        bytesOut: event.item.size,
        cpuMs: 0,
        reduced: false,
        reason: event.error instanceof Error ? event.error.message : String(event.error),
      };
    case 'upload-start':
      return { type: 'upload-start', at: event.at, path, bytes: event.job.bodySize ?? event.item.size };
    case 'upload-end': {
      const { result } = event;
      if (result instanceof GatewayError) {
        if (result.cause instanceof FileChangedError && result.cause.superseded) {
          // Rewritten while it waited: not a failure, that newer version is the one to send.
          return { type: 'skipped', at: event.at, path, bytes: event.item.size, reason: supersededReason };
        }
        return { type: 'failed', at: event.at, path, status: result.status, error: result.message };
      }
      return {
        type: 'uploaded',
        at: event.at,
        path,
        bytes: result.bytes,
        status: result.status,
        durationMs: result.finishedAt - result.startedAt,
      };
    }
  }
}
