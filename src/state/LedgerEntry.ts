/**
 * Where a file is on its way to the gateway.
 *
 * `seen` → (`reducing` → `reduced`) → `uploading` → `acknowledged`, with `failed` reachable from
 * any of them. The ledger records transitions; it does not forbid any, so a restart can move a
 * file from `uploading` back to `seen`.
 */
export type LedgerState = 'seen' | 'reducing' | 'reduced' | 'uploading' | 'acknowledged' | 'failed';

/** How a reduced file was reduced, kept so a restart need not redo the work. */
export interface LedgerReduction {
  /** Name of the reducer, e.g. `'reduceImage'`. */
  readonly reducer: string;
  /** The reducer's settings, as JSON-serialisable values. */
  readonly settings: Readonly<Record<string, unknown>>;
  /** sha256 hex of the reduced output. */
  readonly outputHash: string;
  /** `bytesIn - bytesOut`. */
  readonly bytesSaved: number;
  /** CPU time the reduction took, in milliseconds. */
  readonly cpuMs: number;
}

/**
 * What the ledger knows about one version of one file.
 *
 * A version is identified by `path + size + mtimeMs + hash`: the same path with new content is
 * a new entry. Entries are immutable snapshots; every change produces a new object.
 */
export interface LedgerEntry {
  /** Absolute path of the original file. */
  readonly path: string;
  /** Size in bytes. */
  readonly size: number;
  /** Modification time in milliseconds since the epoch. */
  readonly mtimeMs: number;
  /** sha256 hex of the content. */
  readonly hash: string;
  /**
   * Device and inode of the file when it was admitted: with size and mtime, how a restart
   * recognises an unchanged file without reading it (see `Ledger.findUnchanged`). Absent in
   * entries recorded without them.
   */
  readonly dev?: number;
  readonly ino?: number;
  readonly state: LedgerState;
  /** Upload attempts so far: each transition into `uploading` adds one. */
  readonly attempts: number;
  /** The last error, redacted (no credentials, no URL userinfo) and at most 1000 characters. */
  readonly lastError?: string;
  /** When `lastError` was recorded, ms since the epoch. */
  readonly lastErrorAt?: number;
  /** On a `failed` entry: true when retrying cannot help (401/403/412, file gone), so it is not pending. */
  readonly permanent?: boolean;
  /** Present once the file was reduced. */
  readonly reduction?: LedgerReduction;
  /** When the ledger first recorded this version, ms since the epoch. */
  readonly createdAt: number;
  /** When this entry last changed, ms since the epoch. */
  readonly updatedAt: number;
}
