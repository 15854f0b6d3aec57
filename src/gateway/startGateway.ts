import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { createMemoryBlobIndex, openLevelBlobIndex, retryKey, type BlobIndex } from './blobIndex.js';
import { linkUnderFreeName, tempPathIn } from './blobFiles.js';
import { createAuthCheck, header, safeFileName, streamIdPattern } from './gatewayInternals.js';
import { createKeyedLock, type KeyedLock } from './keyedLock.js';
import { readBlobHeaders, type BlobHeaders } from './readBlobHeaders.js';
import { BodyTooLarge, receiveBody } from './receiveBody.js';
import { formatSettings, reducedName } from './reducedCopy.js';
import type { ReceivedBlob } from './ReceivedBlob.js';
import type { GatewayCounts, RunningGateway } from './RunningGateway.js';
import { createTokenBucket, type TokenBucket } from './createTokenBucket.js';
import { finiteNumberAbove, functionOption, integerBetween, nonEmptyString, objectOption } from '../validation.js';

/** Options for {@link startGateway}. */
export interface GatewayOptions {
  /** Basic-auth user name every request must carry. */
  readonly username: string;
  /** Basic-auth password every request must carry. */
  readonly password: string;
  /**
   * TCP port; 0 picks a free one (see `RunningGateway.port`).
   * @default 8080
   */
  readonly port?: number;
  /**
   * Interface to listen on; loopback unless you mean to expose it.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Folder that receives each blob as `<store>/<stream id>/<safe file name>` (a reduced copy as
   * `<safe name>.reduced.<its format's extension>` beside a `.json` sidecar), and the index of
   * stored blobs in `<store>/.haste-index/`. Without it the gateway hashes and counts blobs, keeps
   * nothing, and remembers only the latest 100,000 for recognising retries.
   * @default undefined
   */
  readonly store?: string;
  /**
   * `X-HASTE-tag` values accepted (others get 412). `discard` is always answered OK without
   * storing, as on the real gateway.
   * @default ['vironova', 'discard']
   */
  readonly tags?: readonly string[];
  /**
   * Largest body accepted, checked against `Content-Length` and while streaming (413 beyond).
   * @default 1073741824 (1 GiB)
   */
  readonly maxBodyBytes?: number;
  /**
   * Receives one line per accepted blob (never credentials), and the blob it describes, for a
   * caller that writes its own format (a JSON log).
   * @default () => {}
   */
  readonly log?: (line: string, blob: ReceivedBlob) => void;
  /**
   * Reads request bodies no faster than this many bytes per second, over all connections
   * together, so a benchmark on loopback sees a slow uplink: unread bytes back up into TCP and
   * slow the sender. Bursts of up to 1/20 s of traffic (at least 16 KiB) pass at once.
   * @default undefined (unlimited)
   */
  readonly maxBytesPerSecond?: number;
  /**
   * How many of the latest blobs `RunningGateway.received` holds. Older ones are dropped, so a
   * long-running gateway's memory stays flat; `RunningGateway.counts` keeps the totals.
   * @default 10000
   */
  readonly keepReceived?: number;
}

const unauthorizedBody =
  'The request has not been applied because it lacks valid authentication credentials for the target resource.';
const okBody = '{"result": "OK!"}';
const textType = 'text/plain; charset=utf-8';
/** Retry keys remembered without a store: ~30 MB at most, however many blobs arrive. */
const keysRememberedWithoutStore = 100_000;

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': textType, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** The options once checked, with every default filled in. */
interface GatewaySettings extends Required<Omit<GatewayOptions, 'store' | 'maxBytesPerSecond'>> {
  readonly store: string | undefined;
  readonly maxBytesPerSecond: number | undefined;
}

/** Validates the options once, eagerly, and fills in the defaults. */
function normaliseOptions(options: GatewayOptions): GatewaySettings {
  objectOption('options', options);
  const { username, password, store, maxBytesPerSecond } = options;
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new TypeError('Expected `username` and `password` to be strings');
  }
  const port = options.port ?? 8080;
  integerBetween('port', port, 0, 65535);
  const host = options.host ?? '127.0.0.1';
  nonEmptyString('host', host);
  if (store !== undefined && (typeof store !== 'string' || store === '')) {
    throw new TypeError(`Expected \`store\` to be a folder path, got ${JSON.stringify(store)}`);
  }
  const tags = options.tags ?? ['vironova', 'discard'];
  if (!Array.isArray(tags) || !tags.every((tag) => typeof tag === 'string' && tag !== '')) {
    throw new TypeError(`Expected \`tags\` to be an array of non-empty strings, got ${JSON.stringify(tags)}`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? 2 ** 30;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 0) {
    throw new TypeError(`Expected \`maxBodyBytes\` to be an integer >= 0, got ${String(maxBodyBytes)}`);
  }
  const log = options.log ?? (() => {});
  functionOption('log', log);
  if (maxBytesPerSecond !== undefined) finiteNumberAbove('maxBytesPerSecond', maxBytesPerSecond, 0);
  const keepReceived = options.keepReceived ?? 10_000;
  if (!Number.isSafeInteger(keepReceived) || keepReceived < 0) {
    throw new TypeError(`Expected \`keepReceived\` to be an integer >= 0, got ${String(keepReceived)}`);
  }
  return { username, password, port, host, store, tags, maxBodyBytes, log, maxBytesPerSecond, keepReceived };
}

/** The name a blob is stored under: the original's safe name, or a reduced copy's own. */
function storedNameFor(blob: BlobHeaders): string {
  const name = safeFileName(blob.originalFilename);
  return blob.reduction === undefined ? name : reducedName(name, blob.reduction.contentType);
}

/** The sidecar beside a reduced copy: what it is a copy of, in which format, made how. */
function sidecarFor(blob: BlobHeaders, body: { bytes: number; sha256: string }): ((storedName: string) => string) | undefined {
  const { reduction } = blob;
  if (reduction === undefined) return undefined;
  return (storedName) =>
    `${JSON.stringify(
      {
        storedAs: storedName,
        originalFilename: blob.originalFilename,
        contentType: reduction.contentType,
        reduction: reduction.settings,
        bytes: body.bytes,
        sha256: body.sha256,
        tag: blob.tag,
        unixtime: blob.unixtime,
      },
      null,
      2,
    )}\n`;
}

/** The one log line of an accepted blob (never credentials). */
function logLine(blob: ReceivedBlob): string {
  const action = blob.duplicate ? 'duplicate' : blob.storedPath !== null ? 'stored' : 'discarded';
  let line = `${action} stream=${blob.streamId} file=${JSON.stringify(blob.originalFilename)} bytes=${blob.bytes} sha256=${blob.sha256} tag=${blob.tag}`;
  if (blob.storedPath !== null) line += ` as=${JSON.stringify(basename(blob.storedPath))}`;
  if (blob.reduction !== undefined) {
    line += ` type=${blob.reduction.contentType} reduction=${JSON.stringify(formatSettings(blob.reduction.settings))}`;
  }
  return line;
}

/** What every request of one gateway shares: its settings, its index and what it has received. */
interface Gateway {
  readonly settings: GatewaySettings;
  readonly bucket: TokenBucket | undefined;
  readonly isAuthorised: (authorization: string | undefined) => boolean;
  readonly index: BlobIndex;
  readonly locks: KeyedLock;
  readonly received: ReceivedBlob[];
  /** The totals behind `RunningGateway.counts`, which shares this object. */
  readonly counts: { -readonly [K in keyof GatewayCounts]: number };
}

/** Counts and logs an accepted blob, keeps it among the latest received, and answers OK. */
function accept(gateway: Gateway, res: ServerResponse, blob: ReceivedBlob): void {
  const { received, counts, settings } = gateway;
  received.push(blob);
  while (received.length > settings.keepReceived) received.shift();
  counts.accepted += 1;
  if (blob.duplicate) counts.duplicates += 1;
  else if (blob.storedPath !== null) counts.stored += 1;
  else counts.discarded += 1;
  counts.bytes += blob.bytes;
  settings.log(logLine(blob), blob);
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(okBody) });
  res.end(okBody);
}

/** Where a body that is to be kept streams to first: a temp file in the stream's folder. */
interface BodySink {
  readonly folder: string;
  readonly temp: string;
  readonly sink: WriteStream;
}

async function openBodySink(folder: string | undefined): Promise<BodySink | undefined> {
  if (folder === undefined) return undefined;
  await mkdir(folder, { recursive: true });
  const temp = tempPathIn(folder);
  return { folder, temp, sink: createWriteStream(temp, { flags: 'wx' }) };
}

/**
 * Receives the body into `target` (if any), hashing it; answers 413 and returns undefined when it
 * is too large. The temp file is removed on any failure.
 */
async function receiveInto(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  target: BodySink | undefined,
): Promise<{ bytes: number; sha256: string } | undefined> {
  const { bucket } = gateway;
  const { maxBodyBytes } = gateway.settings;
  const sink = target?.sink;
  try {
    return await receiveBody(req, { maxBodyBytes, ...(sink === undefined ? {} : { sink }), ...(bucket === undefined ? {} : { bucket }) });
  } catch (error) {
    sink?.destroy();
    if (target !== undefined) await unlink(target.temp).catch(() => {});
    if (error instanceof BodyTooLarge) {
      reply(res, 413, `The body exceeds ${maxBodyBytes} bytes.`, { Connection: 'close' });
      req.resume();
      return undefined;
    }
    throw error;
  }
}

// Runs while holding the blob's retry key (if any), so the index lookup and the store that
// follows it cannot interleave with an identical upload's.
async function receiveKeyed(
  gateway: Gateway,
  req: IncomingMessage,
  res: ServerResponse,
  streamId: string,
  blob: BlobHeaders,
  key: string | undefined,
): Promise<void> {
  const { index } = gateway;
  const { store } = gateway.settings;
  const duplicate = key !== undefined && (await index.find(key)) !== undefined;
  const target = await openBodySink(store !== undefined && blob.tag !== 'discard' && !duplicate ? join(store, streamId) : undefined);
  const body = await receiveInto(gateway, req, res, target);
  if (body === undefined) return;
  if (blob.claimedHash !== undefined && blob.claimedHash !== body.sha256) {
    if (target !== undefined) await unlink(target.temp).catch(() => {});
    reply(res, 400, 'The body does not match X-HASTE-content-sha256.');
    return;
  }
  const storedPath =
    target === undefined ? null : await linkUnderFreeName(target.temp, target.folder, storedNameFor(blob), sidecarFor(blob, body));
  if (key !== undefined && !duplicate && blob.tag !== 'discard') {
    await index.add(key, { storedAs: storedPath === null ? null : basename(storedPath), originalFilename: blob.originalFilename, sha256: body.sha256 });
  }
  const { originalFilename, tag, unixtime, reduction } = blob;
  accept(gateway, res, { streamId, originalFilename, storedPath, ...body, tag, unixtime, duplicate, ...(reduction === undefined ? {} : { reduction }) });
}

/** Reads the blob's headers, then receives it under its retry key's lock. */
async function receiveBlob(gateway: Gateway, req: IncomingMessage, res: ServerResponse, streamId: string): Promise<void> {
  const blob = readBlobHeaders(req, gateway.settings.tags, gateway.settings.maxBodyBytes);
  if ('refusal' in blob) {
    reply(res, ...blob.refusal);
    return;
  }
  const key = blob.claimedHash === undefined ? undefined : retryKey(streamId, blob.originalFilename, blob.claimedHash);
  const release = key === undefined ? undefined : await gateway.locks.acquire(key);
  try {
    await receiveKeyed(gateway, req, res, streamId, blob, key);
  } finally {
    release?.();
  }
}

/** Checks the credentials, then routes: `/stream/<id>` receives a blob, `/` and `/{name}` greet. */
async function handle(gateway: Gateway, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!gateway.isAuthorised(header(req, 'authorization'))) {
    reply(res, 401, unauthorizedBody, { 'WWW-Authenticate': 'Basic realm="HASTE Cloud"' });
    return;
  }
  // The raw path, not a URL-normalised one, so `/stream/../x` is refused rather than resolved.
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const stream = /^\/stream\/([^/]*)$/.exec(path);
  if (stream !== null) {
    if (req.method !== 'POST') {
      reply(res, 405, 'Method Not Allowed', { Allow: 'POST' });
      return;
    }
    const streamId = stream[1] ?? '';
    if (!streamIdPattern.test(streamId)) {
      reply(res, 400, 'The stream id must be 1-128 letters, digits, _ or -.');
      return;
    }
    await receiveBlob(gateway, req, res, streamId);
    return;
  }
  // The real gateway routes both `/` and `/{name}` to its greeting; a client probing the
  // login with either must see the same answer here.
  if (path === '/' || /^\/[^/]+$/.test(path)) {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      reply(res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
      return;
    }
    reply(res, 200, 'Hello!');
    return;
  }
  reply(res, 404, 'Not Found');
}

/** The settings, the upload throttle, the auth check and the index of stored blobs, opened. */
async function openGateway(settings: GatewaySettings): Promise<Gateway> {
  const { store, maxBytesPerSecond } = settings;
  const bucket: TokenBucket | undefined =
    maxBytesPerSecond === undefined ? undefined : createTokenBucket(maxBytesPerSecond, Math.max(16384, maxBytesPerSecond / 20));
  const isAuthorised = createAuthCheck(settings.username, settings.password);
  // Stream ids never start with a dot, so the index cannot clash with a stream's folder.
  const index: BlobIndex =
    store === undefined ? createMemoryBlobIndex(keysRememberedWithoutStore) : await openLevelBlobIndex(join(store, '.haste-index'));
  const counts = { accepted: 0, stored: 0, duplicates: 0, discarded: 0, bytes: 0 };
  return { settings, bucket, isAuthorised, index, locks: createKeyedLock(), received: [], counts };
}

/** Starts listening; on failure closes the index and rethrows. */
async function listen(server: Server, gateway: Gateway): Promise<void> {
  server.listen(gateway.settings.port, gateway.settings.host);
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    // Another gateway may want this store's index once we give up on the port.
    await gateway.index.close();
    throw error;
  }
}

/** The URL a client on this machine reaches the gateway at, even when it listens on every interface. */
function urlOf(host: string, port: number): string {
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/**
 * Starts a local stand-in for the HASTE Cloud Gateway, speaking the same protocol.
 *
 * `POST /stream/<id>` with Basic auth and the `X-HASTE-*` headers answers `{"result": "OK!"}`
 * (200, `application/json`); bad credentials get 401 with `WWW-Authenticate: Basic realm="HASTE
 * Cloud"` on every route; an unknown tag gets 412; `GET /` answers `Hello!`. Bodies stream to a
 * temp file that is hard-linked to its final name only once complete, so a stored file is
 * never partial. An optional `X-HASTE-content-sha256` header is checked against the received
 * bytes and makes retries idempotent: an upload with the same stream, original file name and
 * content hash as an earlier one is answered OK and not stored again (with a store, across
 * restarts too, through an on-disk index); the same bytes under another name are a new blob.
 * Identical uploads arriving together are stored once: the later ones wait for the first's
 * outcome. A reduced copy (`X-HASTE-reduction` with its `Content-Type`) is stored as
 * `<name>.reduced.<ext>` beside a `.json` sidecar naming the original, the type and the
 * reducer's settings. Memory stays flat however many blobs arrive.
 *
 * @example
 * ```ts
 * const gateway = await startGateway({ port: 0, username: 'u', password: 'p', store: '/tmp/haste' });
 * // ... agent posts to gateway.url ...
 * console.log(gateway.received.length);
 * await gateway.close();
 * ```
 *
 * @param options Port, credentials, store folder and limits.
 * @returns The running gateway once it listens.
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const gateway = await openGateway(normaliseOptions(options));
  const refused = new Map<number, number>();
  const server = createServer((req, res) => {
    res.once('finish', () => {
      if (res.statusCode >= 400) refused.set(res.statusCode, (refused.get(res.statusCode) ?? 0) + 1);
    });
    handle(gateway, req, res).catch(() => {
      if (res.headersSent) {
        res.destroy();
      } else {
        reply(res, 500, 'Internal Server Error', { Connection: 'close' });
      }
    });
  });
  await listen(server, gateway);
  const boundPort = (server.address() as AddressInfo).port;

  return {
    url: urlOf(gateway.settings.host, boundPort),
    port: boundPort,
    received: gateway.received,
    counts: gateway.counts satisfies GatewayCounts,
    refused,
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      });
      server.closeAllConnections();
      await closed;
      await gateway.index.close();
    },
  };
}
