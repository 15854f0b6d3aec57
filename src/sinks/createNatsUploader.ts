import { Readable } from 'node:stream';
import type { ReadStream } from 'node:fs';
import { isAbsolute, relative, sep } from 'node:path';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import type { ObjectInfo, ObjectStore } from '@nats-io/obj';
import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { openAdmittedFile } from '../io/openAdmittedFile.js';
import { GatewayError } from '../model/GatewayError.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import { hashFile } from '../state/hashFile.js';
import { functionOption, integerAtLeast, messageOf, nonEmptyString, objectOption } from '../validation.js';
import { bodyIdentity } from './bodyIdentity.js';
import { encodeHeaderFilename, formatReductionHeader } from './headerValues.js';
import { natsErrorStatus } from './natsErrorStatus.js';
import { objectDigestOf } from './objectDigestOf.js';
import { streamId as formatStreamId } from './streamId.js';

/** Options for {@link createNatsUploader}. */
export interface NatsUploaderOptions {
  /** The bucket's object store (`openNatsBucket(…).store`, or one of your own). */
  readonly store: ObjectStore;
  /** The watched folder: object names are `<streamId>/<path relative to it>`, with `/` separators. */
  readonly root: string;
  /** Names the bucket in messages. @default 'the NATS bucket' */
  readonly describe?: string;
  /** The tag sent in the `X-HASTE-tag` header. @default 'vironova' */
  readonly tag?: string;
  /** The first part of every object name. @default streamId({ startedAt, tag }) */
  readonly streamId?: string;
  /** When the run started, used only to generate the stream id. @default new Date(scheduler.now()) */
  readonly startedAt?: Date;
  /** Longest wait in ms for each chunk's (and the object record's) acknowledgement. @default 10000 */
  readonly timeoutMs?: number;
  /** Clock for `startedAt` and `finishedAt` of each result. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Wall clock (ms since the epoch) for `X-HASTE-unixtime`. @default Date.now */
  readonly clock?: () => number;
}

interface NatsUploaderSettings {
  readonly store: ObjectStore;
  readonly root: string;
  readonly describe: string;
  readonly tag: string;
  readonly streamId: string;
  readonly timeoutMs: number;
  readonly scheduler: SchedulerLike;
  readonly clock: () => number;
}

const streamIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** Validates the options once, eagerly, and fills in the defaults. */
function normalise(options: NatsUploaderOptions): NatsUploaderSettings {
  objectOption('options', options);
  objectOption('store', options.store);
  functionOption('store.put', options.store?.put);
  const root = nonEmptyString('root', options.root);
  if (!isAbsolute(root)) throw new TypeError(`Expected \`root\` to be an absolute path, got ${JSON.stringify(root)}`);
  const scheduler = options.scheduler ?? asyncScheduler;
  const tag = options.tag ?? 'vironova';
  if (typeof tag !== 'string' || !/^[\x21-\x7E]+$/.test(tag)) {
    throw new TypeError(`Expected \`tag\` to be non-empty printable ASCII, got ${JSON.stringify(tag)}`);
  }
  const id = options.streamId ?? formatStreamId({ startedAt: options.startedAt ?? new Date(scheduler.now()), tag });
  if (typeof id !== 'string' || !streamIdPattern.test(id)) {
    throw new TypeError(`Expected \`streamId\` to be 1-128 letters, digits, _ or -, got ${JSON.stringify(id)}`);
  }
  const clock = options.clock ?? Date.now;
  functionOption('clock', clock);
  return {
    store: options.store,
    root,
    describe: options.describe ?? 'the NATS bucket',
    tag,
    streamId: id,
    timeoutMs: integerAtLeast('timeoutMs', options.timeoutMs ?? 10_000, 1),
    scheduler,
    clock,
  };
}

/** The object name of a file: `<streamId>/<relative path>`, or undefined for a file outside the root. */
function objectNameOf(settings: NatsUploaderSettings, path: string): string | undefined {
  const inside = relative(settings.root, path);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return undefined;
  return `${settings.streamId}/${inside.split(sep).join('/')}`;
}

/** What the HASTE protocol's headers carry, on the object: tag, original name, time, digest, reduced or not. */
function headersFor(settings: NatsUploaderSettings, job: UploadJob, sha256: string): MsgHdrs {
  const { item } = job;
  const sendsCopy = job.bodyPath !== undefined && job.bodyPath !== item.path;
  const h = natsHeaders();
  h.set('X-HASTE-tag', settings.tag);
  h.set('X-HASTE-original_filename', encodeHeaderFilename(item.path));
  h.set('X-HASTE-unixtime', String(settings.clock() / 1000));
  h.set('X-HASTE-content-sha256', sha256);
  h.set('X-HASTE-reduced', sendsCopy ? 'true' : 'false');
  if (sendsCopy) {
    h.set('X-HASTE-reduction', formatReductionHeader(job.bodyReduction));
    if (job.bodyMediaType !== undefined) h.set('Content-Type', job.bodyMediaType);
  }
  return h;
}

/** Maps a failed step to the result the retry policy reads: see natsErrorStatus. */
function failure(settings: NatsUploaderSettings, job: UploadJob, error: unknown): GatewayError {
  const { item } = job;
  const status = natsErrorStatus(error);
  const fsCode = (error as { code?: unknown } | null)?.code;
  const local = typeof fsCode === 'string';
  let message: string;
  if (local) message = `Could not read ${item.path} for ${settings.describe}: ${messageOf(error)}`;
  else if (status === 401) message = `${settings.describe} refused the credentials: ${messageOf(error)}; ${item.path} was not stored`;
  else if (status === 403) message = `${settings.describe} denied permission: ${messageOf(error)}; ${item.path} was not stored`;
  else if (status === 507) message = `${settings.describe} is full (${messageOf(error)}): ${item.path} waits until consumers make room`;
  else message = `Could not store ${item.path} in ${settings.describe}: ${messageOf(error)}`;
  return new GatewayError(message, { status: local ? 0 : status, path: item.path, item, cause: error });
}

/**
 * One job: look the object up, skip the put when the stored digest is the body's, otherwise
 * stream the body into a new revision. The object store writes the object's record after its
 * last chunk, so a put that dies half-way never becomes the current revision.
 */
async function storeOne(settings: NatsUploaderSettings, job: UploadJob, stream: { current?: ReadStream }): Promise<UploadResult | GatewayError> {
  const { item } = job;
  const startedAt = settings.scheduler.now();
  const name = objectNameOf(settings, item.path);
  if (name === undefined) {
    return new GatewayError(`${item.path} is not inside the watched folder ${settings.root}; not stored`, { status: 400, path: item.path, item });
  }
  const bodyPath = job.bodyPath ?? item.path;
  let sha256: string;
  try {
    sha256 = job.bodySha256 ?? (await hashFile({ path: bodyPath, ...bodyIdentity(job) }));
  } catch (error) {
    return failure(settings, job, error);
  }
  const wanted = objectDigestOf(sha256);
  try {
    const stored = await settings.store.info(name);
    if (stored !== null && !stored.deleted && stored.digest === wanted) {
      // An earlier attempt (or run) stored these bytes already: acknowledged, nothing sent.
      return { item, status: 200, bytes: 0, startedAt, finishedAt: settings.scheduler.now() };
    }
    const handle = await openAdmittedFile({ path: bodyPath, ...bodyIdentity(job) });
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (error) {
      await handle.close();
      throw error;
    }
    // The stream owns the handle from here; capped at the size seen, in case the file grows.
    const body = size > 0 ? handle.createReadStream({ start: 0, end: size - 1 }) : undefined;
    if (body === undefined) await handle.close();
    stream.current = body;
    const data = Readable.toWeb(body ?? Readable.from([])) as ReadableStream<Uint8Array>;
    const info: ObjectInfo = await settings.store.put({ name, headers: headersFor(settings, job, sha256) }, data, { timeout: settings.timeoutMs });
    if (info.digest !== wanted) {
      // The bytes read are not the version admitted (rewritten in place while it was read):
      // that revision must not stand for the file.
      await settings.store.delete(name).catch(() => undefined);
      const changed = Object.assign(new Error(`${bodyPath} changed while it was read (stored digest ${info.digest}, expected ${wanted}); the object was deleted`), { code: 'ECHANGED' });
      return failure(settings, job, changed);
    }
    return { item, status: 201, bytes: size, startedAt, finishedAt: settings.scheduler.now() };
  } catch (error) {
    return failure(settings, job, error);
  }
}

/**
 * Builds the function that stores one job as one object in a NATS JetStream object-store bucket.
 *
 * It fits where {@link createUploader} does (`runAgent`'s `upload`, `postToGateway({ upload })`,
 * `createDelivery().uploadWith`), so the ledger, the retries, the bandwidth estimate and the
 * schedule stay the same. Each call streams `job.bodyPath` (the original or its reduced copy)
 * from disk into the object `<streamId>/<path relative to root>`, with headers `X-HASTE-tag`,
 * `X-HASTE-original_filename`, `X-HASTE-unixtime`, `X-HASTE-content-sha256` and
 * `X-HASTE-reduced` (`true` or `false`; a reduced copy adds `X-HASTE-reduction` and its
 * `Content-Type`). It emits one {@link UploadResult} once the put resolved (every chunk and
 * the object's record stored by the replicas) and never errors: a failure is a
 * {@link GatewayError} whose status the retry policy reads (0 for timeouts, no responders,
 * leader elections and lost connections, retried; 507 for a full bucket, retried; 401/403 for
 * refused credentials or permissions, fatal).
 *
 * Exactly once at the store: every attempt looks the object up first and skips the put (an
 * UploadResult with `bytes: 0`) when the stored digest equals the body's SHA-256, so a retry
 * after a timeout whose put did land, or a restart after a crash before the ledger's record,
 * stores nothing twice. Unsubscribing stops reading the file, which abandons the put.
 *
 * @example
 * ```ts
 * declare const item: FileItem;
 * const bucket = await openNatsBucket({ servers: 'nats://127.0.0.1:4222', bucket: 'frames' });
 * const upload = createNatsUploader({ store: bucket.store, root: '/data/run1', describe: bucket.describe });
 * upload({ item }).subscribe((result) => console.log(result));
 * ```
 *
 * @param options The bucket, the watched folder and the run's stream id.
 * @returns A function from a job to a one-value Observable.
 */
export function createNatsUploader(options: NatsUploaderOptions): (job: UploadJob) => Observable<UploadResult | GatewayError> {
  const settings = normalise(options);
  return (job) =>
    new Observable<UploadResult | GatewayError>((subscriber) => {
      const stream: { current?: ReadStream } = {};
      let active = true;
      storeOne(settings, job, stream).then(
        (outcome) => {
          if (!active) return;
          subscriber.next(outcome);
          subscriber.complete();
        },
        (error: unknown) => {
          if (active) subscriber.next(failure(settings, job, error));
          subscriber.complete();
        },
      );
      return () => {
        active = false;
        stream.current?.destroy();
      };
    });
}
