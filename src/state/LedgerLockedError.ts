/**
 * Thrown by `openLedger` when another live process holds the state directory.
 *
 * Two agents sharing one ledger would each upload the other's pending files, so the second is
 * refused. `pid` names the holder so the user can find it.
 */
export class LedgerLockedError extends Error {
  override readonly name = 'LedgerLockedError';
  /** Process id written in the lock file. */
  readonly pid: number;
  /** The lock file. */
  readonly lockPath: string;

  constructor(lockPath: string, pid: number) {
    super(
      `The ledger lock ${lockPath} is held by process ${pid}, which is still running; ` +
        `another haste-agent is using this state directory (stop it, or use another --state-dir)`,
    );
    this.pid = pid;
    this.lockPath = lockPath;
  }
}
