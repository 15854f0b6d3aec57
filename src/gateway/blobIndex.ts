// The embedded gateway's memory of what it stored, so that an agent's retry is answered OK
// without storing the blob again. A retry is the same stream, the same original file name and
// the same content hash; anything else is a new blob.
import { createHash } from 'node:crypto';
import { access } from 'node:fs/promises';
import { ClassicLevel } from 'classic-level';
import { RecentMap } from '../operators/internals/orderedStructures.js';

/** What the index keeps about one stored blob. */
export interface IndexedBlob {
  /** File name inside the stream's folder, or `null` when nothing was kept (no store). */
  readonly storedAs: string | null;
  /** `X-HASTE-original_filename`, percent-decoded. */
  readonly originalFilename: string;
  /** Hex SHA-256 of the body. */
  readonly sha256: string;
}

/** Looks up and records blobs by their retry key (see {@link retryKey}). */
export interface BlobIndex {
  /** The blob recorded under `key`, if any. */
  find(key: string): Promise<IndexedBlob | undefined>;
  /** Records `blob` under `key`; resolves once a later `find` (and, on disk, a restart) sees it. */
  add(key: string, blob: IndexedBlob): Promise<void>;
  /** Releases the index; on disk, lets another gateway open it. */
  close(): Promise<void>;
}

/**
 * The key that makes two uploads "the same": stream, original file name and content hash.
 *
 * The name and hash are hashed together so keys are short and of one size whatever the name;
 * the stream id stays readable as a prefix. The content hash is always 64 hex digits, so
 * `name NUL hash` reads back one way only, even when a decoded `%00` puts a NUL in the name.
 */
export function retryKey(streamId: string, originalFilename: string, contentSha256: string): string {
  const digest = createHash('sha256').update(`${originalFilename}\u0000${contentSha256}`, 'utf8').digest('base64url');
  return `${streamId}/${digest}`;
}

/**
 * An index held in memory that forgets its oldest keys beyond `limit`, so memory stays flat.
 *
 * For a gateway without a store: it keeps no blobs, so only recent retries can be recognised.
 */
export function createMemoryBlobIndex(limit: number): BlobIndex {
  const blobs = new RecentMap<string, IndexedBlob>(limit);
  return {
    find: async (key) => blobs.get(key),
    add: async (key, blob) => {
      blobs.set(key, blob);
    },
    close: async () => {
      blobs.clear();
    },
  };
}

/**
 * An index kept in a LevelDB database in `folder`, created on the first `add`.
 *
 * LevelDB (through classic-level, whose prebuilt binary ships inside the npm package) answers a
 * lookup from its block cache or one table read, helped by a Bloom filter for the common case of
 * a new key, and holds at most its write buffers and block cache in memory: memory is flat in
 * the number of blobs, and opening replays at most one write buffer, so a restart is answered in
 * milliseconds whatever the store holds (hashing every stored blob took 7.3 s for 100,000).
 * Writes reach the operating system before `add` resolves, so a killed gateway keeps them.
 * One gateway at a time may use a store: LevelDB locks the folder.
 *
 * @param folder Where the database lives; nothing is created until the first blob is added.
 * @returns The index, opened if it already exists.
 */
export async function openLevelBlobIndex(folder: string): Promise<BlobIndex> {
  const open = async (): Promise<ClassicLevel<string, IndexedBlob>> => {
    const db = new ClassicLevel<string, IndexedBlob>(folder, {
      valueEncoding: 'json',
      // Stated rather than left to defaults, since they bound the index's memory.
      cacheSize: 8 * 2 ** 20,
      writeBufferSize: 4 * 2 ** 20,
    });
    await db.open();
    return db;
  };
  const exists = await access(folder).then(
    () => true,
    () => false,
  );
  let db: Promise<ClassicLevel<string, IndexedBlob>> | undefined = exists ? Promise.resolve(await open()) : undefined;
  let closed = false;
  return {
    find: async (key) => (db === undefined ? undefined : (await db).get(key)),
    add: async (key, blob) => {
      // An upload that outlives close() must not reopen (and lock) the folder.
      if (closed) throw new Error('The blob index is closed');
      // A failed open (the folder locked by another gateway) is retried by the next add.
      db ??= open().catch((error: unknown) => {
        db = undefined;
        throw error;
      });
      await (await db).put(key, blob);
    },
    close: async () => {
      closed = true;
      const closing = db;
      db = undefined;
      if (closing !== undefined) await (await closing).close();
    },
  };
}
