import { asyncScheduler, connect, filter, map, merge, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { GatewayError } from '../model/GatewayError.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import type { ScheduleDecision } from './ScheduleDecision.js';
import type { ScheduleOutcome } from './ScheduleOutcome.js';

/** Options for {@link routeDecisions}. */
export interface RouteDecisionsOptions {
  /**
   * The local-reduce branch: files in, one Reduction per file out, in any order (each carries
   * its `item`). `reduceLocally({ cores })` is the built-in one.
   */
  readonly reduce: OperatorFunction<FileItem, Reduction>;
  /**
   * The upload branch: jobs in, one result per job out, in any order (each carries its
   * `item`). `postToGateway({ concurrency })` is the built-in one.
   */
  readonly upload: OperatorFunction<UploadJob, UploadResult | GatewayError>;
  /** Clock for the outcomes' `at`. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Sends each decision of `prioritize` down its branch and reports what the branch did.
 *
 * `reduce-start` decisions feed their file to the `reduce` branch, whose reductions come out as
 * `reduce-end`; `upload-start` decisions feed their job to the `upload` branch, whose results
 * come out as `upload-end`. The branches are ordinary operators (`reduceLocally`,
 * `postToGateway`): their `mergeMap` concurrency is the backpressure, and since `prioritize`
 * releases a decision only into a slot its outcome freed, nothing waits in them for time (when
 * a branch answers synchronously, the next decision can reach its `mergeMap` in the same turn,
 * just before the finished inner retires, and starts as it does). Feed the outcomes back to
 * `prioritize` (`outcomes`) to close the loop; `scheduleFiles` does all of it.
 *
 * ```text
 * decisions: -R----U----|      R reduce-start a, U upload-start b
 * reduce:     --r|              (a's reduction)
 * upload:          ---u|        (b's result)
 * outcomes:  ---E-----D-|      E reduce-end a, D upload-end b
 * ```
 *
 * @example
 * ```ts
 * declare const decisions$: Observable<ScheduleDecision>; // from prioritize
 * const outcomes$ = new Subject<ScheduleOutcome>(); // prioritize's `outcomes`
 * decisions$
 *   .pipe(routeDecisions({ reduce: reduceLocally({ cores: 2 }), upload: postToGateway({ host: 'gw:8080', username: 'lab', password: 'pw' }) }))
 *   .subscribe((outcome) => outcomes$.next(outcome));
 * ```
 *
 * @param options The two branches and the clock.
 * @returns An operator from decisions to outcomes.
 */
export function routeDecisions(options: RouteDecisionsOptions): OperatorFunction<ScheduleDecision, ScheduleOutcome> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
  }
  const { reduce, upload } = options;
  if (typeof reduce !== 'function') throw new TypeError(`Expected \`reduce\` to be an operator function, got ${typeof reduce}`);
  if (typeof upload !== 'function') throw new TypeError(`Expected \`upload\` to be an operator function, got ${typeof upload}`);
  const scheduler = options.scheduler ?? asyncScheduler;
  return connect((decisions$) =>
    merge(
      decisions$.pipe(
        filter((decision) => decision.type === 'reduce-start'),
        map((decision) => decision.item),
        reduce,
        map((reduction): ScheduleOutcome => ({ type: 'reduce-end', item: reduction.item, at: scheduler.now(), reduction })),
      ),
      decisions$.pipe(
        filter((decision): decision is Extract<ScheduleDecision, { type: 'upload-start' }> => decision.type === 'upload-start'),
        map((decision) => decision.job),
        upload,
        map((result): ScheduleOutcome => ({ type: 'upload-end', item: result.item!, at: scheduler.now(), result })),
      ),
    ),
  );
}
