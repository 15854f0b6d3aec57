import type { FileHandle } from 'node:fs/promises';
import type { ReadStream } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import fetch from 'node-fetch';
import { Observable } from 'rxjs';
import { openAdmittedFile } from '../io/openAdmittedFile.js';
import type { GatewayRequest } from './GatewayRequest.js';
import type { GatewayResponse } from './GatewayResponse.js';

/** Printable ASCII: the only bytes every HTTP stack passes through a header untouched. */
const printableAscii = /^[\x20-\x7E]*$/;

/**
 * Makes a file name legal as a header value.
 *
 * Printable ASCII names go out unchanged, so the gateway sees exactly what the Python agent
 * sent for them. Any other name has every character outside 0x20-0x7E, and also `%`, replaced
 * by the percent-encoded bytes of its UTF-8 form (as `encodeURIComponent` would write them);
 * escaping `%` too keeps `decodeURIComponent` on the receiving side exact for such names.
 * Lone surrogates become U+FFFD.
 */
export function encodeHeaderFilename(name: string): string {
  if (printableAscii.test(name)) {
    return name;
  }
  return name.replace(/[^\x20-\x24\x26-\x7E]/gu, (char) =>
    Array.from(Buffer.from(char, 'utf8'), (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** Turns `host:port` or an http(s) URL into a base URL without a trailing slash. */
export function normaliseBaseUrl(host: unknown): string {
  if (typeof host !== 'string' || host.trim() === '') {
    throw new TypeError(`Expected \`host\` to be a non-empty string such as 'localhost:8080', got ${JSON.stringify(host)}`);
  }
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(host.trim()) ? host.trim() : `http://${host.trim()}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`Expected \`host\` to be 'host:port' or an http(s) URL, got ${JSON.stringify(host)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`Expected \`host\` to use http or https, got ${JSON.stringify(url.protocol)}`);
  }
  if (url.username !== '' || url.password !== '') {
    // Credentials in the URL would end up in logs and error messages.
    throw new TypeError('Expected `host` without credentials; pass `username` and `password` instead');
  }
  if (url.search !== '' || url.hash !== '') {
    throw new TypeError(`Expected \`host\` without a query or fragment, got ${JSON.stringify(host)}`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * The real transport: node-fetch with the body streamed from disk.
 *
 * The size comes from `fstat` on the opened file, not from the job, so `Content-Length` always
 * matches the bytes read even if the job's size is stale; the read is capped at that size in
 * case the file grows meanwhile. Unsubscribing aborts the request and closes the file. https
 * certificates are always verified; `ca` adds a private certificate authority.
 */
export function createFetchPost(options: { readonly ca?: string | Buffer } = {}): (request: GatewayRequest) => Observable<GatewayResponse> {
  const httpsAgent = options.ca === undefined ? undefined : new HttpsAgent({ ca: options.ca, keepAlive: true });
  return (request) => fetchPostWith(request, httpsAgent);
}

/** The default transport: {@link createFetchPost} with the system's certificate authorities. */
export const fetchPost = createFetchPost();

function fetchPostWith(request: GatewayRequest, httpsAgent: HttpsAgent | undefined): Observable<GatewayResponse> {
  return new Observable<GatewayResponse>((subscriber) => {
    const controller = new AbortController();
    let body: ReadStream | undefined;

    const send = async (): Promise<GatewayResponse | undefined> => {
      // Never by path again after this: a symlink or another file swapped in is refused here.
      let handle: FileHandle | undefined = await openAdmittedFile({ path: request.bodyPath, ...request.bodyIdentity });
      let size: number;
      try {
        size = (await handle.stat()).size;
        if (controller.signal.aborted) {
          return undefined;
        }
        if (size > 0) {
          // The stream owns the handle from here (autoClose), so it closes on end or destroy.
          body = handle.createReadStream({ start: 0, end: size - 1 });
          handle = undefined;
        }
      } finally {
        await handle?.close();
      }
      const response = await fetch(request.url, {
        method: 'POST',
        // An explicit Content-Length stops Node from falling back to chunked encoding,
        // which some gateways (and proxies in front of them) refuse.
        headers: { ...request.headers, 'Content-Length': String(size) },
        body: body ?? Buffer.alloc(0),
        signal: controller.signal,
        // A redirect cannot replay a streamed body; report it as a non-2xx answer instead.
        redirect: 'manual',
        ...(httpsAgent === undefined ? {} : { agent: (url: URL) => (url.protocol === 'https:' ? httpsAgent : undefined) }),
      });
      const text = await response.text();
      const retryAfter = response.headers.get('retry-after') ?? undefined;
      return { status: response.status, text, bytesSent: size, ...(retryAfter === undefined ? {} : { retryAfter }) };
    };

    send().then(
      (response) => {
        if (response !== undefined) {
          subscriber.next(response);
          subscriber.complete();
        }
      },
      (error: unknown) => {
        subscriber.error(error);
      },
    );

    return () => {
      controller.abort();
      body?.destroy();
    };
  });
}

/**
 * The `X-HASTE-reduction` value for a body that is not the original: `key=value` pairs joined
 * by `; `, the reducer first (`reducer=reduceImage; tolerance=30; compressionLevel=6`). Keys
 * and values are reduced to header-safe text; without settings the reducer is `unknown`.
 */
export function formatReductionHeader(settings: Readonly<Record<string, string | number | boolean>> | undefined): string {
  const entries = Object.entries(settings ?? {}).filter(([key]) => key !== 'reducer');
  const reducer = settings?.reducer ?? 'unknown';
  return [['reducer', reducer] as const, ...entries]
    .map(([key, value]) => `${headerToken(key)}=${headerToken(String(value))}`)
    .join('; ');
}

function headerToken(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9._+\-\/:]/g, (char) => encodeURIComponent(char).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`));
  return safe === '' ? '_' : safe;
}

/**
 * Reads a `Retry-After` value (delay seconds or an HTTP date) as milliseconds from `nowMs`.
 * Unparseable or past values give undefined, so the caller's own backoff applies.
 */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
