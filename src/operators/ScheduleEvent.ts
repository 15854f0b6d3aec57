import type { FileItem } from '../model/FileItem.js';
import type { GatewayError } from '../model/GatewayError.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';

/**
 * One step of the schedule `prioritize` runs, stamped with scheduler time `at` (ms).
 *
 * Every file ends with exactly one `upload-end`; before it, at most one reduction
 * (`reduce-start` then `reduce-end` or `reduce-error`) and one `upload-start`.
 * `reduce-error` means the reducer threw, errored or completed empty: the file is then uploaded
 * raw, like a `reduce-end` whose reduction has `reduced: false`.
 */
export type ScheduleEvent =
  | { readonly type: 'reduce-start'; readonly item: FileItem; readonly at: number }
  | { readonly type: 'reduce-end'; readonly item: FileItem; readonly at: number; readonly reduction: Reduction }
  | { readonly type: 'reduce-error'; readonly item: FileItem; readonly at: number; readonly error: unknown }
  | { readonly type: 'upload-start'; readonly item: FileItem; readonly at: number; readonly job: UploadJob }
  | {
      readonly type: 'upload-end';
      readonly item: FileItem;
      readonly at: number;
      readonly result: UploadResult | GatewayError;
    };
