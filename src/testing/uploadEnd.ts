import type { FileItem } from '../model/FileItem.js';
import type { GatewayError } from '../model/GatewayError.js';
import type { UploadResult } from '../model/UploadResult.js';
import type { ScheduleEvent } from '../operators/ScheduleEvent.js';

/**
 * The `upload-end` event (or outcome) for `item` at scheduler time `at`, with the gateway's answer.
 *
 * ```ts
 * const a = fileItem(0, 100);
 * uploadEnd(a, 5, uploaded(a, { startedAt: 0, finishedAt: 5 }));
 * uploadEnd(a, 5, new GatewayError('503 from gateway', { status: 503, path: a.path, item: a }));
 * ```
 *
 * @param item The file.
 * @param at Scheduler time in ms.
 * @param result The acknowledgement, or the GatewayError the upload became.
 * @returns The event.
 */
export function uploadEnd(item: FileItem, at: number, result: UploadResult | GatewayError): Extract<ScheduleEvent, { type: 'upload-end' }> {
  return { type: 'upload-end', item, at, result };
}
