import { asyncScheduler, concatMap, from, map, mergeMap, type Observable, type SchedulerLike, timer } from 'rxjs';
import type { RateStep } from './RateTrace.js';
import type { RateTrace } from './RateTrace.js';

/** Options for {@link playRateTrace}. */
export interface PlayRateTraceOptions {
  /** Sets the link's rate, bytes/s (e.g. `tc class change`); its Observable or Promise ends when the rate is in place. */
  readonly apply: (bytesPerSec: number) => Observable<unknown> | PromiseLike<unknown>;
  /** Clock of the steps. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Plays a rate trace on a real link from the moment of subscription: each step after the first
 * is applied at its time (the first is the rate the link starts with, set beforehand), one at a
 * time and in order, and emitted once in place. Unsubscribing stops the trace; the link keeps
 * the rate it has.
 *
 * ```ts
 * declare const trace: RateTrace;
 * declare function setLinkRate(bytesPerSec: number): Promise<void>; // e.g. `tc class change`
 * const playing = playRateTrace(trace, { apply: setLinkRate }).subscribe();
 * // … the run …
 * playing.unsubscribe();
 * ```
 *
 * @param trace The steps to play.
 * @param options How to set the rate, and the clock.
 * @returns The steps as they take effect; completes after the last.
 */
export function playRateTrace(trace: RateTrace, options: PlayRateTraceOptions): Observable<RateStep> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const { apply } = options;
  if (typeof apply !== 'function') throw new TypeError(`Expected \`apply\` to be a function, got ${typeof apply}`);
  return from(trace.steps.slice(1)).pipe(
    mergeMap((step) => timer(step.atMs, scheduler).pipe(map(() => step))),
    concatMap((step) => from(apply(step.bytesPerSec)).pipe(map(() => step))),
  );
}
