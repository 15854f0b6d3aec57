/** One blob the embedded gateway accepted. */
export interface ReceivedBlob {
  /** The stream id from the URL. */
  readonly streamId: string;
  /** `X-HASTE-original_filename`, percent-decoded. */
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
  /** True when an earlier blob of this stream had the same `X-HASTE-content-sha256`. */
  readonly duplicate: boolean;
}
