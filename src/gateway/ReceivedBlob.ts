import type { BlobReduction } from './reducedCopy.js';

/** One blob the embedded gateway accepted. */
export interface ReceivedBlob {
  /** The stream id from the URL. */
  readonly streamId: string;
  /** `X-HASTE-original_filename`, percent-decoded: the original's name, even for a reduced copy. */
  readonly originalFilename: string;
  /** Where the bytes were stored, or `null` when nothing was kept (`discard`, no store, duplicate). */
  readonly storedPath: string | null;
  /** Body bytes received. */
  readonly bytes: number;
  /** Hex SHA-256 of the body. */
  readonly sha256: string;
  /** `X-HASTE-tag`. */
  readonly tag: string;
  /** `X-HASTE-unixtime` as sent (seconds since the epoch, decimal text). */
  readonly unixtime: string;
  /**
   * True when this is a retry: an earlier blob of this stream had the same original file name and
   * the same `X-HASTE-content-sha256`.
   */
  readonly duplicate: boolean;
  /** Present only for a reduced copy: its media type and the reducer's settings, as sent. */
  readonly reduction?: BlobReduction;
}
