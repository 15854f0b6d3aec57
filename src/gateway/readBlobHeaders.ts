import type { IncomingMessage } from 'node:http';
import { decodePercent, header } from './gatewayInternals.js';
import { BadReductionHeader, readReduction, type BlobReduction } from './reducedCopy.js';
import { isSha256Hex } from '../validation.js';

/** The protocol headers of one upload, checked. */
export interface BlobHeaders {
  /** `X-HASTE-original_filename`, percent-decoded. */
  readonly originalFilename: string;
  /** `X-HASTE-tag`, one the gateway accepts. */
  readonly tag: string;
  /** `X-HASTE-unixtime` as sent. */
  readonly unixtime: string;
  /** `X-HASTE-content-sha256`, lower-cased, when the client sent one. */
  readonly claimedHash: string | undefined;
  /** Set for a reduced copy (`X-HASTE-reduction` and `Content-Type`), absent for an original. */
  readonly reduction: BlobReduction | undefined;
}

/** An answer that ends a request before its body is read: status, body and extra headers. */
export type Refusal = readonly [status: number, body: string, headers?: Record<string, string>];

const badTagBody = 'The request has not been applied because it lacks valid X-HASTE-tag.';

/**
 * Checks an upload's headers before its body is read: the three protocol headers (400), the tag
 * (412, with the real gateway's text), a declared length beyond `maxBodyBytes` (413), the
 * optional content hash and reduction headers (400).
 *
 * @returns The headers, or the refusal to send.
 */
export function readBlobHeaders(req: IncomingMessage, tags: readonly string[], maxBodyBytes: number): BlobHeaders | { refusal: Refusal } {
  const tag = header(req, 'x-haste-tag');
  const rawFilename = header(req, 'x-haste-original_filename');
  const unixtime = header(req, 'x-haste-unixtime');
  if (rawFilename === undefined || tag === undefined || unixtime === undefined) {
    return { refusal: [400, 'Missing X-HASTE-original_filename, X-HASTE-tag or X-HASTE-unixtime header.'] };
  }
  if (!tags.includes(tag)) {
    return { refusal: [412, badTagBody] };
  }
  const declaredLength = header(req, 'content-length');
  if (declaredLength !== undefined && Number(declaredLength) > maxBodyBytes) {
    // Closing spares us reading a body we already know we will refuse.
    return { refusal: [413, `The body exceeds ${maxBodyBytes} bytes.`, { Connection: 'close' }] };
  }
  const claimedHash = header(req, 'x-haste-content-sha256')?.toLowerCase();
  if (claimedHash !== undefined && !isSha256Hex(claimedHash)) {
    return { refusal: [400, 'X-HASTE-content-sha256 must be 64 hex digits.'] };
  }
  let reduction: BlobReduction | undefined;
  try {
    reduction = readReduction(header(req, 'x-haste-reduction'), header(req, 'content-type'));
  } catch (error) {
    if (error instanceof BadReductionHeader) return { refusal: [400, error.message] };
    throw error;
  }
  return { originalFilename: decodePercent(rawFilename), tag, unixtime, claimedHash, reduction };
}
