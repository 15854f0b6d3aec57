import { mergeMap, type OperatorFunction } from 'rxjs';
import type { GatewayError } from '../model/GatewayError.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import { createUploader, type UploaderOptions } from './createUploader.js';

/** Options for {@link postToGateway}. */
export interface PostToGatewayOptions extends UploaderOptions {
  /**
   * Uploads in flight at once; further jobs wait in order. This is the sink's backpressure.
   * @default 4
   */
  readonly concurrency?: number;
}

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
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new TypeError(`Expected \`concurrency\` to be an integer >= 1, got ${String(concurrency)}`);
  }
  return mergeMap(createUploader(options), concurrency);
}
