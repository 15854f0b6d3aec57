import type { FileItem } from './FileItem.js';

/**
 * What the gateway sink sends for one file.
 *
 * The body is the file at `bodyPath` (the original, or a reduced copy in the spool folder);
 * the `X-HASTE-original_filename` header always names the original `item.path`.
 */
export interface UploadJob {
  /** The original file. */
  readonly item: FileItem;
  /** The file whose bytes are sent. @default item.path */
  readonly bodyPath?: string;
  /**
   * The original's bytes, read (and hashed into `bodySha256`) when the file was admitted: a sink
   * may send these instead of reading the file again, once it has checked that the path still
   * holds that file. Ignored when `bodyPath` names a copy. @default read from the file when sent
   */
  readonly bodyBytes?: Buffer;
  /** Size of the body in bytes. @default item.size */
  readonly bodySize?: number;
  /**
   * sha256 hex of the body actually sent (the reduced copy's hash for a reduced file), sent as
   * `X-HASTE-content-sha256` so a gateway can drop a repeat. @default not sent
   */
  readonly bodySha256?: string;
  /**
   * Media type of a body that is not the original (e.g. `image/png` for a reduced TIFF), sent
   * as `Content-Type`, so the receiver knows what it got. @default not sent
   */
  readonly bodyMediaType?: string;
  /**
   * What made the body from the original (reducer name and settings), sent as
   * `X-HASTE-reduction: reducer=reduceImage; tolerance=30; …` whenever the body is not the
   * original. @default `reducer=unknown` for a body other than the original
   */
  readonly bodyReduction?: Readonly<Record<string, string | number | boolean>>;
}
