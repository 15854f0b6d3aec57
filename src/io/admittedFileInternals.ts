// Opening an admitted file and reading it whole, shared by openAdmittedFile, hashFile and the
// upload's transport. Not exported from the package.
import { constants, type Stats } from 'node:fs';
import { lstat, open, type FileHandle } from 'node:fs/promises';
import { FileChangedError } from './FileChangedError.js';
import type { AdmittedIdentity } from './openAdmittedFile.js';

/** An admitted file, open, with the `fstat` its identity was checked on. */
export interface AdmittedFile {
  readonly handle: FileHandle;
  readonly stats: Stats;
}

/** {@link openAdmittedFile}, also giving the descriptor's stats (so a reader needs no second `fstat`). */
export async function openAdmitted(admitted: AdmittedIdentity): Promise<AdmittedFile> {
  const handle = await open(admitted.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    refuseIfChanged(admitted, stats, 'not read');
    return { handle, stats };
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/**
 * Checks, by `lstat`, that the path still holds the admitted file, for a reader that has its
 * bytes already: rejects with the fs error (`ENOENT`) or a FileChangedError as
 * {@link openAdmitted} would. A symlink swapped in is not a regular file, so it is refused too.
 */
export async function checkAdmitted(admitted: AdmittedIdentity): Promise<void> {
  refuseIfChanged(admitted, await lstat(admitted.path), 'not sent');
}

type IdentityStats = { isFile(): boolean; dev: number; ino: number; size: number; mtimeMs: number };

/** Throws a FileChangedError saying how `stats` differ from what was admitted, and what was not done. */
function refuseIfChanged(admitted: AdmittedIdentity, stats: IdentityStats, consequence: string): void {
  const differs = describeDifference(admitted, stats);
  if (differs === undefined) return;
  throw new FileChangedError(`${admitted.path} is not the file that was admitted (${differs}); ${consequence}`, {
    path: admitted.path,
    superseded: stats.isFile(),
  });
}

function describeDifference(admitted: AdmittedIdentity, stats: IdentityStats): string | undefined {
  if (!stats.isFile()) return 'no longer a regular file';
  if (admitted.dev !== undefined && admitted.dev !== stats.dev) return 'another device';
  if (admitted.ino !== undefined && admitted.ino !== stats.ino) return 'another inode';
  if (admitted.size !== undefined && admitted.size !== stats.size) {
    return `size ${stats.size} instead of ${admitted.size}`;
  }
  if (admitted.mtimeMs !== undefined && admitted.mtimeMs !== stats.mtimeMs) return 'modified since';
  return undefined;
}

/** Options for {@link readWhole}. */
export interface ReadWholeOptions {
  /** The open file. */
  readonly handle: FileHandle;
  /** Bytes to read from its start: the size its `fstat` gave. */
  readonly size: number;
  /** The file's path, for the error message. */
  readonly path: string;
  /**
   * The bytes will be held a while (kept from admission to upload): read them into memory of
   * their own. Otherwise a buffer under 4 KiB is a slice of one of Node's shared 8 KiB pool
   * slabs, and a slice held keeps its whole slab alive: with 4,096 kept 1 KiB bodies, a heap
   * snapshot had 10.9 MB in 1,217 slabs. @default false
   */
  readonly held?: boolean;
}

/**
 * Reads the first `size` bytes of an open file into one buffer, in as few reads as the kernel
 * allows. A file that ends sooner (truncated since its `fstat`) is a FileChangedError: the
 * caller would otherwise send or hash bytes that were never the admitted version's.
 */
export async function readWhole(options: ReadWholeOptions): Promise<Buffer> {
  const { handle, size, path } = options;
  const buffer = options.held === true ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
  let filled = 0;
  while (filled < size) {
    const { bytesRead } = await handle.read(buffer, filled, size - filled, filled);
    if (bytesRead === 0) {
      throw new FileChangedError(`${path} shrank to ${filled} bytes while it was read (${size} expected); not read`, { path, superseded: true });
    }
    filled += bytesRead;
  }
  return buffer;
}
