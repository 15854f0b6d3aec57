import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { FileChangedError } from './FileChangedError.js';

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
  const handle = await open(admitted.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    const differs = describeDifference(admitted, stats);
    if (differs !== undefined) {
      throw new FileChangedError(`${admitted.path} is not the file that was admitted (${differs}); not read`, {
        path: admitted.path,
        superseded: stats.isFile(),
      });
    }
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

function describeDifference(
  admitted: AdmittedIdentity,
  stats: { isFile(): boolean; dev: number; ino: number; size: number; mtimeMs: number },
): string | undefined {
  if (!stats.isFile()) return 'no longer a regular file';
  if (admitted.dev !== undefined && admitted.dev !== stats.dev) return 'another device';
  if (admitted.ino !== undefined && admitted.ino !== stats.ino) return 'another inode';
  if (admitted.size !== undefined && admitted.size !== stats.size) {
    return `size ${stats.size} instead of ${admitted.size}`;
  }
  if (admitted.mtimeMs !== undefined && admitted.mtimeMs !== stats.mtimeMs) return 'modified since';
  return undefined;
}
