import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, type Subscription } from 'rxjs';
import type { AgentEvent } from './AgentEvent.js';
import { integerAtLeast } from '../validation.js';

/** Many `skipped` events of one reason, counted over one interval. */
export interface SkippedSummary {
  readonly type: 'skipped-summary';
  /** When the interval ended (or the events did). */
  readonly at: number;
  /** How many files were skipped for this reason in the interval (at least 2). */
  readonly files: number;
  /** Their bytes. */
  readonly bytes: number;
  readonly reason: string;
}

/** Options for {@link summarizeSkipped}. */
export interface SummarizeSkippedOptions {
  /**
   * How long skipped events are counted, in ms, from the first one after a summary.
   * @default 1000
   */
  intervalMs?: number;
  /**
   * Clock for the interval.
   * @default asyncScheduler
   */
  scheduler?: SchedulerLike;
}

/**
 * Folds the `skipped` events of each interval into one summary per reason, for a log.
 *
 * A restart on a folder of a million delivered files skips each of them with an event; a log
 * needs to say that it happened, not a million times. Other events pass through at once. When
 * the interval that the first skip opened ends, each reason gets a {@link SkippedSummary}, or,
 * for a reason met only once, that very event (its path is worth more than a count). What is
 * being counted is emitted before completion or an error, so nothing goes unreported.
 *
 * ```
 * source:  -a-s-s-b---------s-|      intervalMs = 6 frames; s: skipped, one reason
 * result:  -a-----b-S---------(s|)   S: { files: 2 }; the lone s is passed on as it is
 * ```
 *
 * ```ts
 * declare const events$: Observable<AgentEvent>;
 * events$.pipe(summarizeSkipped()).subscribe((event) => console.log(formatLogLine(event, 'human')));
 * ```
 *
 * @param options The interval and the clock.
 * @returns An operator from agent events to agent events and summaries.
 * @throws TypeError at call time when `intervalMs` is not an integer >= 1.
 */
export function summarizeSkipped(options: SummarizeSkippedOptions = {}): OperatorFunction<AgentEvent, AgentEvent | SkippedSummary> {
  const { intervalMs = 1000, scheduler = asyncScheduler } = options;
  integerAtLeast('intervalMs', intervalMs, 1);
  // A custom Observable rather than bufferTime: a timer runs only while skips are being counted.
  return (source) =>
    new Observable<AgentEvent | SkippedSummary>((subscriber) => {
      // Per reason: the first event, kept whole in case it stays alone, and the running totals.
      let counted = new Map<string, { first: AgentEvent; files: number; bytes: number }>();
      let timer: Subscription | undefined;
      const flush = (): void => {
        timer?.unsubscribe();
        timer = undefined;
        const groups = counted;
        counted = new Map();
        for (const [reason, { first, files, bytes }] of groups) {
          subscriber.next(files === 1 ? first : { type: 'skipped-summary', at: scheduler.now(), files, bytes, reason });
        }
      };
      const subscription = source.subscribe({
        next: (event) => {
          if (event.type !== 'skipped') {
            subscriber.next(event);
            return;
          }
          const group = counted.get(event.reason);
          if (group === undefined) {
            counted.set(event.reason, { first: event, files: 1, bytes: event.bytes });
          } else {
            group.files += 1;
            group.bytes += event.bytes;
          }
          timer ??= scheduler.schedule(flush, intervalMs);
        },
        error: (error: unknown) => {
          flush();
          subscriber.error(error);
        },
        complete: () => {
          flush();
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        timer?.unsubscribe();
      };
    });
}
