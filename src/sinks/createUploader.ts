import { asyncScheduler, catchError, defaultIfEmpty, defer, map, of, take, type Observable, type SchedulerLike } from 'rxjs';
import { GatewayError } from '../model/GatewayError.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import type { GatewayRequest } from './GatewayRequest.js';
import type { GatewayResponse } from './GatewayResponse.js';
import { streamId as formatStreamId } from './streamId.js';
import { fetchPost } from './fetchPost.js';
import { encodeHeaderFilename, formatReductionHeader, parseRetryAfter } from './headerValues.js';
import { normaliseBaseUrl } from './normaliseBaseUrl.js';
import { bodyIdentity } from './bodyIdentity.js';
import type { FileItem } from '../model/FileItem.js';
import { functionOption, objectOption, stringOption } from '../validation.js';

/** Options for {@link createUploader}. */
export interface UploaderOptions {
  /**
   * The gateway: `host:port` (plain http) or a full `http://` / `https://` URL, with or without
   * a trailing slash or a path prefix.
   */
  readonly host: string;
  /** Basic-auth user name; must not contain `:`. */
  readonly username: string;
  /** Basic-auth password; never appears in any message. */
  readonly password: string;
  /**
   * The gateway tag sent in `X-HASTE-tag` and appended to a generated stream id. The real
   * gateway accepts `vironova` and `discard`.
   * @default 'vironova'
   */
  readonly tag?: string;
  /**
   * The stream every file of this run is posted to (`/stream/<streamId>`); letters, digits,
   * `_` and `-`.
   * @default streamId({ startedAt, tag })
   */
  readonly streamId?: string;
  /**
   * When the run started, used only to generate the stream id (local time).
   * @default new Date(scheduler.now())
   */
  readonly startedAt?: Date;
  /**
   * Clock for `startedAt` and `finishedAt` in each {@link UploadResult}.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
  /**
   * Sends one request. The default streams `bodyPath` with node-fetch and aborts on
   * unsubscribe; tests pass a `cold()` stand-in.
   * @default node-fetch with the body streamed from disk
   */
  readonly post?: (request: GatewayRequest) => Observable<GatewayResponse>;
  /**
   * Wall clock in ms since the epoch for `X-HASTE-unixtime`, which the gateway reads as real
   * time, so it is not taken from the scheduler.
   * @default Date.now
   */
  readonly clock?: () => number;
}

const streamIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

function snippet(text: string): string {
  const flat = text.replace(/[\x00-\x1F\x7F]+/g, ' ').trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** The options once checked, with every default filled in, and what every request repeats. */
interface UploaderSettings {
  readonly baseUrl: string;
  readonly username: string;
  readonly tag: string;
  readonly scheduler: SchedulerLike;
  readonly post: (request: GatewayRequest) => Observable<GatewayResponse>;
  readonly clock: () => number;
  /** `<baseUrl>/stream/<streamId>`. */
  readonly url: string;
  /** The `Authorization` header's value. */
  readonly authorization: string;
}

/** Validates the options once, eagerly, and fills in the defaults. */
function normaliseUploaderOptions(options: UploaderOptions): UploaderSettings {
  objectOption('options', options);
  const baseUrl = normaliseBaseUrl(options.host);
  const username = stringOption('username', options.username);
  const password = stringOption('password', options.password);
  if (username.includes(':')) {
    throw new TypeError('Expected `username` without `:`, which Basic auth cannot carry');
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const tag = options.tag ?? 'vironova';
  const id = options.streamId ?? formatStreamId({ startedAt: options.startedAt ?? new Date(scheduler.now()), tag });
  if (typeof id !== 'string' || !streamIdPattern.test(id)) {
    throw new TypeError(`Expected \`streamId\` to be 1-128 letters, digits, _ or -, got ${JSON.stringify(id)}`);
  }
  if (typeof tag !== 'string' || !/^[\x21-\x7E]+$/.test(tag)) {
    throw new TypeError(`Expected \`tag\` to be non-empty printable ASCII, got ${JSON.stringify(tag)}`);
  }
  const post = options.post ?? fetchPost;
  functionOption('post', post);
  const clock = options.clock ?? Date.now;
  functionOption('clock', clock);
  const url = `${baseUrl}/stream/${id}`;
  const authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  return { baseUrl, username, tag, scheduler, post, clock, url, authorization };
}

/** The POST of one job: the protocol's headers, and the body with what it must still be. */
function requestFor(settings: UploaderSettings, job: UploadJob): GatewayRequest {
  const { item } = job;
  const bodyPath = job.bodyPath ?? item.path;
  const sendsCopy = bodyPath !== item.path;
  return {
    url: settings.url,
    headers: {
      Authorization: settings.authorization,
      'X-HASTE-original_filename': encodeHeaderFilename(item.path),
      'X-HASTE-tag': settings.tag,
      'X-HASTE-unixtime': String(settings.clock() / 1000),
      // Lets the gateway drop a repeat, e.g. after a crash between its 2xx and our ledger write.
      ...(job.bodySha256 === undefined ? {} : { 'X-HASTE-content-sha256': job.bodySha256 }),
      // original_filename keeps naming the original (protocol); these say the body is not it.
      ...(sendsCopy && job.bodyMediaType !== undefined ? { 'Content-Type': job.bodyMediaType } : {}),
      ...(sendsCopy ? { 'X-HASTE-reduction': formatReductionHeader(job.bodyReduction) } : {}),
    },
    bodyPath,
    ...(sendsCopy || job.bodyBytes === undefined ? {} : { body: job.bodyBytes }),
    // An original must still be the file admitted; a copy is only checked to be a plain file.
    bodyIdentity: bodyIdentity(job),
  };
}

/** The gateway's answer as a result: an {@link UploadResult} on 2xx, a {@link GatewayError} saying what to fix otherwise. */
function resultOf(settings: UploaderSettings, item: FileItem, startedAt: number, response: GatewayResponse): UploadResult | GatewayError {
  const { baseUrl, username, tag } = settings;
  const { status } = response;
  if (status >= 200 && status < 300) {
    return { item, status, bytes: response.bytesSent, startedAt, finishedAt: settings.scheduler.now() };
  }
  let message: string;
  if (status === 401) {
    message = `Gateway ${baseUrl} rejected the credentials of user "${username}" (401 Unauthorized): check the username and password; ${item.path} was not uploaded`;
  } else if (status === 412) {
    message = `Gateway ${baseUrl} does not accept tag "${tag}" (412 Precondition Failed); ${item.path} was not uploaded`;
  } else {
    message = `Gateway ${baseUrl} answered ${status} for ${item.path}: ${snippet(response.text)}`;
  }
  const retryAfterMs = parseRetryAfter(response.retryAfter, settings.clock());
  return new GatewayError(message, {
    status,
    path: item.path,
    item,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** One job's upload: the request, then the first answer as a result, or an error as status 0. */
function uploadOne(settings: UploaderSettings, job: UploadJob): Observable<UploadResult | GatewayError> {
  const { baseUrl, scheduler } = settings;
  return defer(() => {
    const startedAt = scheduler.now();
    const { item } = job;
    return settings.post(requestFor(settings, job)).pipe(
      take(1),
      map((response) => resultOf(settings, item, startedAt, response)),
      // Built only when needed: an Error captures a stack, too dear to make for every upload.
      defaultIfEmpty(undefined),
      map(
        (result) =>
          result ?? new GatewayError(`Upload of ${item.path} to ${baseUrl} ended without an answer`, { status: 0, path: item.path, item }),
      ),
    );
  }).pipe(
    catchError((error: unknown): Observable<UploadResult | GatewayError> => {
      const reason = error instanceof Error ? error.message : String(error);
      return of(
        new GatewayError(`Could not upload ${job.item.path} to ${baseUrl}: ${reason}`, {
          status: 0,
          path: job.item.path,
          item: job.item,
          cause: error,
        }),
      );
    }),
  );
}

/**
 * Builds the function that uploads one job to a HASTE Cloud Gateway.
 *
 * Each call returns a cold Observable that POSTs `job.bodyPath` (default `job.item.path`) to
 * `<host>/stream/<streamId>` with Basic auth and the `X-HASTE-original_filename`, `X-HASTE-tag`
 * and `X-HASTE-unixtime` headers (plus `X-HASTE-content-sha256` when the job carries
 * `bodySha256`), and emits exactly one value: an {@link UploadResult} on 2xx,
 * or a {@link GatewayError} otherwise (status 0 when no HTTP answer came, e.g. the file
 * vanished or the network failed). It never errors.
 *
 * `X-HASTE-original_filename` is the absolute path of the original file (`item.path`), as the
 * Python agent sends the watchdog event path. A path made only of printable ASCII
 * (0x20-0x7E) is sent unchanged; any other path has each character outside 0x20-0x7E, and `%`,
 * replaced by its UTF-8 bytes as `%XX` (upper-case hex, as `encodeURIComponent` writes them), so
 * `decodeURIComponent` recovers it exactly. `X-HASTE-unixtime` is `String(clock() / 1000)`, like
 * Python's `str(time.time())`.
 *
 * ```text
 * job:      a|
 * post:     --r|            (r = 200)
 * result:   --(u|)         (u = UploadResult; it completes with its one value)
 * ```
 *
 * @example
 * ```ts
 * declare const item: FileItem;
 * const upload = createUploader({ host: 'localhost:8080', username: 'u', password: 'p' });
 * upload({ item }).subscribe((result) => console.log(result));
 * ```
 *
 * @param options Where and how to upload.
 * @returns A function from a job to a one-value Observable.
 */
export function createUploader(options: UploaderOptions): (job: UploadJob) => Observable<UploadResult | GatewayError> {
  const settings = normaliseUploaderOptions(options);
  return (job) => uploadOne(settings, job);
}
