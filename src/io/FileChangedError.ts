/**
 * The file at a path is no longer the one that was admitted: another inode or device, a
 * different size or modification time, or not a regular file any more.
 *
 * `code` is `'ECHANGED'` so callers that branch on Node's fs error codes can treat it like one.
 */
export class FileChangedError extends Error {
  override readonly name = 'FileChangedError';
  readonly code = 'ECHANGED';
  readonly path: string;

  constructor(message: string, options: { readonly path: string }) {
    super(message);
    this.path = options.path;
  }
}
