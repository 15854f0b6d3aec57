import type { FileHandle } from 'node:fs/promises';

/**
 * Error codes of a state dir that cannot be written for now but may be later: disk full,
 * quota exceeded, I/O errors, a file system remounted read-only after an error, a network
 * share gone stale. The ledger waits these out instead of giving up.
 */
export const STORAGE_WEATHER_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EIO', 'EROFS', 'ENOMEM', 'EAGAIN', 'EBUSY', 'ESTALE', 'ETIMEDOUT']);

/** The `code` of an fs error, if it has one. */
export function errorCodeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether a failed write may succeed later without anyone changing the agent's settings. */
export function isStorageWeather(error: unknown): boolean {
  return STORAGE_WEATHER_CODES.has(errorCodeOf(error) ?? '');
}

/** Backoff of the ledger's write retries. */
export interface WriteRetryOptions {
  /** Wait before the second attempt, in ms; doubled each time. @default 1000 */
  readonly baseMs?: number;
  /** Longest wait between attempts, in ms. @default 30000 */
  readonly capMs?: number;
}

/** The wait after failed attempt `attempt` (from 1): base, 2×base, 4×base, … up to cap. No jitter: one writer. */
export function writeRetryDelay(attempt: number, baseMs: number, capMs: number): number {
  return Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 30));
}

/**
 * The three things the ledger does to its journal, so a test can inject faults into them.
 * `append` may leave part of its text behind when it fails.
 */
export interface JournalFile {
  append(text: string): Promise<void>;
  sync(): Promise<void>;
  /** Cuts the file to `length` bytes (shrinking needs no free space). */
  truncate(length: number): Promise<void>;
}

/** The journal file as the ledger uses it by default. */
export function journalFileOf(handle: FileHandle): JournalFile {
  return {
    append: (text) => handle.appendFile(text),
    sync: () => handle.sync(),
    truncate: (length) => handle.truncate(length),
  };
}
