// How the archive stores a path's versions: the value under its `p<path>` key.
//
// LevelDB writes each value once to its log, once when its write buffer is flushed, and once
// more at every level a compaction sinks it through (one more each tenfold of entries), so at a
// million entries each byte of a value is written about six times. The value is a JSON array
// with one element a version, each a tuple rather than an object with named fields:
//
//   [size, mtimeMs, hash, state, attempts, createdAt, updatedAt - createdAt, dev, ino, rest?]
//
// - `hash` is the sha256 in base64url (43 characters against 64 hex digits; hex digits do not
//   compress, and LevelDB's Snappy finds no repeats in a hash to shrink);
// - `state` is its index in STATE_CODES below, a list that only ever grows at its end;
// - `dev` and `ino` are null when the entry has none;
// - `rest`, only when there is one, holds the fields most entries lack (`lastError`,
//   `lastErrorAt`, `permanent`, `reduction`, and any field added later) under their own
//   names, and whatever the tuple cannot hold exactly (a hash that is not 64 hex digits, an
//   `updatedAt` the difference would round), which then overrides the tuple's slot.
//
// A tuple takes less than half of what the entry's JSON object took (with its 64-digit hash).
// Versions stored before as objects (with their path, or without it) are read as they are.
import type { LedgerEntry, LedgerState } from './LedgerEntry.js';
import { isSha256Hex } from '../validation.js';

/** Each state's code in a stored tuple: the order is the format, so new states go at the end. */
const STATE_CODES: readonly LedgerState[] = ['seen', 'reducing', 'reduced', 'uploading', 'acknowledged', 'failed'];

type StoredVersion = readonly unknown[] | Record<string, unknown>;

/** The value that stores these versions of one path (each entry's `path` is left out: the key has it). */
export function encodeVersions(entries: readonly LedgerEntry[]): string {
  return JSON.stringify(entries.map(toTuple));
}

/** The versions stored in `text`, each with `path` set. */
export function decodeVersions(path: string, text: string): LedgerEntry[] {
  const stored = JSON.parse(text) as StoredVersion[];
  // The parsed objects are new and ours: the path goes onto them rather than into copies.
  return stored.map((version) => {
    if (!Array.isArray(version)) {
      (version as { path?: string }).path = path;
      return version as unknown as LedgerEntry;
    }
    return fromTuple(path, version);
  });
}

function toTuple(entry: LedgerEntry): unknown[] {
  // Every field the tuple has no slot for goes into `rest` by its name, a field added to
  // LedgerEntry later included: nothing is dropped on the way to the archive.
  const { path: _path, size, mtimeMs, hash, state, attempts, createdAt, updatedAt, dev, ino, ...others } = entry;
  const hexHash = isSha256Hex(hash);
  const updatedAfter = updatedAt - createdAt;
  const exactAfter = createdAt + updatedAfter === updatedAt;
  const rest: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(others)) if (value !== undefined) rest[name] = value;
  // What the tuple cannot hold exactly goes here whole, and wins over the tuple's slot.
  if (!hexHash) rest['hash'] = hash;
  if (!exactAfter) rest['updatedAt'] = updatedAt;
  const tuple: unknown[] = [
    size,
    mtimeMs,
    hexHash ? Buffer.from(hash, 'hex').toString('base64url') : '',
    STATE_CODES.indexOf(state),
    attempts,
    createdAt,
    exactAfter ? updatedAfter : 0,
    dev ?? null,
    ino ?? null,
  ];
  if (Object.keys(rest).length > 0) tuple.push(rest);
  return tuple;
}

function fromTuple(path: string, tuple: readonly unknown[]): LedgerEntry {
  const [size, mtimeMs, hash, state, attempts, createdAt, updatedAfter, dev, ino, rest] = tuple as [
    number,
    number,
    string,
    number,
    number,
    number,
    number,
    number | null,
    number | null,
    Record<string, unknown> | undefined,
  ];
  const decodedState = STATE_CODES[state];
  if (decodedState === undefined) throw new Error(`The ledger archive holds a version of ${path} in an unknown state (code ${String(state)})`);
  return {
    path,
    size,
    mtimeMs,
    hash: Buffer.from(hash, 'base64url').toString('hex'),
    ...(dev === null ? {} : { dev }),
    ...(ino === null ? {} : { ino }),
    state: decodedState,
    attempts,
    createdAt,
    updatedAt: createdAt + updatedAfter,
    ...rest,
  } as LedgerEntry;
}
