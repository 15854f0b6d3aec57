import { expect } from 'chai';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { isRetryableUpload } from '../../src/operators/isRetryableUpload.js';

const item = { path: '/in/a.tif', size: 1, mtimeMs: 1, index: 0 };
const error = (status: number, cause?: unknown) => new GatewayError('x', { status, path: item.path, item, cause });

describe('isRetryableUpload', () => {
  it('should retry 408, 429 and every 5xx', () => {
    for (const status of [408, 429, 500, 502, 503, 504, 599]) {
      expect(isRetryableUpload(error(status)), String(status)).to.equal(true);
    }
  });

  it('should not retry 401, 403, 412, other 4xx or an acknowledgement', () => {
    for (const status of [400, 401, 403, 404, 409, 412, 413]) {
      expect(isRetryableUpload(error(status)), String(status)).to.equal(false);
    }
    const ok: UploadResult = { item, status: 200, bytes: 1, startedAt: 0, finishedAt: 1 };
    expect(isRetryableUpload(ok)).to.equal(false);
  });

  it('should retry a status-0 network error and not a local file problem', () => {
    expect(isRetryableUpload(error(0))).to.equal(true);
    expect(isRetryableUpload(error(0, { code: 'ECONNRESET' }))).to.equal(true);
    expect(isRetryableUpload(error(0, { code: 'ETIMEDOUT' }))).to.equal(true);
    for (const code of ['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ELOOP', 'ECHANGED']) {
      expect(isRetryableUpload(error(0, { code })), code).to.equal(false);
    }
  });
});
