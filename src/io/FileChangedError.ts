/**
 * The file at a path is no longer the one that was admitted: another inode or device, a
 * different size or modification time, or not a regular file any more.
 *
 * `code` is `'ECHANGED'` so callers that branch on Node's fs error codes can treat it like one.
 * `superseded` is true when the path now holds another regular file (the file was rewritten or
 * replaced by a newer version, which is a new version to send), false when it holds something
 * else (a FIFO, a device).
 */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
  readonly code = 'ECHANGED';
  readonly path: string;
  readonly superseded: boolean;

  constructor(message: string, options: { readonly path: string; readonly superseded: boolean }) {
    super(message);
    this.path = options.path;
    this.superseded = options.superseded;
  }
}
