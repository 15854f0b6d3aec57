import type { FileItem } from '../model/FileItem.js';
import type { ScheduleEvent } from '../operators/ScheduleEvent.js';

/**
 * The `reduce-error` outcome for `item` at scheduler time `at`: its reducer threw or errored.
 *
 * `scheduleFiles` reports a failed reducer as a `reduce-end` with an unreduced reduction;
 * a branch of your own may report `reduce-error` to `prioritize` instead, which then uploads
 * the file raw.
 *
 * ```ts
 * const outcomes = new Subject<ScheduleOutcome>();
 * outcomes.next(reduceError(fileItem(0, 100), 1, new Error('worker died')));
 * ```
 *
 * @param item The file.
 * @param at Scheduler time in ms.
 * @param error What the reducer failed with.
 * @returns The event.
 */
export function reduceError(item: FileItem, at: number, error: unknown): Extract<ScheduleEvent, { type: 'reduce-error' }> {
  return { type: 'reduce-error', item, at, error };
}
