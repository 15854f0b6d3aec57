import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { link, mkdir, readdir, unlink } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createAuthCheck, decodePercent, safeFileName, streamIdPattern, withSuffix } from './gatewayInternals.js';
import { hashFile } from '../state/hashFile.js';
import type { ReceivedBlob } from './ReceivedBlob.js';
import type { RunningGateway } from './RunningGateway.js';
import { createTokenBucket, type TokenBucket } from './throttleInternals.js';

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
   * Folder that receives each blob as `<store>/<stream id>/<safe file name>`. Without it the
   * gateway hashes and counts blobs but keeps nothing.
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
   * Receives one line per accepted blob (never credentials).
   * @default () => {}
   */
  readonly log?: (line: string) => void;
  /**
   * Reads request bodies no faster than this many bytes per second, over all connections
   * together, so a benchmark on loopback sees a slow uplink: unread bytes back up into TCP and
   * slow the sender. Bursts of up to 1/20 s of traffic (at least 16 KiB) pass at once.
   * @default undefined (unlimited)
   */
  readonly maxBytesPerSecond?: number;
}

const unauthorizedBody =
  'The request has not been applied because it lacks valid authentication credentials for the target resource.';
const badTagBody = 'The request has not been applied because it lacks valid X-HASTE-tag.';
const okBody = '{"result": "OK!"}';
const textType = 'text/plain; charset=utf-8';

class BodyTooLarge extends Error {}

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': textType, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A sink that keeps nothing, for blobs we only hash and count. */
function nowhere(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

/**
 * Starts a local stand-in for the HASTE Cloud Gateway, speaking the same protocol.
 *
 * `POST /stream/<id>` with Basic auth and the `X-HASTE-*` headers answers `{"result": "OK!"}`
 * (200, `application/json`); bad credentials get 401 with `WWW-Authenticate: Basic realm="HASTE
 * Cloud"` on every route; an unknown tag gets 412; `GET /` answers `Hello!`. Bodies stream to a
 * temp file that is hard-linked to its final name only once complete, so a stored file is
 * never partial. An optional `X-HASTE-content-sha256` header makes retries idempotent within a
 * stream (with a store, across restarts of the gateway too: the first request to a stream hashes
 * what is stored in it) and is checked against the received
 * bytes.
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
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
  }
  const { username, password, store } = options;
  if (typeof username !== 'string' || typeof password !== 'string') {
    throw new TypeError('Expected `username` and `password` to be strings');
  }
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${String(port)}`);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') {
    throw new TypeError(`Expected \`host\` to be a non-empty string, got ${JSON.stringify(host)}`);
  }
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
  if (typeof log !== 'function') {
    throw new TypeError(`Expected \`log\` to be a function, got ${typeof log}`);
  }

  const { maxBytesPerSecond } = options;
  if (maxBytesPerSecond !== undefined && !(typeof maxBytesPerSecond === 'number' && maxBytesPerSecond > 0 && Number.isFinite(maxBytesPerSecond))) {
    throw new TypeError(`Expected \`maxBytesPerSecond\` to be a finite number > 0, got ${String(maxBytesPerSecond)}`);
  }
  const bucket: TokenBucket | undefined =
    maxBytesPerSecond === undefined ? undefined : createTokenBucket(maxBytesPerSecond, Math.max(16384, maxBytesPerSecond / 20));

  const isAuthorised = createAuthCheck(username, password);
  const received: ReceivedBlob[] = [];
  const storedHashes = new Set<string>();
  const streamsLearnt = new Map<string, Promise<void>>();
  // A gateway restarted between its 2xx and the agent's retry must still know the repeat, so the
  // first time a stream is seen its stored blobs are hashed (once per stream per process).
  const learnStoredHashes = (streamId: string): Promise<void> => {
    if (store === undefined) return Promise.resolve();
    let learning = streamsLearnt.get(streamId);
    if (learning === undefined) {
      const folder = join(store, streamId);
      learning = readdir(folder, { withFileTypes: true })
        .then(async (entries) => {
          for (const entry of entries) {
            if (!entry.isFile() || entry.name.startsWith('.')) continue;
            storedHashes.add(`${streamId}/${await hashFile(join(folder, entry.name))}`);
          }
        })
        .catch(() => undefined);
      streamsLearnt.set(streamId, learning);
    }
    return learning;
  };

  const receiveBlob = async (req: IncomingMessage, res: ServerResponse, streamId: string): Promise<void> => {
    const tag = header(req, 'x-haste-tag');
    const rawFilename = header(req, 'x-haste-original_filename');
    const unixtime = header(req, 'x-haste-unixtime');
    if (rawFilename === undefined || tag === undefined || unixtime === undefined) {
      reply(res, 400, 'Missing X-HASTE-original_filename, X-HASTE-tag or X-HASTE-unixtime header.');
      return;
    }
    if (!tags.includes(tag)) {
      reply(res, 412, badTagBody);
      return;
    }
    const declaredLength = header(req, 'content-length');
    if (declaredLength !== undefined && Number(declaredLength) > maxBodyBytes) {
      // Closing spares us reading a body we already know we will refuse.
      reply(res, 413, `The body exceeds ${maxBodyBytes} bytes.`, { Connection: 'close' });
      return;
    }
    const claimedHash = header(req, 'x-haste-content-sha256')?.toLowerCase();
    if (claimedHash !== undefined && !/^[0-9a-f]{64}$/.test(claimedHash)) {
      reply(res, 400, 'X-HASTE-content-sha256 must be 64 hex digits.');
      return;
    }
    const originalFilename = decodePercent(rawFilename);
    await learnStoredHashes(streamId);
    const duplicate = claimedHash !== undefined && storedHashes.has(`${streamId}/${claimedHash}`);
    const keep = store !== undefined && tag !== 'discard' && !duplicate;

    let folder: string | undefined;
    let temp: string | undefined;
    let sink: WriteStream | undefined;
    if (keep) {
      folder = join(store, streamId);
      await mkdir(folder, { recursive: true });
      temp = join(folder, `.${randomUUID()}.part`);
      sink = createWriteStream(temp, { flags: 'wx' });
    }
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      await pipeline(
        // destroyOnReturn: false keeps the socket alive when we stop early, so a 413 can still be sent.
        req.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>,
        async function* measure(chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            bytes += chunk.length;
            if (bytes > maxBodyBytes) {
              throw new BodyTooLarge();
            }
            if (bucket !== undefined) await bucket.take(chunk.length);
            hash.update(chunk);
            yield chunk;
          }
        },
        sink ?? nowhere(),
      );
    } catch (error) {
      sink?.destroy();
      if (temp !== undefined) {
        await unlink(temp).catch(() => {});
      }
      if (error instanceof BodyTooLarge) {
        reply(res, 413, `The body exceeds ${maxBodyBytes} bytes.`, { Connection: 'close' });
        req.resume();
        return;
      }
      throw error;
    }
    const sha256 = hash.digest('hex');
    if (claimedHash !== undefined && claimedHash !== sha256) {
      if (temp !== undefined) {
        await unlink(temp).catch(() => {});
      }
      reply(res, 400, 'The body does not match X-HASTE-content-sha256.');
      return;
    }

    let storedPath: string | null = null;
    if (folder !== undefined && temp !== undefined) {
      const name = safeFileName(originalFilename);
      // link() refuses to overwrite, so concurrent uploads of the same name cannot clobber each other.
      for (let n = 0; storedPath === null; n += 1) {
        const candidate = join(folder, withSuffix(name, n));
        try {
          await link(temp, candidate);
          storedPath = candidate;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
            await unlink(temp).catch(() => {});
            throw error;
          }
        }
      }
      await unlink(temp);
    }
    if (!duplicate && tag !== 'discard') {
      storedHashes.add(`${streamId}/${sha256}`);
    }
    const blob: ReceivedBlob = {
      streamId,
      originalFilename,
      storedPath,
      bytes,
      sha256,
      tag,
      unixtime,
      duplicate,
    };
    received.push(blob);
    const action = duplicate ? 'duplicate' : storedPath !== null ? 'stored' : 'discarded';
    log(`${action} stream=${streamId} file=${JSON.stringify(originalFilename)} bytes=${bytes} sha256=${blob.sha256} tag=${tag}`);
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(okBody) });
    res.end(okBody);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!isAuthorised(header(req, 'authorization'))) {
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
      await receiveBlob(req, res, streamId);
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
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) {
        res.destroy();
      } else {
        reply(res, 500, 'Internal Server Error', { Connection: 'close' });
      }
    });
  });
  server.listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  const boundPort = (server.address() as AddressInfo).port;
  const reachable = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const url = `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${boundPort}`;

  return {
    url,
    port: boundPort,
    received,
    close: async () => {
      const closed = new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      });
      server.closeAllConnections();
      await closed;
    },
  };
}
