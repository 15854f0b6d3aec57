import { from, Observable, Subscription, type ObservableInput, type OperatorFunction } from 'rxjs';
import { integerAtLeast } from '../validation.js';
import { Fifo } from './internals/orderedStructures.js';

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
  // Not composed of mergeMap and concatMap over a subject per value: that made every value
  // waiting for a slot carry a subject, and a folder of 100,000 files waits for admission.
  return (source) =>
    new Observable<R>((subscriber) => {
      /** Values not started yet: only the values themselves. */
      const waiting = new Fifo<T>();
      /** The started inners, in source order: what each emitted and not yet passed on. */
      const running: { values: R[]; done: boolean }[] = [];
      const inners = new Subscription();
      let index = 0;
      let active = 0;
      let sourceDone = false;
      let pumping = false;
      const pump = (): void => {
        // A loop, not recursion: inners that complete at once would nest one call per value.
        if (pumping) return;
        pumping = true;
        try {
          while (!subscriber.closed) {
            if (active < concurrency && waiting.length > 0) {
              start(waiting.shift() as T);
              continue;
            }
            const head = running[0];
            if (head !== undefined && head.values.length > 0) {
              subscriber.next(head.values.shift()!);
              continue;
            }
            if (head?.done === true) {
              running.shift();
              continue;
            }
            break;
          }
          if (sourceDone && waiting.length === 0 && running.length === 0) subscriber.complete();
        } finally {
          pumping = false;
        }
      };
      const start = (value: T): void => {
        const slot = { values: [] as R[], done: false };
        running.push(slot);
        active += 1;
        let input: Observable<R>;
        try {
          input = from(project(value, index++));
        } catch (error) {
          subscriber.error(error);
          return;
        }
        const inner = new Subscription();
        inners.add(inner);
        inner.add(
          input.subscribe({
            next: (result) => {
              slot.values.push(result);
              pump();
            },
            error: (error: unknown) => subscriber.error(error),
            complete: () => {
              slot.done = true;
              active -= 1;
              inners.remove(inner);
              pump();
            },
          }),
        );
      };
      inners.add(
        source.subscribe({
          next: (value) => {
            waiting.push(value);
            pump();
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            sourceDone = true;
            pump();
          },
        }),
      );
      return inners;
    });
}
