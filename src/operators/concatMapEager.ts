import {
  concatMap,
  connect,
  from,
  ignoreElements,
  map,
  merge,
  mergeMap,
  ReplaySubject,
  tap,
  type ObservableInput,
  type OperatorFunction,
} from 'rxjs';
import { integerAtLeast } from '../validation.js';

/** Options for {@link concatMapEager}. */
export interface ConcatMapEagerOptions {
  /** Inner observables subscribed to at once. @default Infinity */
  readonly concurrency?: number;
}

/**
 * Maps each value to an inner observable, runs up to `concurrency` of them at once, and emits
 * their values in the order of the source, as `concatMap` would, but without waiting for one
 * to finish before the next starts.
 *
 * For steps that are slow one by one but cheap together, e.g. durable writes that a journal
 * commits in groups: the ledger's admission of files runs this way, so one fsync covers many
 * files while their order (and so their arrival numbers) stays the watcher's. Values of a later
 * inner are held until every earlier one completed. An error from any inner ends the output at
 * once.
 *
 * ```text
 * source:   -a-b-c-|
 * a:         ----x|          each value's inner, subscribed when the value comes
 * b:           -y|           (y is held until a's inner completes)
 * c:             --z|
 * output:   -----xyz|
 * ```
 *
 * @example
 * ```ts
 * declare const files$: Observable<FileItem>;
 * declare const ledger: Ledger;
 * const recorded$ = files$.pipe(
 *   concatMapEager((item) => hashFile(item).then(async (hash) => ledger.record({ ...item, hash })), { concurrency: 64 }),
 * );
 * ```
 *
 * @param project Maps a value and its index to the observable (or promise) whose values to emit.
 * @param options How many inners may run at once.
 * @returns An operator emitting the inners' values in source order.
 */
export function concatMapEager<T, R>(
  project: (value: T, index: number) => ObservableInput<R>,
  options: ConcatMapEagerOptions = {},
): OperatorFunction<T, R> {
  const concurrency = options.concurrency ?? Number.POSITIVE_INFINITY;
  if (concurrency !== Number.POSITIVE_INFINITY) integerAtLeast('concurrency', concurrency, 1);
  return (source) =>
    source.pipe(
      // Each value gets a subject that keeps its inner's values until their turn comes.
      map((value, index) => ({ value, index, results: new ReplaySubject<R>() })),
      connect((jobs) =>
        merge(
          jobs.pipe(
            mergeMap(
              ({ value, index, results }) =>
                // Not tap(results): tap calls an observer's `subscribe`, which a subject has.
                from(project(value, index)).pipe(
                  tap({ next: (v) => results.next(v), error: (e: unknown) => results.error(e), complete: () => results.complete() }),
                ),
              concurrency,
            ),
            ignoreElements(),
          ),
          jobs.pipe(concatMap(({ results }) => results)),
        ),
      ),
    );
}
