import type { FileItem } from '../model/FileItem.js';
import type { ScheduleEvent } from '../operators/ScheduleEvent.js';

/**
 * The `reduce-start` event (or decision) for `item` at scheduler time `at`: the file went to a core.
 *
 * It is a `ScheduleEvent` for `scheduleFiles`' expectations and a `ScheduleDecision` for
 * `prioritize`'s.
 *
 * ```ts
 * const a = fileItem(0, 100);
 * reduceStart(a, 0); // { type: 'reduce-start', item: a, at: 0 }
 * ```
 *
 * @param item The file.
 * @param at Scheduler time in ms (the frame, in a marble test).
 * @returns The event.
 */
export function reduceStart(item: FileItem, at: number): Extract<ScheduleEvent, { type: 'reduce-start' }> {
  return { type: 'reduce-start', item, at };
}
