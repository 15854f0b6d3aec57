import { asyncScheduler, Observable, take, timer, type MonoTypeOperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import { finiteNumberAtLeast, objectOption } from '../validation.js';

/** Options for {@link takeUntilIdle}. */
export interface TakeUntilIdleOptions {
  /** Quiet time, in ms, after which the stream completes. */
  readonly idleMs: number;
  /**
   * The idle clock starts when this first emits (for a watcher: once its initial scan is done),
   * and restarts at every value from then on. If it completes or never emits, the stream never
   * goes idle; if it errors, so does the result.
   * @default the clock starts at subscription
   */
  readonly ready?: Observable<unknown>;
  /** Clock for the quiet time. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Mirrors the source until it has been quiet for `idleMs`, then completes: a batch run's "send
 * what is there and what keeps coming, then stop once nothing new has come for a while".
 *
 * The clock starts at `ready` (or at subscription) and restarts with every value; values that
 * come before `ready` pass through without starting it. Errors and completion of the source pass
 * through at once; on idle the source is unsubscribed.
 *
 * ```text
 * source:                  -a--b--------c--
 * ready:                   ---r------------
 * takeUntilIdle(idle = 4): -a--b---|           b restarts the clock: quiet from 4 to 8
 * ```
 *
 * (Run as written by "should complete once the source was quiet for idleMs after ready" in
 * test/operators/takeUntilIdle.test.ts.)
 *
 * ```ts
 * declare const files$: Observable<FileItem>, scanned$: Observable<void>;
 * files$.pipe(takeUntilIdle({ idleMs: 10_000, ready: scanned$ })).subscribe((file) => console.log(file.path));
 * ```
 *
 * @param options The quiet time, when the clock starts, and the scheduler.
 * @returns An operator that completes once the source went quiet.
 */
export function takeUntilIdle<T>(options: TakeUntilIdleOptions): MonoTypeOperatorFunction<T> {
  objectOption('options', options);
  const idleMs = finiteNumberAtLeast('idleMs', options.idleMs, 0);
  const { ready } = options;
  if (ready !== undefined && (ready === null || typeof ready.subscribe !== 'function')) {
    throw new TypeError(`Expected \`ready\` to be an Observable, got ${String(ready)}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  return (source) =>
    new Observable<T>((subscriber) => {
      let started = ready === undefined;
      let idle: Subscription | undefined;
      const arm = (): void => {
        idle?.unsubscribe();
        idle = timer(idleMs, scheduler).subscribe(() => subscriber.complete());
      };
      const readiness = ready?.pipe(take(1)).subscribe({
        next: () => {
          started = true;
          arm();
        },
        error: (error: unknown) => subscriber.error(error),
      });
      const values = source.subscribe({
        next: (value) => {
          subscriber.next(value);
          if (started) arm();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
      if (ready === undefined && !subscriber.closed && idle === undefined) arm();
      return () => {
        idle?.unsubscribe();
        readiness?.unsubscribe();
        values.unsubscribe();
      };
    });
}
