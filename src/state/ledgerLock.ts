import { readlink, symlink, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LOCK_FILE, readOptional } from './journal.js';

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid in a lock file, or undefined when it is missing or garbled. */
export async function readLockPid(lockPath: string): Promise<number | undefined> {
  let text: string | undefined;
  try {
    text = await readlink(lockPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // EINVAL: a regular file, as older agents wrote.
    text = code === 'EINVAL' ? await readOptional(lockPath) : undefined;
    if (code !== 'EINVAL' && code !== 'ENOENT') {
      throw error;
    }
  }
  const pid = Number.parseInt(text?.trim() ?? '', 10);
  return Number.isInteger(pid) && pid > 0 && String(pid) === text?.trim() ? pid : undefined;
}

/**
 * Locks this process holds. A lock file naming our own pid that is not in here was left by an
 * earlier process that had the same pid (pid 1 in a container restarts as pid 1 again).
 */
const heldLocks = new Set<string>();

/**
 * Takes the lock or throws `onLocked(pid)`. A lock whose pid is dead (or garbled, or ours but
 * not held by this process) is stale and taken over. Two agents taking over the same stale lock
 * at the same instant could both succeed; we accept that window, which needs a crash and a
 * simultaneous double start. A stale lock whose pid now belongs to an unrelated live process
 * is refused; the error names the pid so the user can check it and delete the lock file.
 */
export async function acquireLock(dir: string, onLocked: (lockPath: string, pid: number) => Error): Promise<string> {
  const lockPath = resolve(dir, LOCK_FILE);
  for (let tries = 0; tries < 5; tries += 1) {
    try {
      await symlink(String(process.pid), lockPath);
      heldLocks.add(lockPath);
      return lockPath;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
    const holder = await readLockPid(lockPath);
    const ours = holder === process.pid;
    if (holder !== undefined && ((ours && heldLocks.has(lockPath)) || (!ours && isProcessAlive(holder)))) {
      throw onLocked(lockPath, holder);
    }
    await unlink(lockPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') {
        throw error;
      }
    });
  }
  throw new Error(`Could not take the ledger lock ${lockPath}: it keeps reappearing`);
}

/** Removes the lock if it is still ours (a takeover after a long stall may have replaced it). */
export async function releaseLock(lockPath: string): Promise<void> {
  heldLocks.delete(lockPath);
  if ((await readLockPid(lockPath)) === process.pid) {
    await unlink(lockPath).catch(() => undefined);
  }
}
