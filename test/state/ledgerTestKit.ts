import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LedgerKey } from '../../src/state/Ledger.js';

/** A ledger key for a made-up file `name`; `version` changes its content. */
export function fileKey(name: string, version = 0): LedgerKey {
  return {
    path: `/data/in/${name}`,
    size: 100 + version,
    mtimeMs: 1_700_000_000_000 + version,
    hash: createHash('sha256').update(`${name}@${version}`).digest('hex'),
  };
}

export async function makeTempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'haste-ledger-'));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A clock that advances 1 ms per reading, so createdAt/updatedAt are distinct and predictable. */
export function steppingClock(start = 1_000): () => number {
  let t = start;
  return () => {
    t += 1;
    return t;
  };
}
