/**
 * A settled file seen in the watched folder.
 *
 * `index` is its arrival order from 0; the schedulers use it as the x axis of their score
 * estimates, as the original HASTE Desktop Agent does.
 */
export interface FileItem {
  /** Absolute path of the file. */
  readonly path: string;
  /** Size in bytes when it settled. */
  readonly size: number;
  /** Modification time in milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** Arrival order, from 0. */
  readonly index: number;
  /**
   * Device the file was found on (`lstat().dev`). With `ino`, it lets a reader check that the
   * file it opens is the one admitted and not something swapped in since. @default unchecked
   */
  readonly dev?: number;
  /** Inode the file was found at (`lstat().ino`). @default unchecked */
  readonly ino?: number;
}
