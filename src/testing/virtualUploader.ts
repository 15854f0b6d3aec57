import { defer, map, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import { numberAbove, numberAtLeast } from '../validation.js';
import { uploaded } from './uploaded.js';

/** Options for {@link virtualUploader}. */
export interface VirtualUploaderOptions {
  /** The uplink's rate in bytes per ms of scheduler time (1000 is 1 MB/s). */
  readonly bytesPerMs: number;
  /** Time added to every upload, in ms. @default 0 */
  readonly latencyMs?: number;
}

/**
 * An upload stand-in that answers in virtual time: each job acknowledged once its body has
 * gone up at `bytesPerMs`.
 *
 * An upload of `b` bytes (`job.bodySize`, else the file's size) takes `latencyMs + b /
 * bytesPerMs` ms, rounded up to a whole ms so that it ends on a marble frame; each upload in
 * flight has the whole rate (slots do not share it). The answer is `uploaded(job.item, { bytes,
 * startedAt, finishedAt })` stamped with scheduler time.
 *
 * ```text
 * bytesPerMs: 20
 * job of 100 B:  -----(u|)    u = uploaded(item, { bytes: 100, startedAt: 0, finishedAt: 5 })
 * job of 40 B:   --(u|)       u = uploaded(item, { bytes: 40, startedAt: 0, finishedAt: 2 })
 * ```
 *
 * (Run as written by "should acknowledge a job once its bytes have gone up, body size first, as
 * its diagram shows" in test/testing/virtualUploader.test.ts.)
 *
 * ```ts
 * import assert from 'node:assert/strict';
 *
 * const testScheduler = new TestScheduler((actual, expected) => {
 *   assert.deepEqual(actual, expected);
 * });
 * testScheduler.run(({ expectObservable }) => {
 *   const upload = virtualUploader(testScheduler, { bytesPerMs: 20 });
 *   const a = fileItem(0, 100);
 *   expectObservable(upload({ item: a })).toBe('-----(u|)', { u: uploaded(a, { startedAt: 0, finishedAt: 5 }) });
 * });
 * ```
 *
 * @param scheduler The scheduler whose time it waits in (the TestScheduler in a marble test).
 * @param options The uplink's rate and latency.
 * @returns An `upload(job)` function for `scheduleFiles`.
 */
export function virtualUploader(scheduler: SchedulerLike, options: VirtualUploaderOptions): (job: UploadJob) => Observable<UploadResult> {
  const bytesPerMs = numberAbove('bytesPerMs', options?.bytesPerMs, 0);
  const latencyMs = options.latencyMs ?? 0;
  numberAtLeast('latencyMs', latencyMs, 0);
  return (job) =>
    defer(() => {
      const startedAt = scheduler.now();
      const bytes = job.bodySize ?? job.item.size;
      // The epsilon keeps a quotient like 90 / 0.1 (899.999…) on its frame.
      const ms = Math.ceil(latencyMs + bytes / bytesPerMs - 1e-9);
      return timer(ms, scheduler).pipe(map(() => uploaded(job.item, { bytes, startedAt, finishedAt: scheduler.now() })));
    });
}
