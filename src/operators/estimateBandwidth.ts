import { asyncScheduler, defer, filter, map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { GatewayError } from '../model/GatewayError.js';
import type { UploadResult } from '../model/UploadResult.js';
import { BandwidthMeter } from './estimateBandwidthInternals.js';

/** Options for {@link estimateBandwidth}. */
export interface EstimateBandwidthOptions {
  /**
   * Only uploads that finished within this many milliseconds before now count, so the estimate
   * follows a link whose rate changes. The latest upload always counts.
   * @default 5000
   */
  readonly windowMs?: number;
  /** Clock for the window. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * Estimates the uplink's rate in bytes/second from finished uploads.
 *
 * Bytes delivered divided by the time the link was busy: the union of the uploads' intervals,
 * so parallel uploads are not double-counted and idle gaps do not drag the rate down. Emits
 * after each `UploadResult` once some busy time is known; `GatewayError` values are ignored.
 *
 * ```text
 * results:            ---a-----b--c---|     (a: 1000 B over 1 s, b and c overlapping)
 * estimateBandwidth() ---x-----y--z---|     bytes/s over the busy time in the window
 * ```
 *
 * @example
 * ```ts
 * results$.pipe(estimateBandwidth({ windowMs: 10_000 })).subscribe((bps) => console.log(bps));
 * ```
 *
 * @param options See {@link EstimateBandwidthOptions}.
 * @returns An operator from upload results to bytes/second.
 */
export function estimateBandwidth(
  options?: EstimateBandwidthOptions,
): OperatorFunction<UploadResult | GatewayError, number> {
  const windowMs = options?.windowMs ?? 5000;
  const scheduler = options?.scheduler ?? asyncScheduler;
  if (!(typeof windowMs === 'number' && windowMs > 0)) {
    throw new TypeError(`Expected \`windowMs\` to be a number > 0, got ${String(windowMs)}`);
  }
  return (source) =>
    defer(() => {
      const meter = new BandwidthMeter(windowMs);
      return source.pipe(
        filter((result): result is UploadResult => !(result instanceof GatewayError)),
        map((result) => meter.add(result, scheduler.now())),
        filter((rate): rate is number => rate !== undefined),
      );
    });
}
