import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Computes the sha256 of a file's content, streaming so large images are never held in memory.
 *
 * The hash, with path, size and mtime, is how the ledger tells versions of a file apart.
 *
 * ```ts
 * const hash = await hashFile('/data/in/img-0001.tif'); // '9f86d0…' (64 hex digits)
 * ```
 *
 * @param path - The file to read.
 * @returns The lowercase hex digest; rejects with the fs error (`ENOENT`, `EACCES`, …).
 */
export async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
