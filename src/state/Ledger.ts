import type { Observable } from 'rxjs';
import type { LedgerEntry, LedgerReduction, LedgerState } from './LedgerEntry.js';
import type { LedgerHealth } from './LedgerHealth.js';
import type { LedgerRepair } from './LedgerRepair.js';

/** Identifies one version of one file: any object with these fields, a `LedgerEntry` included. */
export interface LedgerKey {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** sha256 hex of the content (see `hashFile`). */
  readonly hash: string;
}

/** Fields `Ledger.transition` may change along with the state. */
export interface LedgerTransitionExtra {
  /** An error to remember; it is redacted before it is stored. `null` clears it. */
  readonly lastError?: string | Error | null;
  /** How the file was reduced. */
  readonly reduction?: LedgerReduction;
  /** With `failed`: true when retrying cannot help. @default false */
  readonly permanent?: boolean;
}

/** An upsert: the key plus any fields to set. A new key starts as `seen` with 0 attempts. */
export interface LedgerUpdate extends LedgerKey, LedgerTransitionExtra {
  readonly state?: LedgerState;
  readonly attempts?: number;
  /** The file's device and inode, so a restart can recognise it unchanged without reading it. */
  readonly dev?: number;
  readonly ino?: number;
}

/** What a file looks like on disk now, to compare with what the ledger recorded. */
export interface FileIdentity {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  /** Device and inode; a file found without them (a source that did not lstat) is never recognised. */
  readonly dev?: number;
  readonly ino?: number;
}

/** Counts and highlights for `haste-agent status`. */
export interface LedgerSummary {
  /** Entries of every state, superseded versions included. */
  readonly total: number;
  readonly counts: Readonly<Record<LedgerState, number>>;
  /** How many entries `pending()` and `archivedPending()` give. */
  readonly pending: number;
  /**
   * The pending entry first recorded longest ago. Of the archived ones only the archive's oldest
   * is weighed, and none while memory holds that one again (until the next compaction).
   */
  readonly oldestPending?: { readonly path: string; readonly state: LedgerState; readonly createdAt: number };
  /** The most recently recorded error. */
  readonly lastError?: { readonly path: string; readonly message: string; readonly at: number };
  /** Set by `readLedgerSummary` when a live agent holds the ledger's lock. */
  readonly runningPid?: number;
  /** Set by `readLedgerSummary`: the last repair an agent made on opening the ledger (from `repair.json`). */
  readonly lastRepair?: LedgerRepair;
  /**
   * Set by `readLedgerSummary` when the files hold records that cannot be read back right now:
   * the next open drops (and reports) them. A cut-short last line here is usually an append in
   * progress or a crash.
   */
  readonly unreadable?: LedgerRepair;
}

/**
 * A durable record of every file's progress, so a restart loses nothing and sends nothing twice.
 *
 * Reads are synchronous and come from memory; writes update memory at once and return a
 * promise that resolves when the change is on disk (journal line written and fsync'd). Writes
 * are serialised through one queue, so their promises resolve in call order. A write that
 * fails for a reason that may pass (disk full, quota, I/O error: see {@link LedgerHealth}) is
 * retried with backoff and later writes wait behind it, so their promises stay pending until
 * space returns. After any other failure every later write rejects with that error: the caller
 * should stop rather than carry on with a ledger that no longer matches the disk.
 */
export interface Ledger {
  /** The state directory. */
  readonly dir: string;
  /** The ledger's clock, ms since the epoch: what it stamps `createdAt`, `updatedAt` and `lastErrorAt` with. */
  now(): number;
  /** What opening the ledger dropped as damaged, or undefined when it read back whole. */
  readonly repair: LedgerRepair | undefined;
  /** Whether writes are reaching the disk right now. */
  health(): LedgerHealth;
  /** The current health at once, then each change; completes when the ledger is closed. */
  readonly healthChanges: Observable<LedgerHealth>;
  /** The newest version recorded for `path` (in memory or in the archive). */
  get(path: string): LedgerEntry | undefined;
  /** The entry of exactly this version (in memory or in the archive). */
  getByKey(key: LedgerKey): LedgerEntry | undefined;
  /**
   * The newest version recorded for the file's path, if it is this very file unchanged: the
   * same device, inode, size and mtime (recorded at admission). How a restart recognises the
   * files it already has without reading them; a file rewritten, replaced or touched is not
   * recognised and gets hashed again.
   */
  findUnchanged(file: FileIdentity): LedgerEntry | undefined;
  /**
   * The entries held in memory, superseded versions included, in the order they were first
   * recorded: every one in flight, and the settled ones (acknowledged, failed) not yet moved to
   * the archive. A compaction moves settled entries beyond `keepSettled` there, refused ones
   * (failed, not for good, still pending) included, so memory is bounded by the files in
   * flight; `archivedEntries()` lists the rest.
   */
  entries(): LedgerEntry[];
  /** The settled entries moved to the archive, in no particular order. */
  archivedEntries(): AsyncIterable<LedgerEntry>;
  /**
   * The archived entries still to deliver (refused by the gateway in an earlier compaction's
   * time, the newest version of their path, none newer in memory), first recorded first. With
   * `pending()`, every entry still to deliver.
   */
  archivedPending(): AsyncIterable<LedgerEntry>;
  /**
   * Creates or updates the entry of `update`'s key, setting the given fields as they are (it does
   * not count attempts; `transition` does). Rejects with a TypeError on a malformed update.
   */
  record(update: LedgerUpdate): Promise<LedgerEntry>;
  /**
   * Moves an existing entry to `state` (rejects if there is none). Entering `uploading` adds
   * one attempt; `permanent` is kept only on `failed`.
   */
  transition(key: LedgerKey, state: LedgerState, extra?: LedgerTransitionExtra): Promise<LedgerEntry>;
  /** Whether some version with this path, size and mtime was acknowledged. */
  isAcknowledged(path: string, size: number, mtimeMs: number): boolean;
  /**
   * Whether some file with this content hash was acknowledged, under any path, among the entries
   * in memory (the archive is not indexed by hash).
   */
  isAcknowledgedByHash(hash: string): boolean;
  /**
   * Entries in memory still to deliver: not `acknowledged`, not permanently `failed`, and not
   * superseded by a newer version of the same path (its old content no longer exists to send).
   * Refused ones moved to the archive are in `archivedPending()`.
   */
  pending(): LedgerEntry[];
  summary(): LedgerSummary;
  /** Resolves when every write issued so far is durable. */
  flush(): Promise<void>;
  /**
   * Moves settled entries beyond `keepSettled` to the archive, writes a snapshot and empties the
   * journal now (it also happens every `compactAfter` lines).
   */
  compact(): Promise<void>;
  /** Flushes, closes the journal and releases the lock. Later writes reject. Idempotent. */
  close(): Promise<void>;
}
