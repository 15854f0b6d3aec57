import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { TokenBucket } from './createTokenBucket.js';

/** Thrown by {@link receiveBody} once a body passes `maxBodyBytes`. */
export class BodyTooLarge extends Error {}

/** Options for {@link receiveBody}. */
export interface ReceiveBodyOptions {
  /** Where the bytes go; without it they are only counted and hashed. */
  readonly sink?: Writable;
  /** Largest body accepted. */
  readonly maxBodyBytes: number;
  /** Shared read-rate limit, when the gateway stands in for a slow uplink. */
  readonly bucket?: TokenBucket;
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
 * Streams a request body into `sink`, counting and hashing it on the way.
 *
 * @returns The body's size and hex SHA-256.
 * @throws {BodyTooLarge} Past `maxBodyBytes`, with the socket kept open so a 413 can be sent.
 */
export async function receiveBody(req: IncomingMessage, options: ReceiveBodyOptions): Promise<{ bytes: number; sha256: string }> {
  const { maxBodyBytes, bucket } = options;
  const hash = createHash('sha256');
  let bytes = 0;
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
    options.sink ?? nowhere(),
  );
  return { bytes, sha256: hash.digest('hex') };
}
