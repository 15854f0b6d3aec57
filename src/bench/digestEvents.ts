import type { AgentEvent } from '../observe/AgentEvent.js';

/** What one file went through in one run, in ms from the run's first `seen`. */
export interface FileRecord {
  readonly name: string;
  readonly bytes: number;
  /** When the replay had put the file in place (its rename done), on the same clock as `seenMs`. */
  readonly placedMs?: number;
  readonly seenMs?: number;
  /** When the reducer took the file and when it gave it back (wall time, not CPU). */
  readonly reduceStartMs?: number;
  readonly reducedMs?: number;
  readonly reduced?: boolean;
  readonly reducedBytes?: number;
  readonly reduceCpuMs?: number;
  readonly uploadStartMs?: number;
  readonly uploadedMs?: number;
  readonly sentBytes?: number;
  readonly error?: string;
}

/** Per-file records and the bytes-queued step series of one run, from its events. */
export function digestEvents(events: readonly AgentEvent[]): {
  readonly startAt: number;
  readonly files: FileRecord[];
  readonly queued: [number, number][];
} {
  const seen = events.find((event) => event.type === 'seen');
  const startAt = seen?.at ?? 0;
  const byPath = new Map<string, FileRecord>();
  const queued: [number, number][] = [];
  let waiting = 0;
  const update = (path: string, change: Partial<FileRecord>): void => {
    const before = byPath.get(path) ?? { name: path.slice(path.lastIndexOf('/') + 1), bytes: 0 };
    byPath.set(path, { ...before, ...change });
  };
  for (const event of events) {
    const t = event.at - startAt;
    switch (event.type) {
      case 'seen':
        update(event.path, { bytes: event.bytes, seenMs: t });
        waiting += event.bytes;
        break;
      case 'reduce-start':
        update(event.path, { reduceStartMs: t });
        continue;
      case 'reduced':
        update(event.path, { reducedMs: t, reduced: event.reduced, reducedBytes: event.bytesOut, reduceCpuMs: event.cpuMs });
        waiting -= event.bytesIn - event.bytesOut;
        break;
      case 'upload-start':
        update(event.path, { uploadStartMs: t });
        break;
      case 'uploaded':
        update(event.path, { uploadedMs: t, sentBytes: event.bytes });
        waiting -= event.bytes;
        break;
      case 'failed':
        update(event.path, { error: event.error });
        waiting -= byPath.get(event.path)?.reducedBytes ?? byPath.get(event.path)?.bytes ?? 0;
        break;
      default:
        continue;
    }
    queued.push([t, waiting]);
  }
  return { startAt, files: [...byPath.values()], queued };
}
