import type { FileItem } from './FileItem.js';

/** One file acknowledged by the gateway with a 2xx status. */
export interface UploadResult {
  readonly item: FileItem;
  /** The HTTP status the gateway answered. */
  readonly status: number;
  /** Bytes of body sent. */
  readonly bytes: number;
  /** Scheduler time (ms) when the upload started. */
  readonly startedAt: number;
  /** Scheduler time (ms) when the gateway's answer arrived. */
  readonly finishedAt: number;
}
