import { catchError, defaultIfEmpty, defer, map, mergeMap, of, take, type Observable, type OperatorFunction } from 'rxjs';
import { GatewayError } from '../model/GatewayError.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import { createUploader, type UploaderOptions } from './createUploader.js';
import { functionOption, integerAtLeast, messageOf } from '../validation.js';

/** What {@link postToGateway} needs besides where to send: its concurrency. */
interface PostToGatewaySlots {
  /**
   * Uploads in flight at once (mergeMap's concurrency); further jobs wait in order. This is
   * the sink's backpressure.
   * @default 4
   */
  readonly concurrency?: number;
}

/**
 * Options for {@link postToGateway}: the gateway and credentials (as `createUploader` takes
 * them), or `upload`, a function that uploads one job (with retries, a stand-in in tests).
 */
export type PostToGatewayOptions = PostToGatewaySlots &
  (UploaderOptions | { readonly upload: (job: UploadJob) => Observable<UploadResult | GatewayError> });

/**
 * Uploads each job to a HASTE Cloud Gateway, at most `concurrency` at a time.
 *
 * Emits one {@link UploadResult} or {@link GatewayError} per job, in completion order; a failed
 * file is a value, so the stream goes on. Completes when the source has completed and every
 * upload has answered; unsubscribing aborts the uploads in flight.
 *
 * ```text
 * source:  a-b-c|
 * post:    --r|        (each, concurrency 1)
 * result:  --A-B-(C|)   (the last upload ends after the source)
 * ```
 *
 * (Run as written by test/docs/postToGatewayDiagram.test.ts.)
 *
 * @example
 * ```ts
 * declare const jobs$: Observable<UploadJob>;
 * jobs$.pipe(postToGateway({ host: 'localhost:8080', username: 'u', password: 'p', concurrency: 2 }))
 *   .subscribe((r) => console.log(r instanceof GatewayError ? r.message : r.item.path));
 * ```
 *
 * @param options The gateway, credentials and concurrency.
 * @returns An operator from jobs to results.
 */
export function postToGateway(options: PostToGatewayOptions): OperatorFunction<UploadJob, UploadResult | GatewayError> {
  const concurrency = options?.concurrency ?? 4;
  integerAtLeast('concurrency', concurrency, 1);
  if ('upload' in options) {
    const { upload } = options;
    functionOption('upload', upload);
    return mergeMap((job) => uploadOnce(upload, job), concurrency);
  }
  return mergeMap(createUploader(options), concurrency);
}

/** One result for one job, whatever the function does: its first value, or a status-0 error. */
function uploadOnce(upload: (job: UploadJob) => Observable<UploadResult | GatewayError>, job: UploadJob): Observable<UploadResult | GatewayError> {
  const { item } = job;
  const failed = (reason: string, cause?: unknown): GatewayError =>
    new GatewayError(`Upload of ${item.path} failed: ${reason}`, { status: 0, path: item.path, item, cause });
  return defer(() => upload(job)).pipe(
    take(1),
    // Built only when needed: an Error captures a stack, which holds on to what built it.
    defaultIfEmpty(undefined),
    map((result) => result ?? failed('completed without a value')),
    catchError((error: unknown) => of(failed(messageOf(error), error))),
  );
}
