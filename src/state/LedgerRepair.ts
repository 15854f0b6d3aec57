/** One stretch of a ledger file that could not be read back and was dropped. */
export interface LedgerDamage {
  /** The file, relative to the state directory: `journal.jsonl` or `snapshot.json`. */
  readonly file: string;
  /** 1-based line number in the journal, or the entry's position in the snapshot. */
  readonly line: number;
  /** Byte offset where the damaged line starts (0 for a snapshot entry). */
  readonly offset: number;
  /** Bytes in the damaged line, without its newline. */
  readonly length: number;
  /**
   * `'cut short'`: text after the last newline (an append cut off by a crash or a full disk);
   * `'checksum mismatch'`: a complete line whose check does not match (a flipped byte, garbage);
   * `'not a ledger record'`: checks out but is not an entry of this format.
   */
  readonly reason: 'cut short' | 'checksum mismatch' | 'not a ledger record';
  /** The first characters of the line, JSON-escaped, for a person to recognise it. */
  readonly excerpt: string;
}

/**
 * What opening a damaged ledger dropped, so the loss is reported rather than repaired in silence.
 *
 * ```ts
 * const ledger = await openLedger({ dir: '/var/lib/haste-agent' });
 * if (ledger.repair !== undefined) console.warn(`ledger: dropped ${ledger.repair.dropped} damaged records`);
 * ```
 */
export interface LedgerRepair {
  /** When the repair happened, ms since the epoch. */
  readonly at: number;
  /** The state directory. */
  readonly dir: string;
  /** Damaged records dropped: lines of the journal, entries of the snapshot. */
  readonly dropped: number;
  /** Where each one was (the first 50 at most; `dropped` counts them all). */
  readonly damage: readonly LedgerDamage[];
}
