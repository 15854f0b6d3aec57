/**
 * `code`s of a status-0 `GatewayError.cause` that mean the local file is the problem (missing,
 * unreadable, a directory, replaced since it was admitted): sending it again cannot help. Every other status-0 error
 * (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, an aborted socket, no code at all) is taken
 * to be the network.
 */
export const LOCAL_FILE_ERROR_CODES: ReadonlySet<string> = new Set([
  'ENOENT',
  'EACCES',
  'EPERM',
  'EISDIR',
  'ENOTDIR',
  'ELOOP',
  'ENAMETOOLONG',
  'EBADF',
  // openAdmittedFile: the path now holds another file than the one admitted.
  'ECHANGED',
]);

/** Marks errors built from an upload that threw: their meaning is unknown, so never retried. */
const UNEXPECTED = Symbol('retryUploads.unexpected');

export function markUnexpected<E extends Error>(error: E): E {
  Object.defineProperty(error, UNEXPECTED, { value: true });
  return error;
}

export function isUnexpected(error: Error): boolean {
  return (error as { [UNEXPECTED]?: true })[UNEXPECTED] === true;
}
