// How the embedded gateway puts a received body in its store: streamed to a hidden temp file,
// then hard-linked under its final name, so a stored file is never partial and two uploads of
// one name never overwrite each other.
import { randomUUID } from 'node:crypto';
import { link, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { withSuffix } from './gatewayInternals.js';

/** A hidden temp path in `folder`; names starting with `.` are never given to a blob. */
export function tempPathIn(folder: string): string {
  return join(folder, `.${randomUUID()}.part`);
}

function isTaken(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'EEXIST';
}

/**
 * Links `temp` under `name` in `folder`, or the first free `name-1`, `name-2`, …, and removes
 * `temp`. With `sidecar`, also writes `<stored name>.json` with the text it returns for the
 * chosen name, and takes the next suffix when either name is taken.
 *
 * `link` refuses to overwrite, so concurrent uploads of one name each get their own file; the
 * sidecar goes through a temp file too, so it is never seen half written.
 *
 * @returns The stored path.
 */
export async function linkUnderFreeName(temp: string, folder: string, name: string, sidecar?: (storedName: string) => string): Promise<string> {
  const sidecarTemp = sidecar === undefined ? undefined : tempPathIn(folder);
  try {
    for (let n = 0; ; n += 1) {
      const storedName = withSuffix(name, n);
      const candidate = join(folder, storedName);
      try {
        await link(temp, candidate);
      } catch (error) {
        if (isTaken(error)) continue;
        throw error;
      }
      if (sidecar === undefined || sidecarTemp === undefined) return candidate;
      try {
        await writeFile(sidecarTemp, sidecar(storedName), { flag: 'w' });
        await link(sidecarTemp, `${candidate}.json`);
        return candidate;
      } catch (error) {
        await unlink(candidate);
        if (!isTaken(error)) throw error;
      }
    }
  } finally {
    await unlink(temp).catch(() => {});
    if (sidecarTemp !== undefined) await unlink(sidecarTemp).catch(() => {});
  }
}
