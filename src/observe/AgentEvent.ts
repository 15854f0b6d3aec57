/**
 * One thing the agent did to one file, as a log line, a progress counter or a metric sees it.
 *
 * A discriminated union on `type`; `at` is `scheduler.now()` (ms since the epoch) when it
 * happened, so virtual-time tests get deterministic timestamps. A file normally goes
 * `seen` → (`reduce-start` → `reduced`)? → `upload-start` → (`retried` → `upload-start`)* →
 * `uploaded` | `failed`. The `ledger-*` events are about the state dir (their `path`), not a
 * file; `waiting` counts the files found and not yet admitted. Narrow a variant with `Extract<AgentEvent, { type: 'uploaded' }>`.
 *
 * ```ts
 * declare const scheduler: SchedulerLike;
 * const event: AgentEvent = { type: 'seen', at: scheduler.now(), path: '/data/a.png', bytes: 1024 };
 * ```
 */
export type AgentEvent =
  | {
      readonly type: 'seen';
      readonly at: number;
      readonly path: string;
      /** Size of the original file. */
      readonly bytes: number;
    }
  | {
      /**
       * Not sent, and not a failure: acknowledged in an earlier run (the ledger says so), or a
       * version rewritten before it could be sent (the newer one is sent instead).
       */
      readonly type: 'skipped';
      readonly at: number;
      readonly path: string;
      readonly bytes: number;
      readonly reason: string;
    }
  | {
      readonly type: 'reduce-start';
      readonly at: number;
      readonly path: string;
    }
  | {
      readonly type: 'reduced';
      readonly at: number;
      readonly path: string;
      readonly bytesIn: number;
      /** What will be uploaded; equal to `bytesIn` when `reduced` is false. */
      readonly bytesOut: number;
      readonly cpuMs: number;
      /** False when the reducer gave up (undecodable, would grow) and the original goes up. */
      readonly reduced: boolean;
      /** Why the file was not reduced, when it was not. */
      readonly reason?: string;
    }
  | {
      readonly type: 'upload-start';
      readonly at: number;
      readonly path: string;
      /** Size of the body being sent (the reduced copy when there is one). */
      readonly bytes: number;
    }
  | {
      readonly type: 'uploaded';
      readonly at: number;
      readonly path: string;
      readonly bytes: number;
      /** HTTP status the gateway answered. */
      readonly status: number;
      readonly durationMs: number;
      /**
       * The uplink's rate (bytes/s) as a bandwidth estimator saw it when this upload ended;
       * `runAgent` sets it from a meter that counts every upload in flight, so it is the link's
       * rate rather than this upload's share. Preferred over `bytes / durationMs` by {@link trackStats}.
       */
      readonly bandwidth?: number;
    }
  | {
      readonly type: 'retried';
      readonly at: number;
      readonly path: string;
      /** Which attempt comes next, from 2. */
      readonly attempt: number;
      readonly delayMs: number;
      readonly error: string;
    }
  | {
      readonly type: 'failed';
      readonly at: number;
      readonly path: string;
      /** HTTP status, or 0 when no answer came. */
      readonly status: number;
      readonly error: string;
    }
  | {
      /**
       * The ledger could not write its state dir (disk full, I/O error): nothing new starts
       * until it can, and the write is retried. One event per failed attempt.
       */
      readonly type: 'ledger-degraded';
      readonly at: number;
      /** The ledger's state dir. */
      readonly path: string;
      /** The error code, e.g. `ENOSPC`. */
      readonly code: string;
      readonly error: string;
      /** Failed attempts in this spell, from 1. */
      readonly attempt: number;
      readonly retryInMs: number;
      /** Failed ledger write attempts since the ledger was opened. */
      readonly failedWrites: number;
    }
  | {
      /** The ledger's writes land again; work carries on. */
      readonly type: 'ledger-recovered';
      readonly at: number;
      /** The ledger's state dir. */
      readonly path: string;
      /** How long writes were held up. */
      readonly downMs: number;
      readonly failedWrites: number;
    }
  | {
      /**
       * Files found and not yet admitted: they wait, in the order found, for the `admitAhead`
       * admitted before them to get through (see `createDelivery`). Reported when the count
       * changes, at most every quarter second, while files wait, and once with 0 when none do.
       * Not about one file, so without a `path`.
       */
      readonly type: 'waiting';
      readonly at: number;
      readonly files: number;
      /** Their original sizes, summed. */
      readonly bytes: number;
    }
  | {
      /** Opening the ledger dropped damaged records; `message` says how many and where. */
      readonly type: 'ledger-repaired';
      readonly at: number;
      /** The ledger's state dir. */
      readonly path: string;
      readonly dropped: number;
      readonly message: string;
    };
