import type { UploadJob } from '../model/UploadJob.js';
import type { GatewayRequest } from './GatewayRequest.js';

/**
 * What a job's body file must still be when a sink opens it: an original must be the version
 * admitted (size, mtime, device, inode); a reduced copy is only checked for its size.
 */
export function bodyIdentity(job: UploadJob): NonNullable<GatewayRequest['bodyIdentity']> {
  const { item } = job;
  const sendsCopy = job.bodyPath !== undefined && job.bodyPath !== item.path;
  if (sendsCopy) return job.bodySize === undefined ? {} : { size: job.bodySize };
  return {
    size: item.size,
    mtimeMs: item.mtimeMs,
    ...(item.dev === undefined ? {} : { dev: item.dev }),
    ...(item.ino === undefined ? {} : { ino: item.ino }),
  };
}
