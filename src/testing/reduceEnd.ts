import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import type { ScheduleEvent } from '../operators/ScheduleEvent.js';

/**
 * The `reduce-end` event (or outcome) for `item` at scheduler time `at`, carrying its reduction.
 *
 * A reducer that failed ends like this too, with an unreduced reduction and the reason
 * (`reduction(item, { reason })`).
 *
 * ```ts
 * const a = fileItem(0, 100);
 * reduceEnd(a, 2, reduction(a, { bytesOut: 40, cpuMs: 2 }));
 * ```
 *
 * @param item The file.
 * @param at Scheduler time in ms.
 * @param reduction What the reducer reported.
 * @returns The event.
 */
export function reduceEnd(item: FileItem, at: number, reduction: Reduction): Extract<ScheduleEvent, { type: 'reduce-end' }> {
  return { type: 'reduce-end', item, at, reduction };
}
