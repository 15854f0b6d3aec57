import type { FileItem } from './FileItem.js';

/**
 * The outcome of reducing one file locally.
 *
 * A file that could not be decoded, or that would grow, is not an error: it comes back with
 * `reduced: false`, `outputPath` undefined and `bytesOut === bytesIn`, and is uploaded raw.
 * The score the schedulers rank by is `(bytesIn - bytesOut) / (cpuMs / 1000)`, bytes saved per
 * CPU-second.
 */
export interface Reduction {
  readonly item: FileItem;
  /** True when `outputPath` holds a smaller copy to upload instead of the original. */
  readonly reduced: boolean;
  /** The reduced copy in the spool folder; undefined when `reduced` is false. */
  readonly outputPath?: string;
  /** Bytes of the original. */
  readonly bytesIn: number;
  /** Bytes of what will be uploaded (equal to `bytesIn` when not reduced). */
  readonly bytesOut: number;
  /** CPU time the reduction took, in milliseconds. */
  readonly cpuMs: number;
  /**
   * SHA-256 of the reduced copy's bytes as lowercase hex, when the reducer knows it (the image
   * reducer hashes the bytes it writes), so that the uploader need not read the copy back to
   * label it with `X-HASTE-content-sha256`. Left out, the copy is hashed from disk.
   */
  readonly outputSha256?: string;
  /**
   * Media type of the reduced copy (the image reducer writes `'image/png'`), so the uploader
   * can label what it sends; undefined when not reduced or when a custom reducer leaves it out.
   */
  readonly mediaType?: string;
  /**
   * What was done to make the copy: the reducer's name and its settings, e.g.
   * `{ reducer: 'reduceImage', tolerance: 30, threshold: 7710, bitDepth: 16, … }`, for the
   * uploader to pass on with it; undefined when not reduced or when a custom reducer leaves it out.
   */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** Why the file was not reduced, when it was not. */
  readonly reason?: string;
}
