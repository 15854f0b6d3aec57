import { open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from './journal.js';
import type { LedgerDamage, LedgerRepair } from './LedgerRepair.js';

/** The note of the last repair, kept in the state dir so `haste-agent status` can show it later. */
export const REPAIR_NOTE_FILE = 'repair.json';

/** Damage listed in a report or a note; `dropped` still counts all of it. */
export const MAX_LISTED_DAMAGE = 50;

/** Where a damaged record was, e.g. `journal.jsonl line 3 (byte 412, 130 bytes, checksum mismatch)`. */
export function describeDamage(damage: LedgerDamage): string {
  return damage.file.endsWith('.jsonl')
    ? `${damage.file} line ${damage.line} (byte ${damage.offset}, ${damage.length} bytes, ${damage.reason})`
    : `${damage.file} entry ${damage.line} (${damage.reason})`;
}

/**
 * One line saying what a repair dropped and where, for a log or `haste-agent status`.
 *
 * ```ts
 * declare const repair: LedgerRepair;
 * describeRepair(repair);
 * // 'ledger in /var/lib/haste-agent was damaged: dropped 1 record (journal.jsonl line 3 (byte 412, 130 bytes, checksum mismatch)); ...'
 * ```
 */
export function describeRepair(repair: LedgerRepair): string {
  const shown = repair.damage.slice(0, 5).map(describeDamage);
  const more = repair.dropped > shown.length ? `, and ${repair.dropped - shown.length} more` : '';
  return (
    `ledger in ${repair.dir} was damaged: dropped ${repair.dropped} record${repair.dropped === 1 ? '' : 's'} ` +
    `(${shown.join('; ')}${more}); a file whose latest record was dropped goes back to its previous state and may be sent again`
  );
}

/** Writes the note atomically (temp file, fsync, rename), replacing the previous one. */
export async function writeRepairNote(repair: LedgerRepair, fsync: boolean): Promise<void> {
  const path = join(repair.dir, REPAIR_NOTE_FILE);
  const temp = `${path}.tmp`;
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(`${JSON.stringify({ ...repair, damage: repair.damage.slice(0, MAX_LISTED_DAMAGE) })}\n`);
    if (fsync) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  if (fsync) await fsyncDir(repair.dir);
}

/** The last repair noted in `dir`, or undefined when there was none (or the note is unreadable). */
export async function readRepairNote(dir: string): Promise<LedgerRepair | undefined> {
  try {
    const note = JSON.parse(await readFile(join(dir, REPAIR_NOTE_FILE), 'utf8')) as Partial<LedgerRepair> | null;
    if (typeof note?.at !== 'number' || typeof note.dropped !== 'number' || !Array.isArray(note.damage) || typeof note.dir !== 'string') {
      return undefined;
    }
    return note as LedgerRepair;
  } catch {
    return undefined;
  }
}
