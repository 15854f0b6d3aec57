import {
  catchError,
  defer,
  finalize,
  mergeMap,
  of,
  take,
  throwIfEmpty,
  type Observable,
  type OperatorFunction,
} from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { createWorkerPool } from '../reducers/createWorkerPool.js';
import type { ReduceImageOptions } from '../reducers/reduceImage.js';
import { messageOf, normaliseReduceImageOptions, notReduced } from '../reducers/reduceImageInternals.js';
import { functionOption, integerAtLeast } from '../validation.js';

/** Options for {@link reduceLocally}; the reducer options are used by the default worker pool. */
export interface ReduceLocallyOptions extends ReduceImageOptions {
  /**
   * How many files are reduced at once: the worker pool's size and mergeMap's concurrency.
   * @default 1
   */
  readonly cores?: number;
  /**
   * Reduces one file. Injected in tests; an error or throw becomes an unreduced result.
   * @default a worker pool of `cores` sharp threads, started on subscribe and closed on teardown
   */
  readonly reduce?: (item: FileItem) => Observable<Reduction>;
}

/**
 * Reduces each file on up to `cores` local cores and emits its Reduction, in completion order.
 *
 * A file whose reduction fails, for whatever reason, becomes `reduced: false` with
 * `bytesOut === bytesIn === item.size`, `cpuMs: 0` and the error message as `reason`, so it is
 * uploaded raw and the stream carries on. Each subscription gets its own worker pool, closed
 * when the stream completes, errors or is unsubscribed.
 *
 * ```
 * source:  -a---b---c---|
 * reduce:    a: --A|  b: --B|  c: --C|
 * result:  ---A---B---C-|
 * ```
 *
 * ```ts
 * declare const files$: Observable<FileItem>;
 * files$.pipe(reduceLocally({ cores: 2, spoolDir: '/var/spool/haste' }))
 *   .subscribe((r) => console.log(r.item.path, r.bytesIn - r.bytesOut));
 * ```
 *
 * @param options Cores, an optional `reduce` stand-in, and reducer options; validated now.
 * @returns An operator from FileItem to Reduction that never errors because of one file.
 */
export function reduceLocally(options: ReduceLocallyOptions = {}): OperatorFunction<FileItem, Reduction> {
  const { cores = 1, reduce: injected, ...reducerOptions } = options;
  integerAtLeast('cores', cores, 1);
  if (injected !== undefined) functionOption('reduce', injected);
  // Resolved once so every subscription's pool spools to the same folder.
  const normalised = normaliseReduceImageOptions(reducerOptions);

  return (source) =>
    defer(() => {
      const pool = injected === undefined ? createWorkerPool({ size: cores, reducerOptions: normalised }) : undefined;
      const reduce = injected ?? pool!.reduce;
      return source.pipe(
        mergeMap(
          (item) =>
            defer(() => reduce(item)).pipe(
              // The first value is the reduction; the slot frees with it, not when the inner ends.
              take(1),
              // A file must not vanish from the stream just because its reducer said nothing.
              throwIfEmpty(() => new Error('Reducer completed without a result')),
              catchError((error: unknown) => of(notReduced(item, item.size, 0, messageOf(error)))),
            ),
          cores,
        ),
        // Runs after mergeMap has unsubscribed its inners, so nothing is waiting on the pool.
        finalize(() => {
          void pool?.close().catch(() => undefined);
        }),
      );
    });
}
