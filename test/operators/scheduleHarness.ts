// Runs whole schedules in virtual time on the test kit's stand-ins (haste-agent/testing),
// described by a table of files, for the schedule tests that compare event lines.
import { from, map, mergeMap, timer, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import { scheduleFiles, type ScheduleFilesOptions } from '../../src/operators/scheduleFiles.js';
import type { ScheduleEvent } from '../../src/operators/ScheduleEvent.js';
import { fileItem, virtualReducer, virtualUploader } from '../../src/testing/index.js';

export interface FileSpec {
  /** Arrival time (ms). */
  readonly at: number;
  readonly size: number;
  /** Reduction time (ms) = cpuMs. */
  readonly reduceMs: number;
  /** Size after reduction. */
  readonly outSize: number;
}

/** The kit's `fileItem`, under the name the operator tests know it by. */
export const itemOf = (index: number, size: number): FileItem => fileItem(index, size);

export function standIns(scheduler: TestScheduler, specs: readonly FileSpec[], msPerByte: number) {
  return {
    reduce: virtualReducer(scheduler, specs.map((spec) => ({ ms: spec.reduceMs, bytesOut: spec.outSize }))),
    upload: virtualUploader(scheduler, { bytesPerMs: 1 / msPerByte }),
  };
}

export function arrivals(scheduler: TestScheduler, specs: readonly FileSpec[]): Observable<FileItem> {
  return from(specs.map((spec, index) => ({ spec, index }))).pipe(
    mergeMap(({ spec, index }) => timer(spec.at, scheduler).pipe(map(() => fileItem(index, spec.size)))),
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
