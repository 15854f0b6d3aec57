import { join } from 'node:path';
import type { LedgerSummary } from './Ledger.js';
import { MAX_LISTED_DAMAGE, readRepairNote } from './repairNote.js';
import { loadLedger, LOCK_FILE } from './journal.js';
import { isProcessAlive, readLockPid } from './ledgerLock.js';
import { isPending, newestKeys, summarize, withArchived } from './pendingEntries.js';
import { nonEmptyString } from '../validation.js';

/**
 * Reads a ledger's summary without opening it, for `haste-agent status`.
 *
 * Takes no lock and writes nothing, so it works beside a running agent; the numbers are as of
 * the last durable write. A missing directory reads as an empty ledger.
 *
 * ```ts
 * const { counts, pending, runningPid } = await readLedgerSummary('/var/lib/haste-agent');
 * ```
 *
 * @param dir - The state directory.
 * @returns Counts by state, pending count, oldest pending entry, last error, the last repair
 *   noted, records that cannot be read back now, and the pid of a live agent holding the lock,
 *   if any. Rejects when the snapshot is corrupt.
 */
export async function readLedgerSummary(dir: string): Promise<LedgerSummary> {
  nonEmptyString('dir', dir);
  const { entries, damage, archived } = await loadLedger(dir);
  const all = [...entries.values()];
  const newest = newestKeys(all);
  const pending = all.filter((entry) => isPending(entry, newest.get(entry.path)?.key));
  const holder = await readLockPid(join(dir, LOCK_FILE));
  const running = holder !== undefined && isProcessAlive(holder);
  const lastRepair = await readRepairNote(dir);
  // Beside a running agent, a last line cut short is most likely an append in progress.
  const unreadable = running ? damage.filter((found) => found.reason !== 'cut short') : damage;
  const summary: LedgerSummary = {
    ...withArchived(summarize(all, pending), archived),
    ...(lastRepair === undefined ? {} : { lastRepair }),
    ...(unreadable.length === 0 ? {} : { unreadable: { at: Date.now(), dir, dropped: unreadable.length, damage: unreadable.slice(0, MAX_LISTED_DAMAGE) } }),
  };
  return running ? { ...summary, runningPid: holder } : summary;
}
