import type { FileHandle } from 'node:fs/promises';
import { openAdmitted } from './admittedFileInternals.js';

/** What was known of a file when it was admitted; absent fields are not checked. */
export interface AdmittedIdentity {
  readonly path: string;
  readonly size?: number;
  readonly mtimeMs?: number;
  readonly dev?: number;
  readonly ino?: number;
}

/**
 * Opens a file for reading without following a symbolic link, and checks on the open
 * descriptor that it is still the regular file that was admitted.
 *
 * The agent finds a file with `lstat` and reads it later; between the two the path can be
 * replaced (by a symlink to a file the agent's user may read but the instrument's may not, by
 * a hard link, by a FIFO). Opening with `O_NOFOLLOW` refuses a symlink (`ELOOP`), `O_NONBLOCK`
 * keeps a FIFO from blocking the open, and `fstat` on the descriptor, not the path, compares
 * device, inode, size and mtime with what was admitted. Read only from the returned handle.
 *
 * ```ts
 * declare const item: FileItem;
 * const buffer = Buffer.alloc(item.size);
 * const handle = await openAdmittedFile(item); // rejects with FileChangedError or ELOOP
 * try { await handle.read(buffer, 0, item.size, 0); } finally { await handle.close(); }
 * ```
 *
 * @param admitted The path and what was seen of it (`FileItem` fits).
 * @returns The open handle; the caller closes it.
 */
export async function openAdmittedFile(admitted: AdmittedIdentity): Promise<FileHandle> {
  return (await openAdmitted(admitted)).handle;
}
