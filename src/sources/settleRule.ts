// The one rule by which a file counts as written, shared by both watchers (not exported from the package).

/** The coarsest mtime resolution in use (FAT rounds to 2 s), so an mtime can lag this much. */
export const mtimeGranularityMs = 2000;

/** What was seen of a file while it settles: its size and mtime, and since when they held. */
export interface SettleState {
  readonly size: number;
  readonly mtimeMs: number;
  readonly since: number;
}

/**
 * Folds one look at a file into its settle state and says whether it has settled: its size
 * and mtime unchanged for `stabilityThreshold` ms. Nothing can change a file without moving its
 * mtime, so at the first look a file untouched for the threshold plus FAT's 2 s mtime rounding
 * counts as settled already: a folder of old files is taken without waiting on each.
 */
export function settleStep(
  last: SettleState | undefined,
  stats: { readonly size: number; readonly mtimeMs: number },
  now: number,
  stabilityThreshold: number,
): { readonly state: SettleState; readonly settled: boolean } {
  let state = last;
  if (state === undefined || state.size !== stats.size || state.mtimeMs !== stats.mtimeMs) {
    const old = state === undefined && now - stats.mtimeMs >= stabilityThreshold + mtimeGranularityMs;
    state = { size: stats.size, mtimeMs: stats.mtimeMs, since: old ? stats.mtimeMs : now };
  }
  return { state, settled: now - state.since >= stabilityThreshold };
}
