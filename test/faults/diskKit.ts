// A small real file system to fill up: a tmpfs mounted in a temp dir (needs root).
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface SmallDisk {
  /** The mount point. */
  readonly dir: string;
  /** Writes a filler file until the disk is full (the last write fails with ENOSPC). */
  fill(): Promise<void>;
  /** Deletes the filler file: space returns. */
  free(): Promise<void>;
  /** Unmounts and removes the mount point. */
  remove(): Promise<void>;
}

/**
 * Mounts a tmpfs of `size` (e.g. '256k') in a fresh temp dir, or returns why it cannot
 * (not root, no mount permission in this container).
 */
export async function mountSmallDisk(size: string): Promise<SmallDisk | string> {
  const dir = await mkdtemp(join(tmpdir(), 'haste-small-disk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return `cannot mount a tmpfs here (${stderr || (error as Error).message}); these tests need root and mount(2)`;
  }
  const filler = join(dir, 'filler');
  return {
    dir,
    async fill() {
      const handle = await open(filler, 'a');
      try {
        const chunk = Buffer.alloc(64 * 1024, 0x2a);
        for (;;) await handle.write(chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
      } finally {
        await handle.close();
      }
    },
    async free() {
      await unlink(filler).catch(() => undefined);
    },
    async remove() {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
