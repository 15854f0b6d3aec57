import { defer, map, scan, type OperatorFunction } from 'rxjs';
import type { AgentEvent } from './AgentEvent.js';
import type { AgentStats } from './AgentStats.js';
import { emptyStats } from './emptyStats.js';

/** Options for {@link trackStats}. */
export interface TrackStatsOptions {
  /**
   * Weight of the newest upload in the exponentially smoothed uplink estimate, in (0, 1];
   * 1 keeps only the last upload.
   * @default 0.3
   */
  smoothing?: number;
}

type Phase = 'waiting' | 'reducing' | 'uploading';

interface Pending {
  phase: Phase;
  /** What is still to be sent: the original size until a reduced or upload size is known. */
  bytes: number;
}

interface Tally {
  updatedAt: number;
  filesSeen: number;
  filesReducing: number;
  filesReduced: number;
  filesUploading: number;
  filesUploaded: number;
  filesFailed: number;
  filesSkipped: number;
  filesWaiting: number;
  bytesWaiting: number;
  bytesSeen: number;
  bytesSent: number;
  bytesSaved: number;
  errors: number;
  retries: number;
  uplink: number | undefined;
  backlogBytes: number;
  lastError: AgentStats['lastError'];
  ledgerDegraded: AgentStats['ledgerDegraded'];
  ledgerWriteFailures: number;
}

/**
 * Folds the agent's events into a running {@link AgentStats} snapshot, one per event.
 *
 * Every event yields a fresh immutable snapshot. The uplink estimate is an exponentially
 * smoothed average over uploads of `bandwidth` when the event carries one (`runAgent`'s do: the
 * link's rate from its bandwidth meter), else `bytes / durationMs`; with several upload slots
 * the latter is one connection's share of the link, not the link's rate. Events for a path never seen
 * (a replay that starts mid-way) are tracked from where they come in; unknown types are ignored.
 *
 * ```
 * events: --s--r--R--u-----U--|      s=seen r=reduce-start R=reduced u=upload-start U=uploaded
 * stats:  --a--b--c--d-----e--|      e.filesUploaded === 1, e.backlogBytes === 0
 * ```
 *
 * ```ts
 * declare const events$: Observable<AgentEvent>;
 * events$.pipe(trackStats(), reportProgress({ stream: process.stderr })).subscribe();
 * ```
 *
 * @param options Smoothing of the uplink estimate.
 * @returns An operator from events to stats snapshots.
 */
export function trackStats(options: TrackStatsOptions = {}): OperatorFunction<AgentEvent, AgentStats> {
  const smoothing = options.smoothing ?? 0.3;
  if (typeof smoothing !== 'number' || !(smoothing > 0 && smoothing <= 1)) {
    throw new TypeError(`Expected \`smoothing\` to be a number in (0, 1], got ${JSON.stringify(smoothing)}`);
  }
  return (source) =>
    // The per-path table is mutable for speed, so each subscription needs its own.
    defer(() => {
      const pending = new Map<string, Pending>();
      // The derived fields are recomputed by snapshot(); only the counts are carried.
      const { uplinkBytesPerSecond, filesPending, backlogSeconds, etaAt, ...counts } = emptyStats();
      const seed: Tally = { ...counts, bytesWaiting: 0, uplink: uplinkBytesPerSecond };
      return source.pipe(
        scan((tally, event) => fold(tally, pending, event, smoothing), seed),
        map((tally) => snapshot(tally, pending.size)),
      );
    });
}

function fold(previous: Tally, pending: Map<string, Pending>, event: AgentEvent, smoothing: number): Tally {
  const tally: Tally = { ...previous, updatedAt: event.at };
  const files = filePhases(tally, pending);
  switch (event.type) {
    case 'seen': {
      tally.filesSeen += 1;
      tally.bytesSeen += event.bytes;
      // A rewritten file replaces its older, still pending version rather than adding to it.
      const entry = files.track(event.path, event.bytes);
      files.resize(entry, event.bytes);
      files.enter(entry, 'waiting');
      break;
    }
    case 'skipped':
      // Sent by an earlier run: neither backlog nor progress of this one.
      tally.filesSkipped += 1;
      break;
    case 'reduce-start':
      files.enter(files.track(event.path, 0), 'reducing');
      break;
    case 'reduced': {
      const entry = files.track(event.path, event.bytesIn);
      files.enter(entry, 'waiting');
      files.resize(entry, event.bytesOut);
      if (event.reduced) {
        tally.filesReduced += 1;
        tally.bytesSaved += event.bytesIn - event.bytesOut;
      }
      break;
    }
    case 'upload-start': {
      const entry = files.track(event.path, event.bytes);
      files.resize(entry, event.bytes);
      files.enter(entry, 'uploading');
      break;
    }
    case 'retried':
      countError(tally, event);
      tally.retries += 1;
      files.enter(files.track(event.path, 0), 'waiting');
      break;
    case 'uploaded':
      files.settle(event.path);
      countUpload(tally, event, smoothing);
      break;
    case 'failed':
      files.settle(event.path);
      tally.filesFailed += 1;
      countError(tally, event);
      break;
    case 'waiting':
      tally.backlogBytes += event.bytes - tally.bytesWaiting;
      tally.filesWaiting = event.files;
      tally.bytesWaiting = event.bytes;
      break;
    case 'ledger-degraded':
    case 'ledger-recovered':
      noteLedgerHealth(tally, event);
      break;
    default:
      break;
  }
  return tally;
}

/** The moves of a file between phases, each keeping `tally`'s in-flight counts and backlog in step with `pending`. */
interface FilePhases {
  /** Moves a tracked file to `phase`. */
  enter(entry: Pending, phase: Phase): void;
  /** Sets what is still to be sent of a tracked file. */
  resize(entry: Pending, bytes: number): void;
  /** The file's entry, added as waiting with `bytes` to send if it was not tracked yet. */
  track(path: string, bytes: number): Pending;
  /** Stops tracking a file that is done, uploaded or failed. */
  settle(path: string): void;
}

function filePhases(tally: Tally, pending: Map<string, Pending>): FilePhases {
  const leave = (entry: Pending): void => {
    if (entry.phase === 'reducing') tally.filesReducing -= 1;
    if (entry.phase === 'uploading') tally.filesUploading -= 1;
  };
  const enter = (entry: Pending, phase: Phase): void => {
    leave(entry);
    entry.phase = phase;
    if (phase === 'reducing') tally.filesReducing += 1;
    if (phase === 'uploading') tally.filesUploading += 1;
  };
  const resize = (entry: Pending, bytes: number): void => {
    tally.backlogBytes += bytes - entry.bytes;
    entry.bytes = bytes;
  };
  const track = (path: string, bytes: number): Pending => {
    let entry = pending.get(path);
    if (entry === undefined) {
      entry = { phase: 'waiting', bytes: 0 };
      pending.set(path, entry);
      resize(entry, bytes);
    }
    return entry;
  };
  const settle = (path: string): void => {
    const entry = pending.get(path);
    if (entry !== undefined) {
      leave(entry);
      tally.backlogBytes -= entry.bytes;
      pending.delete(path);
    }
  };
  return { enter, resize, track, settle };
}

function countError(tally: Tally, event: Extract<AgentEvent, { type: 'retried' | 'failed' }>): void {
  tally.errors += 1;
  tally.lastError = { at: event.at, path: event.path, message: event.error };
}

function countUpload(tally: Tally, event: Extract<AgentEvent, { type: 'uploaded' }>, smoothing: number): void {
  tally.filesUploaded += 1;
  tally.bytesSent += event.bytes;
  const sample = uplinkSample(event);
  if (sample !== undefined) {
    tally.uplink = tally.uplink === undefined ? sample : smoothing * sample + (1 - smoothing) * tally.uplink;
  }
}

function noteLedgerHealth(tally: Tally, event: Extract<AgentEvent, { type: 'ledger-degraded' | 'ledger-recovered' }>): void {
  tally.ledgerDegraded =
    event.type === 'ledger-degraded'
      ? { since: tally.ledgerDegraded?.since ?? event.at, code: event.code, error: event.error, retryInMs: event.retryInMs }
      : undefined;
  tally.ledgerWriteFailures = event.failedWrites;
}

function uplinkSample(event: Extract<AgentEvent, { type: 'uploaded' }>): number | undefined {
  if (typeof event.bandwidth === 'number' && Number.isFinite(event.bandwidth) && event.bandwidth > 0) {
    return event.bandwidth;
  }
  // An instant upload (0 ms, virtual time) says nothing about the link.
  if (event.durationMs > 0 && event.bytes > 0) {
    return event.bytes / (event.durationMs / 1000);
  }
  return undefined;
}

function snapshot(tally: Tally, filesPending: number): AgentStats {
  const backlogSeconds =
    tally.backlogBytes <= 0 ? 0 : tally.uplink === undefined ? undefined : tally.backlogBytes / tally.uplink;
  return {
    updatedAt: tally.updatedAt,
    filesSeen: tally.filesSeen,
    filesReducing: tally.filesReducing,
    filesReduced: tally.filesReduced,
    filesUploading: tally.filesUploading,
    filesUploaded: tally.filesUploaded,
    filesPending,
    filesFailed: tally.filesFailed,
    filesSkipped: tally.filesSkipped,
    filesWaiting: tally.filesWaiting,
    bytesSeen: tally.bytesSeen,
    bytesSent: tally.bytesSent,
    bytesSaved: tally.bytesSaved,
    errors: tally.errors,
    retries: tally.retries,
    uplinkBytesPerSecond: tally.uplink,
    backlogBytes: tally.backlogBytes,
    backlogSeconds,
    etaAt: backlogSeconds === undefined ? undefined : tally.updatedAt + backlogSeconds * 1000,
    lastError: tally.lastError,
    ledgerDegraded: tally.ledgerDegraded,
    ledgerWriteFailures: tally.ledgerWriteFailures,
  };
}
