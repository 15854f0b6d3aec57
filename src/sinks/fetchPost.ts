import type { FileHandle } from 'node:fs/promises';
import type { ReadStream } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import fetch from 'node-fetch';
import { Observable } from 'rxjs';
import { checkAdmitted, openAdmitted, readWhole } from '../io/admittedFileInternals.js';
import type { GatewayRequest } from './GatewayRequest.js';
import type { GatewayResponse } from './GatewayResponse.js';

/**
 * The real transport: node-fetch with the body streamed from disk.
 *
 * The size comes from `fstat` on the opened file, not from the job, so `Content-Length` always
 * matches the bytes read even if the job's size is stale; the read is capped at that size in
 * case the file grows meanwhile. Bodies up to 256 KiB are read whole first (a file that shrinks
 * meanwhile fails with a FileChangedError), larger ones streamed. Unsubscribing aborts the
 * request and closes the file. https certificates are always verified; `ca` adds a private
 * certificate authority.
 */
export function createFetchPost(options: { readonly ca?: string | Buffer } = {}): (request: GatewayRequest) => Observable<GatewayResponse> {
  const httpsAgent = options.ca === undefined ? undefined : new HttpsAgent({ ca: options.ca, keepAlive: true });
  return (request) => fetchPostWith(request, httpsAgent);
}

/** Bodies up to this size are read into memory and sent from there (at most one per upload slot). */
const bufferedBodyBytes = 256 * 1024;

/** The default transport: {@link createFetchPost} with the system's certificate authorities. */
export const fetchPost = createFetchPost();

function fetchPostWith(request: GatewayRequest, httpsAgent: HttpsAgent | undefined): Observable<GatewayResponse> {
  return new Observable<GatewayResponse>((subscriber) => {
    const controller = new AbortController();
    let body: ReadStream | undefined;

    const send = async (): Promise<GatewayResponse | undefined> => {
      const { size, bytes } = request.body !== undefined ? await checkedBody(request.body) : await readBody();
      if (controller.signal.aborted) {
        return undefined;
      }
      const response = await fetch(request.url, {
        method: 'POST',
        // An explicit Content-Length stops Node from falling back to chunked encoding,
        // which some gateways (and proxies in front of them) refuse.
        headers: { ...request.headers, 'Content-Length': String(size) },
        body: body ?? bytes ?? Buffer.alloc(0),
        signal: controller.signal,
        // A redirect cannot replay a streamed body; report it as a non-2xx answer instead.
        redirect: 'manual',
        ...(httpsAgent === undefined ? {} : { agent: (url: URL) => (url.protocol === 'https:' ? httpsAgent : undefined) }),
      });
      const text = await response.text();
      const retryAfter = response.headers.get('retry-after') ?? undefined;
      return { status: response.status, text, bytesSent: size, ...(retryAfter === undefined ? {} : { retryAfter }) };
    };

    /**
     * The bytes the job brought, sent only while `bodyPath` is still the file they were read
     * from: one `lstat`, where reading the file again takes four calls.
     */
    const checkedBody = async (given: Buffer): Promise<{ size: number; bytes: Buffer }> => {
      await checkAdmitted({ path: request.bodyPath, ...request.bodyIdentity });
      return { size: given.length, bytes: given };
    };

    /** The body from `bodyPath`: small ones read whole, larger ones as a stream (in `body`). */
    const readBody = async (): Promise<{ size: number; bytes: Buffer | undefined }> => {
      // Never by path again after this: a symlink or another file swapped in is refused here.
      const admitted = await openAdmitted({ path: request.bodyPath, ...request.bodyIdentity });
      let handle: FileHandle | undefined = admitted.handle;
      const size = admitted.stats.size;
      let bytes: Buffer | undefined;
      try {
        if (size > 0 && size <= bufferedBodyBytes) {
          // A small body is read whole and sent as a buffer: a read stream and its pipeline cost
          // more than the request itself at a thousand small files a second.
          bytes = await readWhole({ handle, size, path: request.bodyPath });
        } else if (size > 0 && !controller.signal.aborted) {
          // The stream owns the handle from here (autoClose), so it closes on end or destroy.
          body = handle.createReadStream({ start: 0, end: size - 1 });
          handle = undefined;
        }
      } finally {
        await handle?.close();
      }
      return { size, bytes };
    };

    let settled = false;
    send().then(
      (response) => {
        settled = true;
        if (response !== undefined) {
          subscriber.next(response);
          subscriber.complete();
        }
      },
      (error: unknown) => {
        settled = true;
        subscriber.error(error);
      },
    );

    return () => {
      // Aborting a request that has ended would only build an AbortError for nobody.
      if (!settled) controller.abort();
      body?.destroy();
    };
  });
}
