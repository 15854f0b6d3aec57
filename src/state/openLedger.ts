import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ledger, LedgerKey, LedgerSummary, LedgerTransitionExtra, LedgerUpdate } from './Ledger.js';
import type { LedgerEntry, LedgerState } from './LedgerEntry.js';
import { LedgerLockedError } from './LedgerLockedError.js';
import {
  acquireLock,
  describeError,
  encodeLine,
  entryKey,
  deepFreeze,
  FORMAT_VERSION,
  fsyncDir,
  isLedgerState,
  isPending,
  JOURNAL_FILE,
  type JournalRecord,
  loadLedger,
  releaseLock,
  SNAPSHOT_FILE,
  SNAPSHOT_TEMP_FILE,
  summarize,
} from './ledgerInternals.js';

/** Options of {@link openLedger}. */
export interface OpenLedgerOptions {
  /** The state directory; created if missing. One agent per directory. */
  readonly dir: string;
  /** fsync each journal write, snapshot and directory change. Off only for tests and throwaway runs. @default true */
  readonly fsync?: boolean;
  /** Journal lines after which the ledger compacts into a snapshot. @default 1000 */
  readonly compactAfter?: number;
  /** Wall clock for `createdAt`/`updatedAt`, ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

interface QueueItem {
  readonly line?: string;
  readonly task?: () => Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

const HASH = /^[0-9a-f]{64}$/;
/** Lines per write+fsync, so one huge backlog does not become one huge write. */
const MAX_BATCH = 512;

function validateKey(key: LedgerKey | undefined): string | undefined {
  if (typeof key !== 'object' || key === null) {
    return `Expected a ledger key object, got ${String(key)}`;
  }
  if (typeof key.path !== 'string' || key.path === '') {
    return `Expected \`path\` to be a non-empty string, got ${JSON.stringify(key.path)}`;
  }
  if (!Number.isInteger(key.size) || key.size < 0) {
    return `Expected \`size\` to be an integer >= 0, got ${String(key.size)}`;
  }
  if (typeof key.mtimeMs !== 'number' || !Number.isFinite(key.mtimeMs)) {
    return `Expected \`mtimeMs\` to be a finite number, got ${String(key.mtimeMs)}`;
  }
  if (typeof key.hash !== 'string' || !HASH.test(key.hash)) {
    return `Expected \`hash\` to be 64 lowercase hex digits, got ${JSON.stringify(key.hash)}`;
  }
  return undefined;
}

class FileLedger implements Ledger {
  private readonly entriesByKey: Map<string, LedgerEntry>;
  private readonly keysByPath = new Map<string, Set<string>>();
  private readonly keysByHash = new Map<string, Set<string>>();
  private readonly newestByPath = new Map<string, string>();
  private readonly queue: QueueItem[] = [];
  private draining = false;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private closedError: Error | undefined;
  private linesInJournal = 0;

  constructor(
    readonly dir: string,
    private readonly journal: FileHandle,
    private readonly lockPath: string,
    private seq: number,
    entries: Map<string, LedgerEntry>,
    private readonly fsync: boolean,
    private readonly compactAfter: number,
    private readonly now: () => number,
  ) {
    this.entriesByKey = new Map();
    for (const [key, entry] of entries) {
      this.index(key, entry);
    }
  }

  get(path: string): LedgerEntry | undefined {
    const key = this.newestByPath.get(path);
    return key === undefined ? undefined : this.entriesByKey.get(key);
  }

  getByKey(key: LedgerKey): LedgerEntry | undefined {
    return this.entriesByKey.get(entryKey(key));
  }

  entries(): LedgerEntry[] {
    return [...this.entriesByKey.values()];
  }

  record(update: LedgerUpdate): Promise<LedgerEntry> {
    const problem = validateKey(update);
    if (problem !== undefined) {
      return Promise.reject(new TypeError(problem));
    }
    if (update.state !== undefined && !isLedgerState(update.state)) {
      return Promise.reject(new TypeError(`Expected \`state\` to be a ledger state, got ${JSON.stringify(update.state)}`));
    }
    if (update.attempts !== undefined && (!Number.isInteger(update.attempts) || update.attempts < 0)) {
      return Promise.reject(new TypeError(`Expected \`attempts\` to be an integer >= 0, got ${String(update.attempts)}`));
    }
    const key = entryKey(update);
    const previous = this.entriesByKey.get(key);
    const state = update.state ?? previous?.state ?? 'seen';
    return this.write(key, update, previous, state, update.attempts ?? previous?.attempts ?? 0, update);
  }

  transition(key: LedgerKey, state: LedgerState, extra: LedgerTransitionExtra = {}): Promise<LedgerEntry> {
    const problem = validateKey(key);
    if (problem !== undefined) {
      return Promise.reject(new TypeError(problem));
    }
    if (!isLedgerState(state)) {
      return Promise.reject(new TypeError(`Expected \`state\` to be a ledger state, got ${JSON.stringify(state)}`));
    }
    const id = entryKey(key);
    const previous = this.entriesByKey.get(id);
    if (previous === undefined) {
      return Promise.reject(new Error(`No ledger entry for ${key.path} (size ${key.size}, mtime ${key.mtimeMs}); record() it first`));
    }
    const attempts = previous.attempts + (state === 'uploading' ? 1 : 0);
    return this.write(id, previous, previous, state, attempts, extra);
  }

  isAcknowledged(path: string, size: number, mtimeMs: number): boolean {
    for (const key of this.keysByPath.get(path) ?? []) {
      const entry = this.entriesByKey.get(key)!;
      if (entry.size === size && entry.mtimeMs === mtimeMs && entry.state === 'acknowledged') {
        return true;
      }
    }
    return false;
  }

  isAcknowledgedByHash(hash: string): boolean {
    for (const key of this.keysByHash.get(hash) ?? []) {
      if (this.entriesByKey.get(key)!.state === 'acknowledged') {
        return true;
      }
    }
    return false;
  }

  pending(): LedgerEntry[] {
    return this.entries().filter((entry) => isPending(entry, this.newestByPath.get(entry.path)));
  }

  summary(): LedgerSummary {
    return summarize(this.entries(), this.pending());
  }

  flush(): Promise<void> {
    return this.enqueue({ task: async () => undefined });
  }

  compact(): Promise<void> {
    return this.enqueue({ task: () => this.compactNow() });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Writes already queued still land; new ones are refused from this moment.
      const drained = this.enqueue({ task: async () => undefined }, true);
      this.closedError = new Error(`The ledger in ${this.dir} is closed`);
      try {
        await drained.catch(() => undefined);
      } finally {
        await this.journal.close().catch(() => undefined);
        await releaseLock(this.lockPath);
      }
    })();
    return this.closing;
  }

  /** Called once the journal is open, before any write: folds a non-empty journal into a snapshot. */
  async compactNow(): Promise<void> {
    // Taken synchronously, so it covers exactly the records with seq <= lastSeq, queued ones included.
    const text = encodeLine({ version: FORMAT_VERSION, lastSeq: this.seq, entries: this.entries() });
    const temp = join(this.dir, SNAPSHOT_TEMP_FILE);
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(text);
      if (this.fsync) {
        await handle.sync();
      }
    } finally {
      await handle.close();
    }
    await rename(temp, join(this.dir, SNAPSHOT_FILE));
    if (this.fsync) {
      await fsyncDir(this.dir);
    }
    await this.journal.truncate(0);
    if (this.fsync) {
      await this.journal.sync();
    }
    this.linesInJournal = 0;
  }

  private write(
    id: string,
    key: LedgerKey,
    previous: LedgerEntry | undefined,
    state: LedgerState,
    attempts: number,
    extra: LedgerTransitionExtra,
  ): Promise<LedgerEntry> {
    const refusal = this.failure ?? this.closedError;
    if (refusal !== undefined) {
      return Promise.reject(refusal);
    }
    const now = this.now();
    let error: Pick<LedgerEntry, 'lastError' | 'lastErrorAt'> = {};
    if (extra.lastError === undefined && previous?.lastError !== undefined) {
      error = { lastError: previous.lastError, lastErrorAt: previous.lastErrorAt };
    } else if (extra.lastError !== undefined && extra.lastError !== null) {
      error = { lastError: describeError(extra.lastError), lastErrorAt: now };
    }
    // A failure stays permanent only until the entry moves on, e.g. when the user forces a retry.
    const permanent =
      state === 'failed' ? (extra.permanent ?? (previous?.state === 'failed' ? previous.permanent : undefined) ?? false) : undefined;
    const reduction = extra.reduction ?? previous?.reduction;
    const entry: LedgerEntry = {
      path: key.path,
      size: key.size,
      mtimeMs: key.mtimeMs,
      hash: key.hash,
      state,
      attempts,
      ...error,
      ...(permanent === undefined ? {} : { permanent }),
      ...(reduction === undefined ? {} : { reduction }),
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    };
    let line: string;
    try {
      line = encodeLine({ seq: this.seq + 1, entry });
    } catch (cause) {
      return Promise.reject(new TypeError(`Expected the entry of ${key.path} to be JSON-serialisable`, { cause }));
    }
    // The parsed copy is exactly what a reopen will see (JSON drops undefined fields and functions).
    const stored = deepFreeze((JSON.parse(line.slice(17)) as JournalRecord).entry);
    this.seq += 1;
    this.index(id, stored);
    return this.enqueue({ line }).then(() => stored);
  }

  private index(key: string, entry: LedgerEntry): void {
    const isNew = !this.entriesByKey.has(key);
    this.entriesByKey.set(key, entry);
    if (!isNew) {
      return;
    }
    const byPath = this.keysByPath.get(entry.path) ?? new Set();
    byPath.add(key);
    this.keysByPath.set(entry.path, byPath);
    const byHash = this.keysByHash.get(entry.hash) ?? new Set();
    byHash.add(key);
    this.keysByHash.set(entry.hash, byHash);
    const newest = this.newestByPath.get(entry.path);
    if (newest === undefined || entry.createdAt >= this.entriesByKey.get(newest)!.createdAt) {
      this.newestByPath.set(entry.path, key);
    }
  }

  private enqueue(item: { line?: string; task?: () => Promise<void> }, evenIfFailed = false): Promise<void> {
    const refusal = this.failure ?? this.closedError;
    if (refusal !== undefined && !evenIfFailed) {
      return Promise.reject(refusal);
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.task !== undefined) {
          this.queue.shift();
          try {
            await head.task();
            head.resolve();
          } catch (error) {
            head.reject(error as Error);
            this.fail(error);
          }
          continue;
        }
        let count = 0;
        while (count < this.queue.length && count < MAX_BATCH && this.queue[count]!.line !== undefined) {
          count += 1;
        }
        const batch = this.queue.splice(0, count);
        try {
          if (this.failure !== undefined) {
            throw this.failure;
          }
          await this.journal.appendFile(batch.map((item) => item.line).join(''));
          if (this.fsync) {
            await this.journal.sync();
          }
        } catch (error) {
          for (const item of batch) {
            item.reject(this.fail(error));
          }
          continue;
        }
        this.linesInJournal += batch.length;
        for (const item of batch) {
          item.resolve();
        }
        if (this.linesInJournal >= this.compactAfter) {
          try {
            await this.compactNow();
          } catch (error) {
            this.fail(error);
          }
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /** After a failed write memory is ahead of the disk, so refuse every later write. */
  private fail(error: unknown): Error {
    this.failure ??= new Error(`The ledger in ${this.dir} could not be written: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    });
    return this.failure;
  }
}

/**
 * Opens (or creates) the durable ledger in a state directory.
 *
 * The ledger records each file version's progress (seen → reducing → reduced → uploading →
 * acknowledged, or failed) in an append-only, checksummed journal that is compacted into an
 * atomically replaced snapshot, so a crash at any instant, `kill -9` included, leaves it
 * consistent: every write whose promise resolved is there after a restart. A lock file holding
 * the pid keeps a second agent out; a lock left by a dead process is taken over. See
 * `ledgerInternals.ts` for the exact file format and recovery rules.
 *
 * ```ts
 * const ledger = await openLedger({ dir: '/var/lib/haste-agent' });
 * const hash = await hashFile(item.path);
 * if (!ledger.isAcknowledged(item.path, item.size, item.mtimeMs)) {
 *   await ledger.record({ ...item, hash });
 *   await ledger.transition({ ...item, hash }, 'uploading');
 * }
 * await ledger.close();
 * ```
 *
 * @param options - The state directory and durability settings.
 * @returns The open ledger; rejects with {@link LedgerLockedError} when a live agent holds the
 *   directory, or with an Error when the snapshot is corrupt. Throws a TypeError at once on
 *   invalid options.
 */
export function openLedger(options: OpenLedgerOptions): Promise<Ledger> {
  const { dir, fsync = true, compactAfter = 1000, now = Date.now } = options ?? ({} as OpenLedgerOptions);
  if (typeof dir !== 'string' || dir === '') {
    throw new TypeError(`Expected \`dir\` to be a non-empty string, got ${JSON.stringify(dir)}`);
  }
  if (typeof fsync !== 'boolean') {
    throw new TypeError(`Expected \`fsync\` to be a boolean, got ${String(fsync)}`);
  }
  if (!Number.isInteger(compactAfter) || compactAfter < 1) {
    throw new TypeError(`Expected \`compactAfter\` to be an integer >= 1, got ${String(compactAfter)}`);
  }
  if (typeof now !== 'function') {
    throw new TypeError(`Expected \`now\` to be a function, got ${typeof now}`);
  }
  return (async () => {
    await mkdir(dir, { recursive: true });
    const lockPath = await acquireLock(dir, (path, pid) => new LedgerLockedError(path, pid));
    let journal: FileHandle | undefined;
    try {
      // A compaction that crashed before its rename; the journal still holds everything it had.
      await unlink(join(dir, SNAPSHOT_TEMP_FILE)).catch(() => undefined);
      const loaded = await loadLedger(dir);
      journal = await open(join(dir, JOURNAL_FILE), 'a');
      const ledger = new FileLedger(dir, journal, lockPath, loaded.lastSeq, loaded.entries, fsync, compactAfter, now);
      if (loaded.journalBytes > 0) {
        await ledger.compactNow();
      }
      return ledger;
    } catch (error) {
      await journal?.close().catch(() => undefined);
      await releaseLock(lockPath);
      throw error;
    }
  })();
}
