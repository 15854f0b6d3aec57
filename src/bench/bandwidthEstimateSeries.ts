import { BandwidthMeter } from '../operators/BandwidthMeter.js';
import type { FileRecord } from './digestEvents.js';

/**
 * What the agent's uplink estimate was during a run, replayed from the run's uploads: the
 * estimator's rule (`estimateBandwidth` fed upload starts and ends) at each upload's end, as
 * `[ms, bytes/s]` on the records' clock. For plotting the estimate against the link's trace.
 *
 * ```ts
 * declare const files: Parameters<typeof bandwidthEstimateSeries>[0]; // a run's records
 * const points = bandwidthEstimateSeries(files); // [[312.5, 7.1e6], …]
 * ```
 *
 * @param files The run's per-file records; files without an upload start and end are skipped.
 * @param windowMs The estimator's window. @default 5000, as the agent's
 * @returns One point per finished upload, in time order.
 */
export function bandwidthEstimateSeries(files: readonly FileRecord[], windowMs = 5000): [number, number][] {
  const uploads = files.filter(
    (file) => file.uploadStartMs !== undefined && file.uploadedMs !== undefined && file.sentBytes !== undefined && file.uploadedMs >= file.uploadStartMs,
  );
  // Ends before starts at the same instant, as the estimator's sweep counts them.
  const events = uploads.flatMap((file, key) => [
    { at: file.uploadStartMs!, end: false, key, file },
    { at: file.uploadedMs!, end: true, key, file },
  ]);
  events.sort((a, b) => a.at - b.at || Number(b.end) - Number(a.end));
  const meter = new BandwidthMeter<number>(windowMs);
  const points: [number, number][] = [];
  for (const event of events) {
    if (!event.end) {
      meter.start(event.key, event.at);
      continue;
    }
    const rate = meter.finish(event.key, { startedAt: event.file.uploadStartMs!, finishedAt: event.at, bytes: event.file.sentBytes! }, event.at);
    if (rate !== undefined) points.push([event.at, rate]);
  }
  return points;
}
