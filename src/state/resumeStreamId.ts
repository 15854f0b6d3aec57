import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ledger } from './Ledger.js';
import { objectOption } from '../validation.js';

/** Options for {@link resumeStreamId}. */
export interface ResumeStreamIdOptions {
  /** The run's ledger; its folder keeps the stream id and its pending entries decide reuse. */
  readonly ledger: Ledger;
  /** The id a fresh run would use (e.g. `streamId({ tag })`). */
  readonly fresh: string;
}

/** The file in the state folder that remembers the last run's stream id. */
export const STREAM_ID_FILE = 'stream-id';

const streamIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * Picks the stream a run posts to: the interrupted run's stream while the ledger still has
 * files pending, otherwise `fresh`; and remembers the choice durably in the state folder.
 *
 * Continuing the same stream after a crash is what lets a gateway drop a repeat by
 * `X-HASTE-content-sha256`: a file whose 2xx arrived just before the crash is sent again to the
 * same stream with the same hash, instead of landing as a second copy in a new stream.
 *
 * ```ts
 * declare const ledger: Ledger;
 * const id = await resumeStreamId({ ledger, fresh: streamId({ tag: 'vironova' }) });
 * ```
 *
 * @param options The ledger and the fresh id.
 * @returns The stream id to use.
 */
export async function resumeStreamId(options: ResumeStreamIdOptions): Promise<string> {
  objectOption('options', options);
  const { ledger, fresh } = options;
  if (typeof fresh !== 'string' || !streamIdPattern.test(fresh)) {
    throw new TypeError(`Expected \`fresh\` to be 1-128 letters, digits, _ or -, got ${JSON.stringify(fresh)}`);
  }
  const file = join(ledger.dir, STREAM_ID_FILE);
  const previous = (await readFile(file, 'utf8').catch(() => '')).trim();
  // Pending in memory or archived (refused files, for this run to send again).
  if (streamIdPattern.test(previous) && ledger.summary().pending > 0) {
    return previous;
  }
  // Written aside and renamed, so a crash leaves either the old id or the new one, never half.
  const temp = `${file}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(`${fresh}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, file);
  return fresh;
}
