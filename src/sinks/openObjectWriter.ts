import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BucketObject } from '../sources/consumeBucket.js';
import { nonEmptyString, objectOption } from '../validation.js';

/** Options for {@link openObjectWriter}. */
export interface ObjectWriterOptions {
  /** Folder each object is written into, at its name (`<stream id>/<path>`). */
  readonly dir: string;
  /**
   * A shell command run after each object is written, with `HASTE_OBJECT_PATH` (the written
   * file), `HASTE_OBJECT_NAME`, `HASTE_OBJECT_SIZE`, `HASTE_OBJECT_SHA256` (hex) and the
   * object's headers (`HASTE_TAG`, `HASTE_ORIGINAL_FILENAME`, `HASTE_UNIXTIME`, `HASTE_REDUCED`)
   * in its environment. A non-zero exit redelivers the object later. @default none
   */
  readonly exec?: string;
  /**
   * File that records every object handed on (name, digest and record sequence), synced
   * before the next is read: where a restart continues from (`lastSeq()`), and what keeps an
   * object found again from being handed on again. @default `<dir>/.haste-consume/journal`
   */
  readonly journal?: string;
  /** Where the command's output goes. @default discarded */
  readonly output?: NodeJS.WritableStream;
}

/** A writer of bucket objects into a folder; see {@link openObjectWriter}. */
export interface ObjectWriter {
  /** `consumeBucket`'s `deliver`. */
  deliver(object: BucketObject): Promise<{ readonly detail: string } | { readonly skipped: string }>;
  /** The stream sequence of the last object record in the journal: `consumeBucket`'s `after`. */
  lastSeq(): number;
  close(): Promise<void>;
}

/** `SHA-256=<base64url>=` → hex. */
function hexOf(digest: string): string {
  return Buffer.from(digest.replace(/^SHA-256=/, '').replace(/=+$/, ''), 'base64url').toString('hex');
}

/** The file an object name maps to inside `dir`, or undefined for a name that would leave it. */
function targetOf(dir: string, name: string): string | undefined {
  const parts = name.split('/');
  if (name.includes('\0') || isAbsolute(name) || parts.some((part) => part === '' || part === '.' || part === '..')) return undefined;
  return join(dir, ...parts);
}

async function sha256Of(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(path), hash);
  } catch {
    return undefined;
  }
  return hash.digest('hex');
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Streams the object into a temporary file beside the target, syncs it, renames it over the
 * target; false when the record's revision is no longer the object's (deleted or replaced:
 * the newer record is delivered on its own).
 */
async function writeAtomically(object: BucketObject, target: string, expectedHex: string): Promise<boolean> {
  const result = await object.open();
  if (result === null || result.info.digest !== object.info.digest) {
    result?.data.cancel().catch(() => undefined);
    return false;
  }
  await mkdir(dirname(target), { recursive: true });
  const part = `${target}.part-${randomBytes(6).toString('hex')}`;
  let handle: FileHandle | undefined = await open(part, 'wx');
  try {
    const hash = createHash('sha256');
    const file = handle;
    let written = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        written += chunk.length;
        file.write(chunk).then(() => callback(), callback);
      },
    });
    await pipeline(Readable.fromWeb(result.data as import('node:stream/web').ReadableStream<Uint8Array>), sink);
    const failure = await result.error;
    if (failure) throw failure;
    const got = hash.digest('hex');
    if (got !== expectedHex || written !== result.info.size) {
      throw new Error(`object ${object.info.name} read back as ${written} bytes with SHA-256 ${got}, expected ${result.info.size} bytes with ${expectedHex}`);
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(part, target);
    await syncDir(dirname(target));
    return true;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(part, { force: true });
    throw error;
  }
}

function runCommand(command: string, env: NodeJS.ProcessEnv, output: NodeJS.WritableStream | undefined): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (output !== undefined) {
      child.stdout.on('data', (chunk: Buffer) => output.write(chunk));
      child.stderr.on('data', (chunk: Buffer) => output.write(chunk));
    } else {
      child.stdout.resume();
      child.stderr.resume();
    }
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`the command exited with ${signal ?? code}`));
    });
  });
}

/**
 * Opens a writer that puts each bucket object into a folder once, and optionally runs a
 * command on it: `consumeBucket`'s other half, the receiving end of the agent's NATS sink.
 *
 * Each object is streamed to a temporary file beside its target, checked against its SHA-256,
 * synced and renamed into place, so a reader of the folder never sees a partial file; then
 * the command (if any) runs; then its name and digest are appended to a journal and synced.
 * An object already in the journal is skipped, so the redelivery that follows a crash before
 * the server got the acknowledgement neither rewrites it nor runs the command again. (A crash
 * between the command's exit and the journal's sync runs it again: make the command
 * idempotent.) Object names that would leave the folder (`..`, absolute) are refused.
 *
 * @example
 * ```ts
 * declare const bucket: NatsBucket;
 * const writer = await openObjectWriter({ dir: '/data/incoming' });
 * consumeBucket({ connection: bucket.connection, bucket: bucket.bucket, after: writer.lastSeq(), deliver: (object) => writer.deliver(object) }).subscribe();
 * ```
 *
 * @param options The folder, the command and the journal.
 * @returns The writer; close it when done.
 */
export async function openObjectWriter(options: ObjectWriterOptions): Promise<ObjectWriter> {
  objectOption('options', options);
  const dir = resolve(nonEmptyString('dir', options.dir));
  const journalPath = options.journal ?? join(dir, '.haste-consume', 'journal');
  await mkdir(dirname(journalPath), { recursive: true });
  const done = new Set<string>();
  let last = 0;
  const text = await readFile(journalPath, 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    // A torn last line (a crash mid-append) is not a record.
    if (line.endsWith('\r') || line === '') continue;
    try {
      const entry = JSON.parse(line) as { name: string; digest: string; seq: number };
      done.add(`${entry.name}\0${entry.digest}`);
      if (Number.isInteger(entry.seq) && entry.seq > last) last = entry.seq;
    } catch {
      /* torn line */
    }
  }
  const journal = await open(journalPath, 'a');
  return {
    async deliver(object) {
      const { info } = object;
      const key = `${info.name}\0${info.digest}`;
      if (done.has(key)) return { skipped: 'delivered before' };
      const target = targetOf(dir, info.name);
      // Never written, whatever the retries: skipped (it stays in the bucket) rather than retried for ever.
      if (target === undefined) return { skipped: `refusing object name ${JSON.stringify(info.name)}: it would not stay inside ${dir}` };
      const expectedHex = hexOf(info.digest);
      // Written by a run that died before its journal line: the bytes are there already.
      if ((await sha256Of(target)) !== expectedHex && !(await writeAtomically(object, target, expectedHex))) {
        return { skipped: 'superseded: a newer revision (or a delete) replaced it in the bucket' };
      }
      if (options.exec !== undefined) {
        const header = (name: string): string => object.headers[name] ?? '';
        await runCommand(
          options.exec,
          {
            ...process.env,
            HASTE_OBJECT_PATH: target,
            HASTE_OBJECT_NAME: info.name,
            HASTE_OBJECT_SIZE: String(info.size),
            HASTE_OBJECT_SHA256: expectedHex,
            HASTE_TAG: header('X-HASTE-tag'),
            HASTE_ORIGINAL_FILENAME: header('X-HASTE-original_filename'),
            HASTE_UNIXTIME: header('X-HASTE-unixtime'),
            HASTE_REDUCED: header('X-HASTE-reduced'),
          },
          options.output,
        );
      }
      await journal.appendFile(`${JSON.stringify({ name: info.name, digest: info.digest, seq: object.seq })}\n`);
      await journal.sync();
      done.add(key);
      last = Math.max(last, object.seq);
      return { detail: target };
    },
    lastSeq: () => last,
    close: () => journal.close(),
  };
}
