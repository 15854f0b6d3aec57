import { createHash } from 'node:crypto';
import { openAdmitted } from '../io/admittedFileInternals.js';
import type { AdmittedIdentity } from '../io/openAdmittedFile.js';

/**
 * Computes the sha256 of a file's content, a megabyte at a time so large images are never held in memory.
 *
 * The hash, with path, size and mtime, is how the ledger tells versions of a file apart. The
 * file is opened without following a symlink; given what was admitted (a `FileItem`), the open
 * file must also still be that file (device, inode, size, mtime), or nothing is read.
 *
 * ```ts
 * declare const item: FileItem;
 * const hash = await hashFile('/data/in/img-0001.tif'); // '9f86d0…' (64 hex digits)
 * const same = await hashFile(item); // rejects with FileChangedError if item.path was replaced
 * ```
 *
 * @param file - The file to read: a path, or a path with what was admitted of it.
 * @returns The lowercase hex digest; rejects with the fs error (`ENOENT`, `EACCES`, `ELOOP`, …).
 */
export async function hashFile(file: string | AdmittedIdentity): Promise<string> {
  const { handle, stats } = await openAdmitted(typeof file === 'string' ? { path: file } : file);
  const hash = createHash('sha256');
  try {
    // Plain reads into one buffer, not a read stream: at a thousand small files a second, the
    // stream's machinery cost more than the hashing. A read that comes back short once the size
    // the descriptor had is read is the end of the file (as a read stream would find it one read
    // later); short before that (some network or FUSE file systems) it is not.
    const buffer = Buffer.allocUnsafe(Math.min(stats.size + 1, chunkBytes));
    let position = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      hash.update(buffer.subarray(0, bytesRead));
      position += bytesRead;
      if (bytesRead === 0 || (bytesRead < buffer.length && position >= stats.size)) break;
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

/** Bytes read at a time: large images are never held in memory whole. */
const chunkBytes = 1 << 20;
