import { createHash } from 'node:crypto';
import { openAdmittedFile, type AdmittedIdentity } from '../io/openAdmittedFile.js';

/**
 * Computes the sha256 of a file's content, streaming so large images are never held in memory.
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
  const handle = await openAdmittedFile(typeof file === 'string' ? { path: file } : file);
  const hash = createHash('sha256');
  // The stream owns the handle (autoClose) and closes it at the end or on an error.
  for await (const chunk of handle.createReadStream()) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
