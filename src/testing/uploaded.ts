import type { FileItem } from '../model/FileItem.js';
import type { UploadResult } from '../model/UploadResult.js';

/** Options for {@link uploaded}: how the gateway acknowledged the file. */
export interface UploadedOptions {
  /** Bytes of body sent. @default item.size */
  readonly bytes?: number;
  /** The 2xx status the gateway answered. @default 200 */
  readonly status?: number;
  /** Scheduler time (ms) when the upload started. @default 0 */
  readonly startedAt?: number;
  /** Scheduler time (ms) when the answer arrived. @default 0 */
  readonly finishedAt?: number;
}

/**
 * The UploadResult a gateway's acknowledgement of `item` becomes.
 *
 * For a `cold()` upload stand-in the times rarely matter and stay 0; `virtualUploader` stamps
 * them with scheduler time, so an expectation against it gives `startedAt` and `finishedAt`.
 *
 * ```ts
 * const a = fileItem(0, 100);
 * uploaded(a); // { item: a, status: 200, bytes: 100, startedAt: 0, finishedAt: 0 }
 * uploaded(a, { bytes: 40, startedAt: 2, finishedAt: 7 });
 * ```
 *
 * @param item The file uploaded.
 * @param options Bytes, status and times.
 * @returns An UploadResult.
 */
export function uploaded(item: FileItem, options: UploadedOptions = {}): UploadResult {
  const { bytes = item.size, status = 200, startedAt = 0, finishedAt = 0 } = options;
  return { item, status, bytes, startedAt, finishedAt };
}
