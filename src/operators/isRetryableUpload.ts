import { GatewayError } from '../model/GatewayError.js';
import type { UploadResult } from '../model/UploadResult.js';
import { isUnexpected, LOCAL_FILE_ERROR_CODES } from './retryUploadsInternals.js';

/**
 * Whether an upload outcome deserves another attempt.
 *
 * Retryable: a network failure (status 0 whose `cause.code` is not a local-file code such as
 * ENOENT, EACCES, EPERM, EISDIR, ENOTDIR, ELOOP, ENAMETOOLONG, EBADF, or ECHANGED for a file replaced since admission), 408, 429 and 5xx.
 * Final: an acknowledgement, 401, 403, 412 and every other status, a local-file problem, and
 * anything `retryUploads` caught being thrown by the upload.
 *
 * ```ts
 * const path = '/data/a.tif';
 * isRetryableUpload(new GatewayError('busy', { status: 503, path })); // true
 * isRetryableUpload(new GatewayError('gone', { status: 0, path, cause: { code: 'ENOENT' } })); // false
 * ```
 *
 * @param outcome - What one upload attempt settled to.
 * @returns True when the attempt should be repeated.
 */
export function isRetryableUpload(outcome: UploadResult | GatewayError): outcome is GatewayError {
  if (!(outcome instanceof GatewayError) || isUnexpected(outcome)) {
    return false;
  }
  const { status } = outcome;
  if (status === 0) {
    const code = (outcome.cause as { code?: unknown } | undefined)?.code;
    return !(typeof code === 'string' && LOCAL_FILE_ERROR_CODES.has(code));
  }
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}
