// The ledger's archive: entries this run is done with (acknowledged, failed for good, or refused
// by the gateway and left for a later run) that no longer need to be in memory. The journal and
// snapshot hold what is in flight and what changed lately; once such an entry is old enough, a
// compaction moves it here, so the agent's memory and its snapshots stay the size of the work in
// flight whatever number of files it has ever sent or been refused.
//
// A LevelDB database (classic-level: its prebuilt binary ships inside the npm package) in
// `<state dir>/archive`, with string keys:
//
//   p<path>       the archived versions of that path (usually one), each a compact tuple
//                 without its `path` (the key has it): see archivedVersions.ts. Entries archived
//                 before as JSON objects, with their path or without it, are read too.
//   r<createdAt><NUL><path>
//                 an index of the paths whose newest archived version is still pending (refused
//                 by the gateway, for a later run), oldest first; createdAt is 16 zero-padded
//                 digits, the value empty. A restart checks these for files removed meanwhile.
//   m             the archive's totals: counts by state, total, pending, last error (JSON)
//
// One key a path, and nothing indexed by hash: keys that arrive in the order files do (paths)
// cost LevelDB little to compact, and random ones (hashes) a lot; an index by hash tripled the
// bytes written per file.
//
// LevelDB keeps its write buffer and block cache in memory, and maps the tables it holds open
// (at least 64; compactions' tables of ≤256 KiB, the write buffer's flushes of ~1.4 MB), and
// answers a lookup from those or one table read (a Bloom filter skips tables for a key that is
// not there), so lookups are synchronous (`getSync`) and neither their cost nor the memory
// grows with the number of entries. A store is one batch, written with `sync` when the ledger
// fsyncs: durable before the compaction that moved the entries drops them from the snapshot.
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { type BatchOperation, ClassicLevel } from 'classic-level';
import type { LedgerKey } from './Ledger.js';
import type { LedgerEntry, LedgerState } from './LedgerEntry.js';
import { decodeVersions, encodeVersions } from './archivedVersions.js';
import { entryKey, LEDGER_STATES } from './journal.js';
import { isPending } from './pendingEntries.js';

/** Totals of what the archive holds. */
export interface ArchiveTotals {
  readonly total: number;
  readonly counts: Readonly<Record<LedgerState, number>>;
  /** Paths whose newest archived version is still pending (absent in archives written before it could be). */
  readonly pending?: number;
  /** The first recorded of those. */
  readonly oldestPending?: { readonly path: string; readonly state: LedgerState; readonly createdAt: number };
  readonly lastError?: { readonly path: string; readonly message: string; readonly at: number };
}

export const ARCHIVE_FOLDER = 'archive';

/** LevelDB reports I/O failures as text; the conditions the ledger waits out get their errno code back. */
const WEATHER_TEXT: readonly [RegExp, string][] = [
  [/No space left on device/i, 'ENOSPC'],
  [/Disk quota exceeded/i, 'EDQUOT'],
  [/Input\/output error/i, 'EIO'],
  [/Read-only file system/i, 'EROFS'],
];

function withErrnoCode(error: unknown): unknown {
  const message = (error as Error | null)?.message ?? '';
  const causeMessage = ((error as { cause?: Error } | null)?.cause as Error | undefined)?.message ?? '';
  for (const [pattern, code] of WEATHER_TEXT) {
    if (pattern.test(message) || pattern.test(causeMessage)) {
      return Object.assign(new Error(`The ledger archive could not be written: ${message}`, { cause: error }), { code });
    }
  }
  return error;
}

export function emptyTotals(): ArchiveTotals {
  return { total: 0, counts: Object.fromEntries(LEDGER_STATES.map((state) => [state, 0])) as Record<LedgerState, number> };
}

/** The entries a ledger is done with for now, on disk; see the comment at the top of this file. */
export class LedgerArchive {
  private db: ClassicLevel<string, string> | undefined;
  private totals: ArchiveTotals = emptyTotals();
  /** Set after a failed write: LevelDB refuses every later write until it is reopened. */
  private mustReopen = false;

  private constructor(
    private readonly folder: string,
    private readonly sync: boolean,
  ) {}

  /** Opens the archive of the state dir `dir` if it has one; creates nothing until the first store. */
  static async open(dir: string, sync: boolean): Promise<LedgerArchive> {
    const archive = new LedgerArchive(join(dir, ARCHIVE_FOLDER), sync);
    const exists = await access(join(archive.folder, 'CURRENT')).then(
      () => true,
      () => false,
    );
    if (exists) await archive.openDb();
    return archive;
  }

  /** What the archive holds, in totals. */
  summary(): ArchiveTotals {
    return this.totals;
  }

  /** The archived entry of exactly this version. */
  get(key: LedgerKey): LedgerEntry | undefined {
    return this.versions(key.path).find((entry) => entry.size === key.size && entry.mtimeMs === key.mtimeMs && entry.hash === key.hash);
  }

  /** The newest archived version of `path`: the latest `createdAt`, ties going to the later-archived. */
  newest(path: string): LedgerEntry | undefined {
    return newestOf(this.versions(path));
  }

  /**
   * The newest archived version of each path where it is still pending (refused by the gateway,
   * for a later run), oldest first.
   */
  async *pendingEntries(): AsyncIterable<LedgerEntry> {
    if (this.db === undefined) return;
    for await (const key of this.db.keys({ gte: PENDING_PREFIX, lt: PENDING_END })) {
      const newest = this.newest(pathOfPendingKey(key));
      if (newest !== undefined && isPending(newest, undefined)) yield newest;
    }
  }

  /** Every archived entry, in path order. */
  async *entries(): AsyncIterable<LedgerEntry> {
    if (this.db === undefined) return;
    for await (const [key, text] of this.db.iterator({ gte: 'p', lt: 'q' })) {
      yield* decodeVersions(key.slice(1), text);
    }
  }

  private versions(path: string): LedgerEntry[] {
    const text = this.db?.getSync(`p${path}`);
    return text === undefined ? [] : decodeVersions(path, text);
  }

  /**
   * Stores settled entries (new ones, or new states of archived ones) in one batch, durable when
   * the promise resolves. A disk-full or I/O error rejects with its errno code (`ENOSPC`, …).
   */
  async store(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      if (this.mustReopen) {
        await this.db?.close();
        this.db = undefined;
      }
      if (this.db === undefined) await this.openDb();
      this.mustReopen = false;
      const db = this.db!;
      const counts = { ...this.totals.counts };
      let { total, lastError } = this.totals;
      let pending = this.totals.pending ?? 0;
      const byPath = new Map<string, LedgerEntry[]>();
      // Each path's newest version before this batch, for the index of pending ones.
      const newestBefore = new Map<string, LedgerEntry | undefined>();
      for (const entry of entries) {
        let versions = byPath.get(entry.path);
        if (versions === undefined) {
          versions = this.versions(entry.path);
          newestBefore.set(entry.path, newestOf(versions));
        }
        const key = entryKey(entry);
        const at = versions.findIndex((version) => entryKey(version) === key);
        if (at === -1) {
          total += 1;
          versions.push(entry);
        } else {
          counts[versions[at]!.state] -= 1;
          versions[at] = entry;
        }
        counts[entry.state] += 1;
        byPath.set(entry.path, versions);
        if (entry.lastError !== undefined && entry.lastErrorAt !== undefined && (lastError === undefined || entry.lastErrorAt >= lastError.at)) {
          lastError = { path: entry.path, message: entry.lastError, at: entry.lastErrorAt };
        }
      }
      const operations: BatchOperation<ClassicLevel<string, string>, string, string>[] = [];
      for (const [path, versions] of byPath) {
        operations.push({ type: 'put', key: `p${path}`, value: encodeVersions(versions) });
        const before = newestBefore.get(path);
        const after = newestOf(versions)!;
        if (before !== undefined && isPending(before, undefined)) {
          operations.push({ type: 'del', key: pendingKey(before) });
          pending -= 1;
        }
        if (isPending(after, undefined)) {
          operations.push({ type: 'put', key: pendingKey(after), value: '' });
          pending += 1;
        }
      }
      const totals: ArchiveTotals = { total, counts, pending, ...(lastError === undefined ? {} : { lastError }) };
      operations.push({ type: 'put', key: 'm', value: JSON.stringify(totals) });
      await db.batch(operations, { sync: this.sync });
      this.totals = await this.withOldestPending(totals);
    } catch (error) {
      this.mustReopen = true;
      throw withErrnoCode(error);
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    await db?.close();
  }

  private async openDb(): Promise<void> {
    const db = new ClassicLevel<string, string>(this.folder, {
      valueEncoding: 'utf8',
      // Stated rather than left to defaults, since they bound the archive's memory.
      cacheSize: 8 * 2 ** 20,
      // LevelDB memory-maps each table it holds open (up to 1,000 on 64-bit), and the pages a
      // lookup touches count in the agent's RSS: a restart's walk over a million files mapped a
      // 101 MB archive in 2 MB tables. It holds at least 64 tables open whatever maxOpenFiles
      // says, so small tables are what bounds the mapped memory: a compaction's tables are cut
      // at 256 KiB. The write buffer stays at LevelDB's 4 MiB (its flushes, ~1.4 MB tables, are
      // the few in level 0): at 1 MiB the ledger wrote 1,078 bytes a file over 100,000 files
      // instead of 1,000, each small flush adding a compaction.
      writeBufferSize: 4 * 2 ** 20,
      maxOpenFiles: 74,
      maxFileSize: 256 * 2 ** 10,
    });
    try {
      await db.open();
    } catch (error) {
      throw withErrnoCode(error);
    }
    this.db = db;
    const meta = db.getSync('m');
    this.totals = await this.withOldestPending(meta === undefined ? emptyTotals() : (JSON.parse(meta) as ArchiveTotals));
  }

  /** `totals` with the first recorded of the pending paths, read from the index (its first key). */
  private async withOldestPending(totals: ArchiveTotals): Promise<ArchiveTotals> {
    const { oldestPending: _stale, ...rest } = totals;
    if ((totals.pending ?? 0) === 0 || this.db === undefined) return rest;
    const [first] = await this.db.keys({ gte: PENDING_PREFIX, lt: PENDING_END, limit: 1 }).all();
    const newest = first === undefined ? undefined : this.newest(pathOfPendingKey(first));
    if (newest === undefined) return rest;
    return { ...rest, oldestPending: { path: newest.path, state: newest.state, createdAt: newest.createdAt } };
  }
}

const PENDING_PREFIX = 'r';
const PENDING_END = 's';
/** Digits of a pending index key's createdAt: ms since the epoch until the year 318857. */
const CREATED_DIGITS = 16;

/** The index key of a pending archived version: by when it was first recorded, then by path. */
function pendingKey(entry: LedgerEntry): string {
  return `${PENDING_PREFIX}${String(Math.max(0, Math.trunc(entry.createdAt))).padStart(CREATED_DIGITS, '0')}\u0000${entry.path}`;
}

function pathOfPendingKey(key: string): string {
  return key.slice(PENDING_PREFIX.length + CREATED_DIGITS + 1);
}

/** The newest of one path's versions: the latest `createdAt`, ties going to the later-stored. */
function newestOf(versions: readonly LedgerEntry[]): LedgerEntry | undefined {
  let newest: LedgerEntry | undefined;
  for (const entry of versions) {
    if (newest === undefined || entry.createdAt >= newest.createdAt) newest = entry;
  }
  return newest;
}
