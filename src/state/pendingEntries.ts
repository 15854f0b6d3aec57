import type { LedgerSummary } from './Ledger.js';
import type { ArchiveTotals } from './LedgerArchive.js';
import type { LedgerEntry, LedgerState } from './LedgerEntry.js';
import { entryKey, LEDGER_STATES } from './journal.js';

/** Whether `entry` still needs delivering: not done, not hopeless, not superseded by a newer version. */
export function isPending(entry: LedgerEntry, newestKeyOfPath: string | undefined): boolean {
  if (entry.state === 'acknowledged' || (entry.state === 'failed' && entry.permanent === true)) {
    return false;
  }
  return newestKeyOfPath === undefined || newestKeyOfPath === entryKey(entry);
}

/** The newest key per path: the latest `createdAt`, ties going to the later-recorded. */
export function newestKeys(entries: Iterable<LedgerEntry>): Map<string, { key: string; createdAt: number }> {
  const newest = new Map<string, { key: string; createdAt: number }>();
  for (const entry of entries) {
    const current = newest.get(entry.path);
    if (current === undefined || entry.createdAt >= current.createdAt) {
      newest.set(entry.path, { key: entryKey(entry), createdAt: entry.createdAt });
    }
  }
  return newest;
}

export function summarize(entries: readonly LedgerEntry[], pending: readonly LedgerEntry[]): LedgerSummary {
  const counts = Object.fromEntries(LEDGER_STATES.map((state) => [state, 0])) as Record<LedgerState, number>;
  let lastError: LedgerSummary['lastError'];
  for (const entry of entries) {
    counts[entry.state] += 1;
    if (entry.lastError !== undefined && entry.lastErrorAt !== undefined && (lastError === undefined || entry.lastErrorAt >= lastError.at)) {
      lastError = { path: entry.path, message: entry.lastError, at: entry.lastErrorAt };
    }
  }
  let oldest: LedgerEntry | undefined;
  for (const entry of pending) {
    if (oldest === undefined || entry.createdAt < oldest.createdAt) {
      oldest = entry;
    }
  }
  return {
    total: entries.length,
    counts,
    pending: pending.length,
    ...(oldest === undefined ? {} : { oldestPending: { path: oldest.path, state: oldest.state, createdAt: oldest.createdAt } }),
    ...(lastError === undefined ? {} : { lastError }),
  };
}

/** A summary of the entries in memory (or in the files) plus the archive's totals. */
export function withArchived(summary: LedgerSummary, archived: ArchiveTotals | undefined): LedgerSummary {
  if (archived === undefined || archived.total === 0) return summary;
  const counts = { ...summary.counts };
  for (const state of LEDGER_STATES) counts[state] += archived.counts[state] ?? 0;
  const newer = archived.lastError !== undefined && (summary.lastError === undefined || archived.lastError.at > summary.lastError.at);
  const older =
    archived.oldestPending !== undefined && (summary.oldestPending === undefined || archived.oldestPending.createdAt < summary.oldestPending.createdAt);
  return {
    ...summary,
    total: summary.total + archived.total,
    counts,
    pending: summary.pending + (archived.pending ?? 0),
    ...(older ? { oldestPending: archived.oldestPending } : {}),
    ...(newer ? { lastError: archived.lastError } : {}),
  };
}
