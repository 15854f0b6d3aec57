import { asyncScheduler, defer, filter, map, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { GatewayError } from '../model/GatewayError.js';
import type { UploadResult } from '../model/UploadResult.js';
import { BandwidthMeter } from './BandwidthMeter.js';
import type { ScheduleEvent } from './ScheduleEvent.js';

/** Options for {@link estimateBandwidth}. */
export interface EstimateBandwidthOptions {
  /**
   * Only uploads that finished within this many milliseconds before now count, so the estimate
   * follows a link whose rate drifts. The latest upload always counts. A step of the link does
   * not wait for the window: fed schedule events, the window restarts once the latest two
   * uploads each ran more than 1.3 × below the estimate, or above it having started on a loaded
   * link (see below).
   * @default 5000
   */
  readonly windowMs?: number;
  /** Clock for the window. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

// A file's upload-start and upload-end carry the same item; index and path together survive
// events that were copied rather than passed on.
const keyOf = (item: FileItem): string => `${item.index}\u0000${item.path}`;

const isScheduleEvent = (value: UploadResult | GatewayError | ScheduleEvent): value is ScheduleEvent =>
  !(value instanceof GatewayError) && typeof (value as { type?: unknown }).type === 'string';

/**
 * Estimates the uplink's rate in bytes/second from uploads, best when it also sees them start.
 *
 * Fed the schedule's events (`scheduleFiles`, or `prioritize`'s decisions merged with the outcomes), it knows every upload in flight, so it sets each finished
 * upload's bytes against its fair share of the link (1/k of the time while k uploads ran
 * together): parallel uploads, the window's edges and idle gaps then cost nothing, and the rate is
 * exact on a link that serves its uploads evenly (real TCP flows share less evenly, which shows
 * as noise at the window's edges). Each upload's own rate is then exact too, so a step of the
 * link shows in the first uploads after it: when the latest two both lie more than 1.3 × away
 * from the estimate on the same side, the window restarts at the first of them, and the
 * estimate follows the step within about two uploads' time instead of a whole window. Many
 * links let a burst through after an idle moment (a token-bucket shaper or policer spends the
 * credit it saved while idle), so an upload that started on a rested link may run far faster
 * than the link keeps up; an upload counts as *loaded* when the link had been busy 5 ms or more
 * before it started. With two or more loaded uploads in the window the estimate is
 * theirs alone, and only loaded uploads can show a step up. Every `upload-start` must be followed by its `upload-end`
 * (a file is matched by `item.index` and `item.path`), or the upload counts as in flight forever.
 * Fed bare `UploadResult`s, it cannot know what else was in flight, so it anchors the window at
 * a finish instead: unbiased on average but noisier (±20% at 1 MB/s with 3 uploads in flight
 * and 5 s windows), and high at start-up while only the first overlapping uploads are known.
 * Emits after each successful upload once some time is known; `GatewayError`s and other events
 * emit nothing (a failed upload still counts as sharing the link while it ran).
 *
 * ```text
 * events:             -U-U----D---U-D-----D-|   U upload-start, D upload-end (a result)
 * estimateBandwidth() --------x-----y-----z-|   bytes/s over each upload's share of the link
 *
 * results:            --------a-----b-----c-|   bare UploadResults, starts unknown
 * estimateBandwidth() --------x-----y-----z-|   bytes/s from the window anchored at a finish
 * ```
 *
 * @example
 * ```ts
 * declare const files$: Observable<FileItem>;
 * const { reduce } = createWorkerPool({ size: 2 });
 * const upload = createUploader({ host: 'localhost:8080', username: 'u', password: 'p' });
 * files$.pipe(
 *   scheduleFiles({ strategy: 'adaptive', cores: 2, uploadSlots: 3, reduce, upload }),
 *   estimateBandwidth({ windowMs: 10_000 }),
 * ).subscribe((bps) => console.log(`${(bps / 1e6).toFixed(2)} MB/s`));
 * ```
 *
 * @param options See {@link EstimateBandwidthOptions}.
 * @returns An operator from schedule events or upload results to bytes/second.
 */
export function estimateBandwidth(
  options?: EstimateBandwidthOptions,
): OperatorFunction<UploadResult | GatewayError | ScheduleEvent, number> {
  const windowMs = options?.windowMs ?? 5000;
  const scheduler = options?.scheduler ?? asyncScheduler;
  if (!(typeof windowMs === 'number' && windowMs > 0)) {
    throw new TypeError(`Expected \`windowMs\` to be a number > 0, got ${String(windowMs)}`);
  }
  return (source) =>
    defer(() => {
      const meter = new BandwidthMeter<string>(windowMs);
      return source.pipe(
        map((value): number | undefined => {
          if (value instanceof GatewayError) return undefined;
          if (!isScheduleEvent(value)) return meter.add(value, scheduler.now());
          if (value.type === 'upload-start') {
            meter.start(keyOf(value.item), value.at);
          } else if (value.type === 'upload-end') {
            if (!(value.result instanceof GatewayError)) return meter.finish(keyOf(value.item), value.result, scheduler.now());
            meter.fail(keyOf(value.item), value.at);
          }
          return undefined;
        }),
        filter((rate): rate is number => rate !== undefined),
      );
    });
}
