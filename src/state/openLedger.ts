import { type FileHandle, mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { asyncScheduler, BehaviorSubject, firstValueFrom, merge, type Observable, Subject, type SchedulerLike, take, timer } from 'rxjs';
import {
  errorCodeOf,
  isStorageWeather,
  type JournalFile,
  journalFileOf,
  type WriteRetryOptions,
  writeRetryDelay,
} from './durableWrites.js';
import type { FileIdentity, Ledger, LedgerKey, LedgerSummary, LedgerTransitionExtra, LedgerUpdate } from './Ledger.js';
import { LedgerArchive, type ArchiveTotals } from './LedgerArchive.js';
import type { LedgerEntry, LedgerState } from './LedgerEntry.js';
import type { LedgerHealth } from './LedgerHealth.js';
import { LedgerLockedError } from './LedgerLockedError.js';
import type { LedgerRepair } from './LedgerRepair.js';
import { MAX_LISTED_DAMAGE, writeRepairNote } from './repairNote.js';
import {
  changeableFields,
  encodeLine,
  entryKey,
  deepFreeze,
  FORMAT_VERSION,
  fsyncDir,
  isLedgerState,
  JOURNAL_FILE,
  type LoadedLedger,
  loadLedger,
  SNAPSHOT_FILE,
  SNAPSHOT_TEMP_FILE,
} from './journal.js';
import { acquireLock, releaseLock } from './ledgerLock.js';
import { describeError } from './describeError.js';
import { isPending, summarize, withArchived } from './pendingEntries.js';
import { booleanOption, functionOption, integerAtLeast, isSha256Hex, nonEmptyString } from '../validation.js';

/** Options of {@link openLedger}. */
export interface OpenLedgerOptions {
  /** The state directory; created if missing. One agent per directory. */
  readonly dir: string;
  /** fsync each journal write, snapshot and directory change. Off only for tests and throwaway runs. @default true */
  readonly fsync?: boolean;
  /**
   * Journal lines after which the ledger compacts into a snapshot: at least this many, and at
   * least eight times as many as the ledger holds entries in memory, so each snapshot (which
   * writes every one of them) is paid for by that many journal lines and the bytes written per
   * record stay constant however large the ledger grows (a fixed interval made them grow with
   * it). @default 1000
   */
  readonly compactAfter?: number;
  /**
   * Settled entries (acknowledged, or failed: for good, or refused and left for a later run)
   * kept in memory and in the snapshot; a compaction moves older ones to the archive (a LevelDB
   * database in the state dir), where lookups still find them. Bounds memory and snapshot size
   * by the files in flight instead of every file ever sent or refused. @default 1000
   */
  readonly keepSettled?: number;
  /** Wall clock for `createdAt`/`updatedAt`, ms since the epoch. @default Date.now */
  readonly now?: () => number;
  /**
   * Backoff of a journal write that failed with a condition that may pass (disk full, quota,
   * I/O error, read-only remount): the write is retried, and later writes wait, until it lands.
   * @default base 1000 ms, doubling, cap 30000 ms
   */
  readonly writeRetry?: WriteRetryOptions;
  /** Clock for the retry waits and for `LedgerHealth.since`. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /**
   * Wraps the journal's append, fsync and truncate, to inject faults in tests.
   * @default the journal file as it is
   */
  readonly journalFile?: (file: JournalFile) => JournalFile;
}

interface QueueItem {
  readonly line?: string;
  readonly task?: () => Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * Journal lines between snapshots, per entry a snapshot writes. At 4 the snapshots were ~190 of
 * the ~1,100 bytes a delivered file cost (three lines a file, an entry ~250 bytes); at 8 they
 * cost half that, and the journal a reopen replays is still only ~8 lines an entry in memory.
 */
const snapshotSpacing = 8;
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
  if (typeof key.hash !== 'string' || !isSha256Hex(key.hash)) {
    return `Expected \`hash\` to be 64 lowercase hex digits, got ${JSON.stringify(key.hash)}`;
  }
  return undefined;
}

interface LedgerSettings {
  readonly fsync: boolean;
  readonly compactAfter: number;
  readonly keepSettled: number;
  readonly now: () => number;
  readonly scheduler: SchedulerLike;
  readonly retryBaseMs: number;
  readonly retryCapMs: number;
}

class FileLedger implements Ledger {
  private readonly entriesByKey: Map<string, LedgerEntry>;
  /** The keys of each path's versions in memory, in the order recorded: one key, or several. */
  private readonly keysByPath = new Map<string, string | string[]>();
  /** Entries in memory that the archive also holds, with the state it holds them in. */
  private readonly shadowed = new Map<string, LedgerState>();
  /**
   * The seq of the journal line holding each entry's whole record, for entries written whole
   * since the last compaction: a later change of the entry is journalled as a short line that
   * names that seq and carries only what can change (see journal.ts).
   */
  private readonly wholeLines = new Map<string, number>();
  private readonly queue: QueueItem[] = [];
  private draining = false;
  private failure: Error | undefined;
  private closing: Promise<void> | undefined;
  private closedError: Error | undefined;
  private closedSummary: LedgerSummary | undefined;
  private linesInJournal = 0;
  /** Journal lines after which the next compaction is due (moved on when one cannot be written). */
  private compactAt: number;
  /** Bytes of the journal known to hold whole, good lines: where a failed append is cut back to. */
  private journalLength = 0;
  /** A failed append or truncate may have left bytes past `journalLength`. */
  private mustCutBack = false;
  private failedWrites = 0;
  private readonly health$: BehaviorSubject<LedgerHealth>;
  /** Ends a retry wait early, so close() need not sit out a long backoff. */
  private readonly wake = new Subject<void>();
  private closeRequested = false;
  private readonly fsync: boolean;
  private readonly compactAfter: number;
  readonly now: () => number;
  readonly healthChanges: Observable<LedgerHealth>;
  repair: LedgerRepair | undefined;

  constructor(
    readonly dir: string,
    private readonly handle: FileHandle,
    private readonly journal: JournalFile,
    private readonly lockPath: string,
    private seq: number,
    entries: Map<string, LedgerEntry>,
    private readonly settings: LedgerSettings,
    private readonly archive: LedgerArchive,
  ) {
    ({ fsync: this.fsync, compactAfter: this.compactAfter, now: this.now } = settings);
    this.compactAt = this.compactAfter;
    this.health$ = new BehaviorSubject<LedgerHealth>({ state: 'ok', failedWrites: 0 });
    this.healthChanges = this.health$.asObservable();
    this.entriesByKey = new Map();
    for (const [key, entry] of entries) {
      this.index(key, entry);
      // After a crash between an archive write and the snapshot that drops what it moved.
      const archived = archive.get(entry);
      if (archived !== undefined) this.shadowed.set(key, archived.state);
    }
  }

  health(): LedgerHealth {
    return this.health$.value;
  }

  get(path: string): LedgerEntry | undefined {
    const inMemory = this.newestInMemory(path);
    const archived = this.archive.newest(path);
    if (archived === undefined || (inMemory !== undefined && inMemory.createdAt >= archived.createdAt)) return inMemory;
    // No version of the path in memory (a restart's walk over old files, a million times): no key to build.
    if (inMemory === undefined) return deepFreeze(archived);
    return this.entriesByKey.get(entryKey(archived)) ?? deepFreeze(archived);
  }

  getByKey(key: LedgerKey): LedgerEntry | undefined {
    return this.lookup(key);
  }

  findUnchanged(file: FileIdentity): LedgerEntry | undefined {
    if (file.dev === undefined || file.ino === undefined) return undefined;
    const newest = this.get(file.path);
    return newest !== undefined &&
      newest.dev === file.dev &&
      newest.ino === file.ino &&
      newest.size === file.size &&
      newest.mtimeMs === file.mtimeMs
      ? newest
      : undefined;
  }

  entries(): LedgerEntry[] {
    return [...this.entriesByKey.values()];
  }

  async *archivedEntries(): AsyncIterable<LedgerEntry> {
    for await (const entry of this.archive.entries()) yield deepFreeze(entry);
  }

  /** The entry of a version: in memory, else in the archive. */
  private lookup(key: LedgerKey): LedgerEntry | undefined {
    const inMemory = this.entriesByKey.get(entryKey(key));
    if (inMemory !== undefined) return inMemory;
    const archived = this.archive.get(key);
    return archived === undefined ? undefined : deepFreeze(archived);
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
    for (const field of ['dev', 'ino'] as const) {
      const value = update[field];
      if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
        return Promise.reject(new TypeError(`Expected \`${field}\` to be an integer >= 0, got ${String(value)}`));
      }
    }
    const key = entryKey(update);
    const previous = this.lookup(update);
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
    const previous = this.lookup(key);
    if (previous === undefined) {
      return Promise.reject(new Error(`No ledger entry for ${key.path} (size ${key.size}, mtime ${key.mtimeMs}); record() it first`));
    }
    const attempts = previous.attempts + (state === 'uploading' ? 1 : 0);
    return this.write(id, previous, previous, state, attempts, extra);
  }

  isAcknowledged(path: string, size: number, mtimeMs: number): boolean {
    for (const key of this.versionsOf(path)) {
      const entry = this.entriesByKey.get(key)!;
      if (entry.size === size && entry.mtimeMs === mtimeMs && entry.state === 'acknowledged') {
        return true;
      }
    }
    // The archive answers for the newest version of a path it holds.
    const archived = this.archive.newest(path);
    return (
      archived !== undefined &&
      !this.entriesByKey.has(entryKey(archived)) &&
      archived.size === size &&
      archived.mtimeMs === mtimeMs &&
      archived.state === 'acknowledged'
    );
  }

  isAcknowledgedByHash(hash: string): boolean {
    // A scan: memory holds only the work in flight, and no index by hash is worth its memory
    // (nor, in the archive, the bytes it costs to keep).
    for (const entry of this.entriesByKey.values()) {
      if (entry.hash === hash && entry.state === 'acknowledged') {
        return true;
      }
    }
    return false;
  }

  pending(): LedgerEntry[] {
    return this.entries().filter((entry) => isPending(entry, this.newestKeyOf(entry.path)));
  }

  summary(): LedgerSummary {
    return this.closedSummary ?? withArchived(summarize(this.entries(), this.pending()), this.archivedOnly());
  }

  /** The key of the newest version of `path`, in memory or archived. */
  private newestKeyOf(path: string): string | undefined {
    const newest = this.get(path);
    return newest === undefined ? undefined : entryKey(newest);
  }

  /**
   * The archive's totals without the entries memory holds newer states of, and without the
   * archived pending versions that memory holds the same or a newer version of.
   */
  private archivedOnly(): ArchiveTotals {
    let totals = this.archive.summary();
    if (this.shadowed.size > 0) {
      const counts = { ...totals.counts };
      for (const state of this.shadowed.values()) counts[state] -= 1;
      totals = { ...totals, total: totals.total - this.shadowed.size, counts };
    }
    if ((totals.pending ?? 0) === 0) return totals;
    let overridden = 0;
    let oldestPending = totals.oldestPending;
    for (const path of this.keysByPath.keys()) {
      if (this.archivedPendingOf(path)?.inMemory !== true) continue;
      overridden += 1;
      // The next oldest is left to the next compaction's index read: the oldest in memory stands in.
      if (oldestPending?.path === path) oldestPending = undefined;
    }
    const { oldestPending: _archived, ...rest } = totals;
    return { ...rest, pending: totals.pending! - overridden, ...(oldestPending === undefined ? {} : { oldestPending }) };
  }

  /**
   * The archived version of `path` if it is pending, and whether memory holds a version as new
   * (the same one sent again, or a newer one): then memory's counts, not the archive's.
   */
  private archivedPendingOf(path: string): { archived: LedgerEntry; inMemory: boolean } | undefined {
    const archived = this.archive.newest(path);
    if (archived === undefined || !isPending(archived, undefined)) return undefined;
    return { archived, inMemory: this.holdsAsNew(archived) };
  }

  /** Whether memory holds a version of `archived`'s path at least as new (it, sent again, or a newer one). */
  private holdsAsNew(archived: LedgerEntry): boolean {
    const inMemory = this.newestInMemory(archived.path);
    return inMemory !== undefined && inMemory.createdAt >= archived.createdAt;
  }

  async *archivedPending(): AsyncIterable<LedgerEntry> {
    // The archive gives each path's newest version, pending: only memory is left to ask.
    for await (const entry of this.archive.pendingEntries()) {
      if (!this.holdsAsNew(entry)) yield deepFreeze(entry);
    }
  }

  flush(): Promise<void> {
    return this.enqueue({ task: async () => undefined });
  }

  compact(): Promise<void> {
    return this.enqueue({ task: () => this.compactNow() });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      // Writes already queued still land; new ones are refused from this moment. A write waiting
      // for disk space gets one more attempt now rather than after its backoff, and is then
      // given up: closing must not hang on a full disk (the journal stays valid either way).
      this.closeRequested = true;
      this.wake.next();
      const drained = this.enqueue({ task: async () => undefined }, true);
      this.closedError = new Error(`The ledger in ${this.dir} is closed`);
      try {
        await drained.catch(() => undefined);
      } finally {
        // What summary() answers from now on: it needs the archive's lookups, and nothing changes any more.
        this.closedSummary = this.summary();
        await this.archive.close().catch(() => undefined);
        await this.handle.close().catch(() => undefined);
        await releaseLock(this.lockPath);
        this.health$.complete();
      }
    })();
    return this.closing;
  }

  /**
   * Called once the journal is open, before any write: folds a non-empty journal into a
   * snapshot. Settled entries beyond `keepSettled` go to the archive first (durably), then the
   * snapshot is written without them.
   */
  async compactNow(): Promise<void> {
    // Taken synchronously, so it covers exactly the records with seq <= lastSeq, queued ones included.
    const lastSeq = this.seq;
    // Lines from here on land in a journal the snapshot starts afresh: a short line there must
    // not name a whole one this snapshot covers (a reopen skips those), so each entry's next
    // change is written whole again.
    this.wholeLines.clear();
    const { kept, moved } = this.partitionForArchive();
    await this.archive.store(moved);
    for (const entry of moved) this.forget(entry);
    const archived = this.archivedOnly();
    const text = encodeLine({ version: FORMAT_VERSION, lastSeq, entries: kept, archived });
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
    this.compactAt = this.nextCompactionAfter();
    this.journalLength = 0;
    this.mustCutBack = false;
  }

  /**
   * The entries a snapshot keeps, and the settled ones (acknowledged, failed) beyond
   * `keepSettled` (least recently changed) to archive.
   */
  private partitionForArchive(): { kept: LedgerEntry[]; moved: LedgerEntry[] } {
    const all = this.entries();
    // Refused entries (failed, not for good) too: this run sends them no more, and a gateway
    // refusing every file for days must not fill memory; the next run finds them in the archive.
    const settled = all.filter((entry) => entry.state === 'acknowledged' || entry.state === 'failed');
    if (settled.length <= this.settings.keepSettled) return { kept: all, moved: [] };
    settled.sort((a, b) => a.updatedAt - b.updatedAt);
    const moved = settled.slice(0, settled.length - this.settings.keepSettled);
    const leaving = new Set(moved);
    return { kept: all.filter((entry) => !leaving.has(entry)), moved };
  }

  /** Drops an archived entry from memory, unless it changed while the archive was written. */
  private forget(entry: LedgerEntry): void {
    const key = entryKey(entry);
    if (this.entriesByKey.get(key) !== entry) {
      this.shadowed.set(key, entry.state);
      return;
    }
    this.shadowed.delete(key);
    this.entriesByKey.delete(key);
    this.wholeLines.delete(key);
    const others = this.versionsOf(entry.path).filter((other) => other !== key);
    if (others.length === 0) this.keysByPath.delete(entry.path);
    else this.keysByPath.set(entry.path, others.length === 1 ? others[0]! : others);
  }

  private versionsOf(path: string): readonly string[] {
    const keys = this.keysByPath.get(path);
    return keys === undefined ? [] : typeof keys === 'string' ? [keys] : keys;
  }

  /** The newest version of `path` in memory: the latest `createdAt`, ties going to the later-recorded. */
  private newestInMemory(path: string): LedgerEntry | undefined {
    let newest: LedgerEntry | undefined;
    for (const key of this.versionsOf(path)) {
      const entry = this.entriesByKey.get(key)!;
      if (newest === undefined || entry.createdAt >= newest.createdAt) newest = entry;
    }
    return newest;
  }

  /**
   * Open found a non-empty journal but the disk has no room for a snapshot: keep the journal,
   * cut off a torn tail (shrinking needs no space) and append after its last good line.
   */
  async keepJournal(loaded: LoadedLedger): Promise<void> {
    await unlink(join(this.dir, SNAPSHOT_TEMP_FILE)).catch(() => undefined);
    this.journalLength = loaded.completeBytes;
    this.linesInJournal = loaded.completeLines;
    this.compactAt = this.linesInJournal + this.nextCompactionAfter();
    this.mustCutBack = true;
    await this.journal.truncate(this.journalLength).then(
      () => {
        this.mustCutBack = false;
      },
      () => undefined,
    );
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
    const dev = (key as LedgerUpdate).dev ?? previous?.dev;
    const ino = (key as LedgerUpdate).ino ?? previous?.ino;
    const entry: LedgerEntry = {
      path: key.path,
      size: key.size,
      mtimeMs: key.mtimeMs,
      hash: key.hash,
      ...(dev === undefined ? {} : { dev }),
      ...(ino === undefined ? {} : { ino }),
      state,
      attempts,
      ...error,
      ...(permanent === undefined ? {} : { permanent }),
      ...(reduction === undefined ? {} : { reduction }),
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
    };
    const wholeLine = this.wholeLines.get(id);
    // A change of state alone (the usual case: seen, uploading, acknowledged) is a short line; a
    // change of what identifies the file on disk, or an entry not written whole since the last
    // compaction, is written whole.
    const short = wholeLine !== undefined && previous !== undefined && entry.dev === previous.dev && entry.ino === previous.ino && entry.createdAt === previous.createdAt;
    let line: string;
    let stored: LedgerEntry;
    try {
      line = encodeLine(short ? { seq: this.seq + 1, of: wholeLine, set: changeableFields(entry) } : { seq: this.seq + 1, entry });
      // What a reopen will see. Only a reduction the caller gives now (its settings are the
      // caller's object) can hold what JSON drops or changes, so only that is passed through
      // JSON; one carried over was stored that way already. Otherwise the entry is kept as built,
      // sharing the caller's strings (a parsed copy would hold a second copy of each path and hash).
      stored = deepFreeze(extra.reduction === undefined ? entry : { ...entry, reduction: JSON.parse(JSON.stringify(extra.reduction)) as LedgerEntry['reduction'] });
    } catch (cause) {
      return Promise.reject(new TypeError(`Expected the entry of ${key.path} to be JSON-serialisable`, { cause }));
    }
    this.seq += 1;
    if (!short) this.wholeLines.set(id, this.seq);
    // An archived entry changing again (a resend): memory holds its new state from now on.
    if (previous !== undefined && !this.entriesByKey.has(id)) this.shadowed.set(id, previous.state);
    this.index(id, stored);
    return this.enqueue({ line }).then(() => stored);
  }

  private index(key: string, entry: LedgerEntry): void {
    const isNew = !this.entriesByKey.has(key);
    this.entriesByKey.set(key, entry);
    if (!isNew) {
      return;
    }
    const keys = this.keysByPath.get(entry.path);
    this.keysByPath.set(entry.path, keys === undefined ? key : typeof keys === 'string' ? [keys, key] : [...keys, key]);
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
            if (isStorageWeather(error)) {
              // A snapshot the disk had no room for; the journal still holds everything.
              await unlink(join(this.dir, SNAPSHOT_TEMP_FILE)).catch(() => undefined);
            } else {
              this.fail(error);
            }
          }
          continue;
        }
        let count = 0;
        while (count < this.queue.length && count < MAX_BATCH && this.queue[count]!.line !== undefined) {
          count += 1;
        }
        // Left at the head while it is retried, so later writes queue behind it in order.
        const batch = this.queue.slice(0, count);
        try {
          if (this.failure !== undefined) {
            throw this.failure;
          }
          await this.appendDurably(batch.map((item) => item.line).join(''));
        } catch (error) {
          this.queue.splice(0, count);
          for (const item of batch) {
            item.reject(this.fail(error));
          }
          continue;
        }
        this.queue.splice(0, count);
        this.linesInJournal += batch.length;
        for (const item of batch) {
          item.resolve();
        }
        if (this.linesInJournal >= this.compactAt) {
          await this.compactOrPostpone();
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Appends `text` and fsyncs it, waiting out disk-full and I/O errors: after each failure the
   * journal is cut back to its last good length (a partial line would otherwise get the next
   * append glued to it and spoil both), health turns `degraded`, and the write is tried again
   * after a backoff. Throws on any other error, or when the ledger is closed while degraded.
   */
  private async appendDurably(text: string): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (this.mustCutBack) {
          await this.journal.truncate(this.journalLength);
          this.mustCutBack = false;
        }
        this.mustCutBack = true;
        await this.journal.append(text);
        if (this.fsync) {
          await this.journal.sync();
        }
        this.mustCutBack = false;
        this.journalLength += Buffer.byteLength(text);
        if (this.health$.value.state === 'degraded') {
          this.health$.next({ state: 'ok', failedWrites: this.failedWrites });
        }
        return;
      } catch (error) {
        this.failedWrites += 1;
        // Cut back at once, so a crash while degraded leaves no partial line either.
        await this.journal.truncate(this.journalLength).then(
          () => {
            this.mustCutBack = false;
          },
          () => undefined,
        );
        if (!isStorageWeather(error) || this.closeRequested) {
          throw error;
        }
        const retryInMs = writeRetryDelay(attempt, this.settings.retryBaseMs, this.settings.retryCapMs);
        const previous = this.health$.value;
        this.health$.next({
          state: 'degraded',
          code: errorCodeOf(error) ?? 'EIO',
          error: describeError(error as Error),
          since: previous.state === 'degraded' ? previous.since : this.settings.scheduler.now(),
          attempt,
          retryInMs,
          failedWrites: this.failedWrites,
        });
        await firstValueFrom(merge(timer(retryInMs, this.settings.scheduler), this.wake).pipe(take(1)));
      }
    }
  }

  /** A snapshot that cannot be written (disk full) waits for more journal lines; the journal still holds everything. */
  private async compactOrPostpone(): Promise<void> {
    try {
      await this.compactNow();
    } catch (error) {
      if (!isStorageWeather(error)) {
        this.fail(error);
        return;
      }
      this.failedWrites += 1;
      await unlink(join(this.dir, SNAPSHOT_TEMP_FILE)).catch(() => undefined);
      this.compactAt = this.linesInJournal + this.nextCompactionAfter();
    }
  }

  /**
   * Journal lines until the next snapshot: never fewer than eight times the entries a snapshot
   * writes, so snapshots cost each journal line at most an eighth of an entry.
   */
  private nextCompactionAfter(): number {
    return Math.max(this.compactAfter, snapshotSpacing * this.entriesByKey.size);
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
 * consistent: every write whose promise resolved is there after a restart. A lock (a symlink
 * naming the pid) keeps a second agent out; a lock left by a dead process is taken over. A full
 * or failing disk pauses writes rather than failing them (see `health()`), and damaged records
 * found on opening are dropped and reported (`repair`, and `repair.json` for `status`). See
 * `journal.ts` for the exact file format and recovery rules.
 *
 * ```ts
 * declare const item: FileItem;
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
  const { dir, fsync = true, compactAfter = 1000, keepSettled = 1000, now = Date.now, scheduler = asyncScheduler, journalFile = (file) => file } =
    options ?? ({} as OpenLedgerOptions);
  const { baseMs: retryBaseMs = 1000, capMs: retryCapMs = 30_000 } = options?.writeRetry ?? {};
  nonEmptyString('dir', dir);
  booleanOption('fsync', fsync);
  integerAtLeast('compactAfter', compactAfter, 1);
  integerAtLeast('keepSettled', keepSettled, 0);
  functionOption('now', now);
  if (!Number.isInteger(retryBaseMs) || retryBaseMs < 1 || !Number.isInteger(retryCapMs) || retryCapMs < retryBaseMs) {
    throw new TypeError(`Expected \`writeRetry\` to have integers 1 <= baseMs <= capMs, got ${String(retryBaseMs)} and ${String(retryCapMs)}`);
  }
  functionOption('journalFile', journalFile);
  const settings: LedgerSettings = { fsync, compactAfter, keepSettled, now, scheduler, retryBaseMs, retryCapMs };
  return (async () => {
    await mkdir(dir, { recursive: true });
    const lockPath = await acquireLock(dir, (path, pid) => new LedgerLockedError(path, pid));
    let handle: FileHandle | undefined;
    let archive: LedgerArchive | undefined;
    try {
      // A compaction that crashed before its rename; the journal still holds everything it had.
      await unlink(join(dir, SNAPSHOT_TEMP_FILE)).catch(() => undefined);
      const loaded = await loadLedger(dir);
      handle = await open(join(dir, JOURNAL_FILE), 'a');
      archive = await LedgerArchive.open(dir, fsync);
      const ledger = new FileLedger(dir, handle, journalFile(journalFileOf(handle)), lockPath, loaded.lastSeq, loaded.entries, settings, archive);
      // Noted before the compaction below drops the damaged lines for good.
      ledger.repair = await noteRepair(dir, loaded, now, fsync);
      if (loaded.journalBytes > 0) {
        await ledger.compactNow().catch(async (error: unknown) => {
          if (!isStorageWeather(error)) throw error;
          await ledger.keepJournal(loaded);
        });
      }
      return ledger;
    } catch (error) {
      await archive?.close().catch(() => undefined);
      await handle?.close().catch(() => undefined);
      await releaseLock(lockPath);
      throw error;
    }
  })();
}

/** The repair a load implies, noted in the state dir (best effort: the disk may be full). */
async function noteRepair(dir: string, loaded: LoadedLedger, now: () => number, fsync: boolean): Promise<LedgerRepair | undefined> {
  if (loaded.damage.length === 0) return undefined;
  const repair: LedgerRepair = { at: now(), dir, dropped: loaded.damage.length, damage: loaded.damage.slice(0, MAX_LISTED_DAMAGE) };
  await writeRepairNote(repair, fsync).catch(() => undefined);
  return repair;
}
