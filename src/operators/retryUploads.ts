import { asyncScheduler, catchError, concatMap, defer, type Observable, of, type SchedulerLike, timer } from 'rxjs';
import { GatewayError } from '../model/GatewayError.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import { isRetryableUpload } from './isRetryableUpload.js';
import { markUnexpected } from './retryUploadsInternals.js';
import { finiteNumberAtLeast, functionOption, numberAtLeast } from '../validation.js';

/** What an upload attempt settles to: an acknowledgement or a {@link GatewayError} value. */
export type UploadOutcome = UploadResult | GatewayError;

/** Passed to {@link RetryUploadsOptions.onRetry} once per retry, when its wait begins. */
export interface RetryInfo<J extends UploadJob = UploadJob> {
  /** The job being retried. */
  readonly job: J;
  /** 1 for the first retry (the second attempt), 2 for the next, and so on. */
  readonly attempt: number;
  /** How long we wait before the retry, in ms (jittered backoff, raised to `retryAfterMs`). */
  readonly delayMs: number;
  /** The outcome that caused the retry. */
  readonly error: GatewayError;
}

/** Options of {@link retryUploads}. */
export interface RetryUploadsOptions<J extends UploadJob = UploadJob> {
  /** The upload to retry: one attempt, settling to one {@link UploadOutcome} value. */
  readonly upload: (job: J) => Observable<UploadOutcome>;
  /** Backoff ceiling of the first retry in ms; it doubles per retry. @default 500 */
  readonly baseMs?: number;
  /** Largest backoff ceiling in ms (a gateway's `Retry-After` may still ask for longer). @default 30000 */
  readonly capMs?: number;
  /** Retries after the first attempt before the last error is emitted. @default Infinity */
  readonly maxRetries?: number;
  /** Schedules the waits. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** Source of jitter in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Called once per retry when its wait starts, so logs can show it. */
  readonly onRetry?: (info: RetryInfo<J>) => void;
}

/**
 * Wraps an upload function so network errors, 408, 429 and 5xx are retried with capped
 * exponential backoff and full jitter.
 *
 * The wait before retry `n` (from 1) is `round(random() · min(capMs, baseMs · 2^(n-1)))`,
 * raised to the gateway's `retryAfterMs` when it asked for longer. Only the final outcome is
 * emitted: the acknowledgement, a non-retryable `GatewayError` (401/403/412 … the caller
 * stops), or the last retryable one once `maxRetries` is spent. Unsubscribing during a wait
 * cancels it. An upload that throws or errors becomes a status-0 `GatewayError` value whose
 * `cause` is what was thrown; it is not retried, because its meaning is unknown.
 *
 * ```text
 * random() 0.5, baseMs 500: the wait is round(0.5 * 500) = 250 ms
 * attempt 1:  --e|           e = GatewayError 503
 * attempt 2:  --a|           a = UploadResult 200, subscribed after the wait, at 252 ms
 * result:     254ms a|       only the final outcome
 * ```
 *
 * ```ts
 * declare const jobs$: Observable<UploadJob>;
 * const upload = retryUploads({
 *   upload: createUploader({ host: 'localhost:8080', username: 'u', password: 'p' }),
 *   onRetry: (i) => console.warn(`retry ${i.attempt} of ${i.job.item.path} in ${i.delayMs} ms`),
 * });
 * jobs$.pipe(mergeMap(upload, 2)).subscribe((outcome) => console.log(outcome));
 * ```
 *
 * @param options - The upload to wrap and the backoff settings.
 * @returns An upload function with the same signature that retries.
 */
export function retryUploads<J extends UploadJob = UploadJob>(
  options: RetryUploadsOptions<J>,
): (job: J) => Observable<UploadOutcome> {
  const {
    upload,
    baseMs = 500,
    capMs = 30_000,
    maxRetries = Infinity,
    scheduler = asyncScheduler,
    random = Math.random,
    onRetry,
  } = options ?? ({} as RetryUploadsOptions<J>);
  functionOption('upload', upload);
  finiteNumberAtLeast('baseMs', baseMs, 0);
  numberAtLeast('capMs', capMs, 0);
  if (typeof maxRetries !== 'number' || !(maxRetries === Infinity || (Number.isInteger(maxRetries) && maxRetries >= 0))) {
    throw new TypeError(`Expected \`maxRetries\` to be an integer >= 0 or Infinity, got ${String(maxRetries)}`);
  }
  functionOption('random', random);

  const backoffMs = (retry: number): number => {
    const ceiling = Math.min(capMs, baseMs * 2 ** (retry - 1));
    // Clamped so a faulty random source cannot produce negative or runaway waits.
    const jitter = Math.min(1, Math.max(0, Number(random()) || 0));
    return Math.round(jitter * ceiling);
  };

  return (job: J) => {
    const unexpected = (thrown: unknown): GatewayError => {
      const message = thrown instanceof Error ? thrown.message : String(thrown);
      const error = new GatewayError(`Upload failed unexpectedly: ${message}`, {
        status: 0,
        path: job?.item?.path ?? '',
        item: job?.item,
        cause: thrown,
      });
      return markUnexpected(error);
    };

    const attempt = (retriesDone: number): Observable<UploadOutcome> =>
      defer(() => upload(job)).pipe(
        catchError((thrown: unknown) => of(unexpected(thrown))),
        concatMap((outcome) => {
          if (!isRetryableUpload(outcome) || retriesDone >= maxRetries) {
            return of(outcome);
          }
          const retry = retriesDone + 1;
          const delayMs = Math.max(backoffMs(retry), outcome.retryAfterMs ?? 0);
          return defer(() => {
            onRetry?.({ job, attempt: retry, delayMs, error: outcome });
            return timer(delayMs, scheduler);
          }).pipe(concatMap(() => attempt(retry)));
        }),
      );

    // A throwing onRetry must not end the caller's stream either.
    return attempt(0).pipe(catchError((thrown: unknown) => of(unexpected(thrown))));
  };
}
