import { Observable, type MonoTypeOperatorFunction } from 'rxjs';
import { integerAtLeast, objectOption, observableOption } from '../validation.js';
import { Fifo } from './internals/orderedStructures.js';

/** Options for {@link limitOutstanding}. */
export interface LimitOutstandingOptions {
  /** Values passed on and not yet settled, at most; `Infinity` passes everything at once. */
  readonly limit: number;
  /**
   * Each emission settles one value passed on earlier, which lets one held value through. The
   * caller emits once per value it finished with, whatever became of it (done, dropped, failed).
   */
  readonly settled: Observable<unknown>;
}

/**
 * Passes values on while fewer than `limit` of those passed are outstanding, and holds the rest,
 * in arrival order, until `settled` says earlier ones are done.
 *
 * Credit-based flow control for a source that cannot be slowed down (a folder's events): what
 * waits here is the value alone, so the costly state downstream (ledger records, hashes, the
 * schedule's queue) stays bounded by `limit` however many values arrive. The agent's admission
 * runs this way, so 100,000 files found at start cost their file items, not their admissions.
 * Completes when the source has completed and nothing is held; errors from the source or from
 * `settled` pass through at once.
 *
 * ```text
 * source:   -a-b-c-d---|      limit 2: c and d wait for a settlement each
 * settled:  -------x---x-x
 * output:   -a-b---c---(d|)
 * ```
 *
 * @example
 * ```ts
 * declare const files$: Observable<FileItem>;
 * declare const upload: (item: FileItem) => Observable<unknown>;
 * const done = new Subject<void>();
 * const uploads$ = files$.pipe(
 *   limitOutstanding({ limit: 1000, settled: done }),
 *   mergeMap((item) => upload(item).pipe(finalize(() => done.next())), 2),
 * );
 * ```
 *
 * @param options The limit and the stream of settlements.
 * @returns An operator that passes the source's values on, at most `limit` outstanding.
 */
export function limitOutstanding<T>(options: LimitOutstandingOptions): MonoTypeOperatorFunction<T> {
  const { limit, settled } = normalise(options);
  return (source) =>
    new Observable<T>((subscriber) => {
      const held = new Fifo<T>();
      let outstanding = 0;
      let sourceDone = false;
      let draining = false;
      // Passing a value on can settle one synchronously (a value dropped at once downstream):
      // the loop, not a nested call, passes the next, so values leave in arrival order.
      const drain = (): void => {
        if (draining) return;
        draining = true;
        try {
          while (outstanding < limit && held.length > 0 && !subscriber.closed) {
            outstanding += 1;
            subscriber.next(held.shift() as T);
          }
        } finally {
          draining = false;
        }
        if (sourceDone && held.length === 0) subscriber.complete();
      };
      subscriber.add(
        settled.subscribe({
          next: () => {
            if (outstanding > 0) outstanding -= 1;
            drain();
          },
          error: (error: unknown) => subscriber.error(error),
        }),
      );
      subscriber.add(
        source.subscribe({
          next: (value) => {
            held.push(value);
            drain();
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            sourceDone = true;
            drain();
          },
        }),
      );
    });
}

function normalise(options: LimitOutstandingOptions) {
  objectOption('options', options);
  const limit = options.limit === Number.POSITIVE_INFINITY ? options.limit : integerAtLeast('limit', options.limit, 1);
  return { limit, settled: observableOption('settled', options.settled) };
}
