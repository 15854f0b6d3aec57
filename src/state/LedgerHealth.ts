/**
 * Whether the ledger's writes are reaching the disk.
 *
 * `degraded` means a journal write failed with a condition that may pass (disk full, quota,
 * I/O error, read-only remount): the write is kept and retried with backoff, and every later
 * write waits behind it, so whoever awaits a write simply pauses. `failedWrites` counts failed
 * attempts since the ledger was opened, in either state.
 *
 * ```ts
 * declare const ledger: Ledger;
 * ledger.healthChanges.subscribe((health) => {
 *   if (health.state === 'degraded') console.warn(`ledger: cannot write (${health.code}), retrying in ${health.retryInMs} ms`);
 * });
 * ```
 */
export type LedgerHealth =
  | { readonly state: 'ok'; readonly failedWrites: number }
  | {
      readonly state: 'degraded';
      /** The error code, e.g. `ENOSPC`, `EDQUOT`, `EIO`, `EROFS`. */
      readonly code: string;
      /** The error, redacted. */
      readonly error: string;
      /** When the first write of this spell failed (scheduler time, ms). */
      readonly since: number;
      /** Failed attempts in this spell, from 1. */
      readonly attempt: number;
      /** How long until the next attempt. */
      readonly retryInMs: number;
      readonly failedWrites: number;
    };
