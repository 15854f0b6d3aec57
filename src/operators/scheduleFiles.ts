import { connect, defer, ignoreElements, merge, Subject, tap, type Observable, type OperatorFunction } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { GatewayError } from '../model/GatewayError.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import { postToGateway } from '../sinks/postToGateway.js';
import { prioritize, type PrioritizeOptions } from './prioritize.js';
import { reduceLocally } from './reduceLocally.js';
import { routeDecisions } from './routeDecisions.js';
import type { ScheduleEvent } from './ScheduleEvent.js';
import type { ScheduleOutcome } from './ScheduleOutcome.js';

/** Options for {@link scheduleFiles}: `prioritize`'s, with the two branches' work per file. */
export interface ScheduleFilesOptions extends Omit<PrioritizeOptions, 'outcomes'> {
  /**
   * Reduces one file; the first value is used. An error, a throw or no value uploads the file
   * raw. Required unless the strategy is `'none'` or `cores` is 0.
   */
  readonly reduce?: (item: FileItem) => Observable<Reduction>;
  /** Uploads one job; the first value is used, an error becomes a `GatewayError` with status 0. */
  readonly upload: (job: UploadJob) => Observable<UploadResult | GatewayError>;
}

/**
 * The whole schedule as one operator: the priority merge, the local-reduce branch and the
 * upload branch, with the branches' outcomes fed back to the merge.
 *
 * This is the pipeline of the design, written out: `prioritize` releases each file to a
 * branch with a free slot; `routeDecisions` sends it down `reduceLocally` (`cores` slots) or
 * `postToGateway` (`uploadSlots` slots), whose `mergeMap` concurrency is the backpressure; what
 * they report goes back into `prioritize` through `outcomes`, and out as events. Every file
 * ends with one `upload-end`; a reducer failure is a `reduce-end` with `reduced: false` (the
 * file goes up raw), an upload failure an `upload-end` whose result is a `GatewayError`.
 * Completes when the files have completed and every upload has ended; unsubscribing tears
 * down every reduction and upload in flight.
 *
 * ```text
 * fifo, 1 core, 1 upload slot; reduce takes 2 frames, each upload 5
 * files:   ab|
 * core:    [a]                a reduced
 * uplink:   [b---][a'--]      b raw (the core is busy), then a's reduced copy
 * events:  sUe---(DV)-(W|)    s reduce-start a, U upload-start b, e reduce-end a,
 *                             D upload-end b, V upload-start a, W upload-end a
 * ```
 *
 * (Run as written by "should upload a file raw while the only core is busy, then the reduced
 * one" in test/operators/scheduleFiles.test.ts.)
 *
 * The same, composed by hand (to replace a branch, the bandwidth or the gain model):
 *
 * ```ts
 * declare const files$: Observable<FileItem>;
 * declare const reduce: (item: FileItem) => Observable<Reduction>;
 * declare const upload: (job: UploadJob) => Observable<UploadResult | GatewayError>;
 * const outcomes$ = new Subject<ScheduleOutcome>();
 * const events$ = files$.pipe(
 *   prioritize({ strategy: 'adaptive', cores: 2, uploadSlots: 2, outcomes: outcomes$ }),
 *   connect((decisions$) =>
 *     merge(
 *       decisions$,
 *       decisions$.pipe(
 *         routeDecisions({ reduce: reduceLocally({ cores: 2, reduce }), upload: postToGateway({ concurrency: 2, upload }) }),
 *         connect((outcomes) => merge(outcomes, outcomes.pipe(tap((outcome) => outcomes$.next(outcome)), ignoreElements()))),
 *       ),
 *     ),
 *   ),
 * );
 * ```
 *
 * @param options The strategy and its inputs, the slots, and the two branches' work.
 * @returns An operator from files to every schedule event.
 */
export function scheduleFiles(options: ScheduleFilesOptions): OperatorFunction<FileItem, ScheduleEvent> {
  const { reduce, upload, ...merging } = options;
  const cores = merging.strategy === 'none' ? 0 : (merging.cores ?? 1);
  if (typeof upload !== 'function') {
    throw new TypeError(`Expected \`upload\` to be a function, got ${typeof upload}`);
  }
  if (cores > 0 && typeof reduce !== 'function') {
    throw new TypeError(`Expected \`reduce\` to be a function when \`cores\` > 0, got ${typeof reduce}`);
  }
  const never = (): Observable<Reduction> => {
    throw new Error('no reducer: cores is 0');
  };
  // Validated now, so a bad option throws at the call, not at subscribe.
  prioritize({ ...merging, outcomes: new Subject<ScheduleOutcome>() });
  const reduceBranch = reduceLocally({ cores: Math.max(cores, 1), reduce: reduce ?? never });
  const uploadBranch = postToGateway({ concurrency: merging.uploadSlots ?? 1, upload });

  return (files$) =>
    defer(() => {
      // The loop: what the branches report goes back into the priority merge.
      const outcomes$ = new Subject<ScheduleOutcome>();
      return files$.pipe(
        prioritize({ ...merging, outcomes: outcomes$ }),
        connect((decisions$) =>
          merge(
            decisions$,
            decisions$.pipe(
              routeDecisions({ reduce: reduceBranch, upload: uploadBranch, ...(merging.scheduler === undefined ? {} : { scheduler: merging.scheduler }) }),
              // Out first, then back in: an outcome is reported before what it lets start.
              connect((outcomes) => merge(outcomes, outcomes.pipe(tap((outcome) => outcomes$.next(outcome)), ignoreElements()))),
            ),
          ),
        ),
      );
    });
}
