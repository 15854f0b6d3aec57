// Builds timer() stand-ins for prioritize's reduce and upload, for schedule tests in virtual time.
import { from, map, mergeMap, timer, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import type { UploadJob } from '../../src/model/UploadJob.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { scheduleFiles, type ScheduleFilesOptions } from '../../src/operators/scheduleFiles.js';
import type { ScheduleEvent } from '../../src/operators/ScheduleEvent.js';

export interface FileSpec {
  /** Arrival time (ms). */
  readonly at: number;
  readonly size: number;
  /** Reduction time (ms) = cpuMs. */
  readonly reduceMs: number;
  /** Size after reduction. */
  readonly outSize: number;
}

export const itemOf = (index: number, size: number): FileItem => ({ path: `/in/f${index}`, size, mtimeMs: 0, index });

export function standIns(scheduler: TestScheduler, specs: readonly FileSpec[], msPerByte: number) {
  const reduce = (item: FileItem): Observable<Reduction> => {
    const spec = specs[item.index]!;
    return timer(spec.reduceMs, scheduler).pipe(
      map(() => ({
        item,
        reduced: true,
        outputPath: `/spool/f${item.index}`,
        bytesIn: spec.size,
        bytesOut: spec.outSize,
        cpuMs: spec.reduceMs,
      })),
    );
  };
  const upload = (job: UploadJob): Observable<UploadResult> => {
    const startedAt = scheduler.now();
    const bytes = job.bodySize ?? job.item.size;
    return timer(bytes * msPerByte, scheduler).pipe(
      map(() => ({ item: job.item, status: 200, bytes, startedAt, finishedAt: scheduler.now() })),
    );
  };
  return { reduce, upload };
}

export function arrivals(scheduler: TestScheduler, specs: readonly FileSpec[]): Observable<FileItem> {
  return from(specs.map((spec, index) => ({ spec, index }))).pipe(
    mergeMap(({ spec, index }) => timer(spec.at, scheduler).pipe(map(() => itemOf(index, spec.size)))),
  );
}

/** Runs the schedule to completion and returns compact event lines like `10 reduce-start 3`. */
export function simulate(
  scheduler: TestScheduler,
  specs: readonly FileSpec[],
  msPerByte: number,
  options: Omit<ScheduleFilesOptions, 'reduce' | 'upload' | 'scheduler'>,
): string[] {
  const lines: string[] = [];
  scheduler.run(() => {
    const t0 = scheduler.now();
    const { reduce, upload } = standIns(scheduler, specs, msPerByte);
    arrivals(scheduler, specs)
      .pipe(scheduleFiles({ ...options, reduce, upload, scheduler }))
      .subscribe({
        next: (event: ScheduleEvent) => lines.push(`${event.at - t0} ${event.type} ${event.item.index}`),
        complete: () => lines.push('complete'),
      });
  });
  return lines;
}
