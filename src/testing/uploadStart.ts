import type { FileItem } from '../model/FileItem.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { ScheduleEvent } from '../operators/ScheduleEvent.js';

/**
 * The `upload-start` event (or decision) for `item` at scheduler time `at`, with its upload job.
 *
 * The job defaults to the original file (`{ item }`); a reduced copy's job names the copy:
 * `{ item, bodyPath: '/spool/f0', bodySize: 40 }`.
 *
 * ```ts
 * const a = fileItem(0, 100);
 * uploadStart(a, 0); // { type: 'upload-start', item: a, at: 0, job: { item: a } }
 * uploadStart(a, 2, { item: a, bodyPath: '/spool/f0', bodySize: 40 });
 * ```
 *
 * @param item The file.
 * @param at Scheduler time in ms.
 * @param job What is sent. @default { item }
 * @returns The event.
 */
export function uploadStart(item: FileItem, at: number, job: UploadJob = { item }): Extract<ScheduleEvent, { type: 'upload-start' }> {
  return { type: 'upload-start', item, at, job };
}
