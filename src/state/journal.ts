/*
 * On-disk format of the ledger (version 2). Files in the state directory:
 *
 *   ledger.lock        A symbolic link whose target is the pid of the agent holding the ledger.
 *                      symlink(2) creates it atomically and, the target being short, in the
 *                      inode itself: taking the lock needs no free block, so an agent can start
 *                      on a full disk and wait for space. (Older agents wrote "<pid>\n" into a
 *                      regular file; such a lock is still read.)
 *   snapshot.json      One line "<check> <json>\n", json = {"version":2,"lastSeq":N,"entries":[…],
 *                      "archived":{…totals…}}. Only ever replaced by rename(2), so it is old or
 *                      new, never torn. Version 1 (read too) had no archive.
 *   archive/           Settled entries moved out of memory and out of the snapshot (LevelDB; see
 *                      LedgerArchive.ts). A compaction writes them there durably before the
 *                      snapshot that leaves them out, so a crash in between finds them in both
 *                      (the same state: harmless) and never in neither.
 *   snapshot.json.tmp  A snapshot being written. A leftover one is a compaction that crashed
 *                      before its rename: it is ignored and deleted on open.
 *   journal.jsonl      Lines "<check> <json>\n", appended and fsync'd (a batch of queued lines
 *                      per write+fsync), each one of two kinds:
 *                        whole: {"seq":N,"entry":{…the whole entry…}}
 *                        short: {"seq":N,"of":M,"set":{state, attempts, updatedAt, …}}: the entry
 *                          of the whole line M in this same journal, with the fields in `set`
 *                          (every field but path, size, mtimeMs, hash, dev, ino and createdAt,
 *                          which a short line never changes) replacing its own.
 *                      A change of state alone is a short line (~100 bytes instead of ~300), as
 *                      long as the entry's whole line is in the journal: after a compaction
 *                      each entry's next change is written whole again. Older agents (before
 *                      short lines) report a short line as damage and keep the entry's earlier state.
 *
 * <check> is the first 16 hex digits of the sha256 of <json>. Each line holds the entry's whole
 * state after the change (a short one together with its whole line), so replay is idempotent
 * and order within a key is all that matters. A short line whose whole line was lost (damage)
 * is damage too: the entry keeps the state it had before.
 *
 * Loading (open and readLedgerSummary): read the journal, then the snapshot (in that order, so a
 * reader racing a compaction never pairs an old snapshot with an emptied journal). Start from
 * the snapshot's entries; replay each complete journal line whose check matches and whose seq
 * is above the snapshot's lastSeq. Skipped: the text after the last "\n" (a torn append from a
 * crash mid-write), any line whose check does not match or whose JSON is not an entry (disk
 * corruption; later lines still apply), lines with seq <= lastSeq (already in the snapshot: a
 * crash between the snapshot rename and the journal truncation). The first two kinds are damage:
 * loading lists each with its line number and byte offset, and open() reports them (LedgerRepair,
 * repair.json) before its compaction drops them for good. A snapshot whose check fails
 * is not a crash artefact (rename is atomic) and makes open reject rather than forget what was
 * already sent.
 *
 * Compaction: write snapshot.json.tmp, fsync it, rename it over snapshot.json, fsync the
 * directory, then truncate the journal to 0 and fsync it. A crash at any step leaves either the
 * old snapshot + full journal or the new snapshot + a journal whose lines it already covers.
 * open() compacts whenever the journal is non-empty, which also cuts off a torn tail before the
 * next append could be glued to it. If the disk is full then, open() instead cuts the journal
 * back to its last newline (shrinking needs no space) and appends after it.
 *
 * Writes that fail for a reason that may pass (disk full, EIO, …: see durableWrites.ts) cut the
 * journal back to its last good length and are retried with backoff, so a partial line left by a
 * full disk never gets a later append glued to it.
 */
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LedgerKey, LedgerSummary } from './Ledger.js';
import type { LedgerEntry, LedgerState } from './LedgerEntry.js';
import type { LedgerDamage } from './LedgerRepair.js';
import type { ArchiveTotals } from './LedgerArchive.js';

export const FORMAT_VERSION = 2;
/** Snapshot versions this code reads: 1 had no archive. */
const READABLE_VERSIONS: readonly number[] = [1, 2];
export const LOCK_FILE = 'ledger.lock';
export const SNAPSHOT_FILE = 'snapshot.json';
export const SNAPSHOT_TEMP_FILE = 'snapshot.json.tmp';
export const JOURNAL_FILE = 'journal.jsonl';

export const LEDGER_STATES: readonly LedgerState[] = ['seen', 'reducing', 'reduced', 'uploading', 'acknowledged', 'failed'];

export interface JournalRecord {
  readonly seq: number;
  readonly entry: LedgerEntry;
}

/** A change of an entry whose whole record is the journal line `of`. */
export interface ShortJournalRecord {
  readonly seq: number;
  readonly of: number;
  readonly set: Partial<LedgerEntry>;
}

/** The fields of an entry a short journal line carries: all but those fixed for a version found on disk. */
export function changeableFields(entry: LedgerEntry): Partial<LedgerEntry> {
  const { path: _path, size: _size, mtimeMs: _mtimeMs, hash: _hash, dev: _dev, ino: _ino, createdAt: _createdAt, ...changeable } = entry;
  return changeable;
}

/** The entry a short line makes of its whole line's entry: the fixed fields cannot be overridden. */
function withChanges(base: LedgerEntry, set: unknown): unknown {
  if (typeof set !== 'object' || set === null || Array.isArray(set)) return undefined;
  const { path, size, mtimeMs, hash, dev, ino, createdAt } = base;
  return { ...(set as Partial<LedgerEntry>), path, size, mtimeMs, hash, ...(dev === undefined ? {} : { dev }), ...(ino === undefined ? {} : { ino }), createdAt };
}

export interface SnapshotContent {
  readonly version: number;
  readonly lastSeq: number;
  readonly entries: readonly LedgerEntry[];
  /** Version 2: the totals of the archive (settled entries moved out of the snapshot) at the time. */
  readonly archived?: ArchiveTotals;
}

export interface LoadedLedger {
  /** Keyed by `entryKey`, in first-recorded order. */
  readonly entries: Map<string, LedgerEntry>;
  /** Highest seq seen in the snapshot or the journal. */
  readonly lastSeq: number;
  /** Bytes in the journal file as read. */
  readonly journalBytes: number;
  /** Bytes up to and including the journal's last newline: what is left once a torn tail is cut off. */
  readonly completeBytes: number;
  /** Complete lines in the journal, damaged ones included. */
  readonly completeLines: number;
  /** Every record that could not be read back, in file order. */
  readonly damage: LedgerDamage[];
  /** The archive's totals as the snapshot recorded them (for a reader that cannot open the archive). */
  readonly archived: ArchiveTotals | undefined;
}

/** Characters of a damaged line kept in a report. */
const EXCERPT_LENGTH = 80;

function damageAt(file: string, line: number, offset: number, bytes: Buffer, reason: LedgerDamage['reason']): LedgerDamage {
  const text = bytes.toString('utf8');
  const excerpt = JSON.stringify(text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text);
  return { file, line, offset, length: bytes.length, reason, excerpt };
}

export function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

export function encodeLine(value: unknown): string {
  const json = JSON.stringify(value);
  return `${checksum(json)} ${json}\n`;
}

/** The parsed JSON of a line whose check matches, else undefined. */
export function decodeLine(line: string): unknown {
  const space = line.indexOf(' ');
  if (space !== 16) {
    return undefined;
  }
  const json = line.slice(17);
  if (checksum(json) !== line.slice(0, 16)) {
    return undefined;
  }
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}

export function entryKey(key: LedgerKey): string {
  // In memory only. The path goes last, so the spaces a path may hold cannot make two keys one:
  // the fields before it (a hex hash, two numbers) have none. Cheaper than JSON of an array, and
  // every ledger call builds one.
  return `${key.hash} ${key.size} ${key.mtimeMs} ${key.path}`;
}

export function isLedgerState(value: unknown): value is LedgerState {
  return typeof value === 'string' && (LEDGER_STATES as readonly string[]).includes(value);
}

export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    // for…in rather than Object.values: no array per object (a restart freezes a million entries).
    for (const name in value) {
      const child = (value as Record<string, unknown>)[name];
      if (typeof child === 'object' && child !== null) deepFreeze(child);
    }
    Object.freeze(value);
  }
  return value;
}

function isEntry(value: unknown): value is LedgerEntry {
  const entry = value as Partial<LedgerEntry> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.path === 'string' &&
    typeof entry.size === 'number' &&
    typeof entry.mtimeMs === 'number' &&
    typeof entry.hash === 'string' &&
    isLedgerState(entry.state) &&
    typeof entry.attempts === 'number' &&
    typeof entry.createdAt === 'number' &&
    typeof entry.updatedAt === 'number'
  );
}

/** A state file's content, or undefined when it does not exist (the lock reads it too). */
export async function readOptional(path: string): Promise<string | undefined>;
export async function readOptional(path: string, raw: 'raw'): Promise<Buffer | undefined>;
export async function readOptional(path: string, raw?: 'raw'): Promise<string | Buffer | undefined> {
  try {
    return raw === undefined ? await readFile(path, 'utf8') : await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw error;
  }
}

export async function loadLedger(dir: string): Promise<LoadedLedger> {
  // Bytes, not text: a flipped byte can make invalid UTF-8, which would shift every offset after it.
  const journal = (await readOptional(join(dir, JOURNAL_FILE), 'raw')) ?? Buffer.alloc(0);
  const snapshotText = await readOptional(join(dir, SNAPSHOT_FILE));

  const entries = new Map<string, LedgerEntry>();
  const damage: LedgerDamage[] = [];
  let lastSeq = 0;
  let archived: ArchiveTotals | undefined;
  if (snapshotText !== undefined) {
    const snapshot = decodeLine(snapshotText.endsWith('\n') ? snapshotText.slice(0, -1) : snapshotText) as
      | SnapshotContent
      | undefined;
    if (snapshot === undefined || !READABLE_VERSIONS.includes(snapshot.version) || !Array.isArray(snapshot.entries) || typeof snapshot.lastSeq !== 'number') {
      throw new Error(
        `The ledger snapshot ${join(dir, SNAPSHOT_FILE)} (${Buffer.byteLength(snapshotText)} bytes) is corrupt or of an unknown version; ` +
          `move it away to start with an empty ledger (files already sent would be sent again)`,
      );
    }
    snapshot.entries.forEach((entry, index) => {
      if (isEntry(entry)) {
        entries.set(entryKey(entry), deepFreeze(entry));
      } else {
        damage.push(damageAt(SNAPSHOT_FILE, index + 1, 0, Buffer.from(JSON.stringify(entry) ?? 'undefined'), 'not a ledger record'));
      }
    });
    lastSeq = snapshot.lastSeq;
    archived = snapshot.archived;
  }

  const snapshotSeq = lastSeq;
  // The key of each whole line above the snapshot, for the short lines that name it.
  const keysOfWholeLines = new Map<number, string>();
  let start = 0;
  let lineNumber = 0;
  while (start < journal.length) {
    const end = journal.indexOf(0x0a, start);
    lineNumber += 1;
    if (end === -1) {
      // Text after the last newline is an append cut short (a crash, a full disk).
      damage.push(damageAt(JOURNAL_FILE, lineNumber, start, journal.subarray(start), 'cut short'));
      break;
    }
    const bytes = journal.subarray(start, end);
    const offset = start;
    start = end + 1;
    const decoded = decodeLine(bytes.toString('utf8'));
    const short = decoded as Partial<ShortJournalRecord> | undefined;
    if (short !== undefined && typeof short.seq === 'number' && typeof short.of === 'number') {
      if (short.seq <= snapshotSeq) continue;
      const key = keysOfWholeLines.get(short.of);
      const base = key === undefined ? undefined : entries.get(key);
      const entry = base === undefined ? undefined : withChanges(base, short.set);
      if (key === undefined || !isEntry(entry)) {
        damage.push(damageAt(JOURNAL_FILE, lineNumber, offset, bytes, 'not a ledger record'));
        continue;
      }
      entries.set(key, deepFreeze(entry));
      lastSeq = Math.max(lastSeq, short.seq);
      continue;
    }
    const record = decoded as Partial<JournalRecord> | undefined;
    if (record === undefined || typeof record.seq !== 'number' || !isEntry(record.entry)) {
      damage.push(damageAt(JOURNAL_FILE, lineNumber, offset, bytes, decoded === undefined ? 'checksum mismatch' : 'not a ledger record'));
      continue;
    }
    if (record.seq <= snapshotSeq) {
      continue;
    }
    const key = entryKey(record.entry);
    entries.set(key, deepFreeze(record.entry));
    keysOfWholeLines.set(record.seq, key);
    lastSeq = Math.max(lastSeq, record.seq);
  }
  const completeBytes = journal.lastIndexOf(0x0a) + 1;
  return {
    entries,
    lastSeq,
    journalBytes: journal.length,
    archived,
    completeBytes,
    completeLines: damage.at(-1)?.reason === 'cut short' && damage.at(-1)?.file === JOURNAL_FILE ? lineNumber - 1 : lineNumber,
    damage,
  };
}

/** Best effort: some platforms cannot fsync a directory, and there is nothing better to do there. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF') {
      throw error;
    }
  } finally {
    await handle?.close();
  }
}
