/**
 * A snapshot of the agent's progress, as folded from its events by {@link trackStats}.
 *
 * Counters (`files*` except the in-flight ones, `bytes*`, `errors`, `retries`) only grow;
 * `filesReducing`, `filesUploading`, `filesPending` and the backlog go up and down. Rates and
 * times are `undefined` until the first upload has given an uplink estimate.
 *
 * ```ts
 * declare const events$: Observable<AgentEvent>;
 * events$.pipe(trackStats()).subscribe((stats: AgentStats) => console.log(stats.backlogBytes));
 * ```
 */
export interface AgentStats {
  /** `at` of the last event folded in (ms since the epoch); 0 before any event. */
  readonly updatedAt: number;
  /** `seen` events, counting a rewritten file again. */
  readonly filesSeen: number;
  /** Files between `reduce-start` and `reduced` right now. */
  readonly filesReducing: number;
  /** Files the reducer made smaller (`reduced` events with `reduced: true`). */
  readonly filesReduced: number;
  /** Files between `upload-start` and `uploaded`/`failed`/`retried` right now. */
  readonly filesUploading: number;
  /** Files acknowledged by the gateway. */
  readonly filesUploaded: number;
  /** Files seen and not yet uploaded or failed, whatever they are doing (includes reducing and uploading). */
  readonly filesPending: number;
  /**
   * Files found and not yet admitted (`waiting` events): with a large backlog the agent admits
   * a bounded number at a time, and the rest wait here, not counted in `filesPending`.
   */
  readonly filesWaiting: number;
  /** Files given up on. */
  readonly filesFailed: number;
  /** Files not sent because an earlier run already delivered them. */
  readonly filesSkipped: number;
  /** Sum of original sizes of the files seen. */
  readonly bytesSeen: number;
  /** Sum of bodies the gateway acknowledged. */
  readonly bytesSent: number;
  /** Sum of `bytesIn - bytesOut` over files the reducer made smaller. */
  readonly bytesSaved: number;
  /** Every error met, whether retried (`retried`) or final (`failed`). */
  readonly errors: number;
  /** `retried` events. */
  readonly retries: number;
  /**
   * The uplink's rate in bytes per second, smoothed; undefined before the first upload. From the
   * events' `bandwidth` (the link's rate, as runAgent's bandwidth meter measures it with every
   * upload in flight counted) when they carry it.
   */
  readonly uplinkBytesPerSecond: number | undefined;
  /**
   * Bytes still to send for pending files (the reduced size where known, else the original),
   * and for the files waiting.
   */
  readonly backlogBytes: number;
  /** `backlogBytes / uplinkBytesPerSecond`; 0 with no backlog, undefined with no estimate. */
  readonly backlogSeconds: number | undefined;
  /** `updatedAt + backlogSeconds` in ms since the epoch: when the backlog should be drained. */
  readonly etaAt: number | undefined;
  /** The last `retried` or `failed` event's error, with its path and time. */
  readonly lastError: { readonly at: number; readonly path: string; readonly message: string } | undefined;
  /**
   * Set while the ledger cannot write its state dir (from `ledger-degraded` until
   * `ledger-recovered`): since when, the error code and text, and the wait before the next try.
   */
  readonly ledgerDegraded:
    | { readonly since: number; readonly code: string; readonly error: string; readonly retryInMs: number }
    | undefined;
  /** Failed ledger write attempts so far. */
  readonly ledgerWriteFailures: number;
}
