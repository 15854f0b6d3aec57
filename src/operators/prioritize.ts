import {
  asyncScheduler,
  defer,
  Observable,
  take,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { GatewayError } from '../model/GatewayError.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import { BandwidthMeter } from './estimateBandwidthInternals.js';
import { BinaryHeap } from './internals/orderedStructures.js';
import { createPolicy, type ReduceContext, type StrategyName } from './prioritizeInternals.js';
import { reductionScore } from './reductionScore.js';
import type { ScheduleEvent } from './ScheduleEvent.js';

/** The scheduling strategies `prioritize` knows. */
export type PrioritizeStrategy = StrategyName;

const STRATEGIES: readonly PrioritizeStrategy[] = ['none', 'fifo', 'splines', 'oracle', 'adaptive'];

/** Options for {@link prioritize}. */
export interface PrioritizeOptions {
  /**
   * How to choose what to reduce and what to upload; see {@link prioritize}.
   * @default 'splines'
   */
  readonly strategy?: PrioritizeStrategy;
  /** Reductions in flight at once; 0 never reduces. Ignored (0) for `'none'`. @default 1 */
  readonly cores?: number;
  /** Uploads in flight at once. @default 1 */
  readonly uploadSlots?: number;
  /**
   * Reduces one file; the first value is used. Throwing, erroring or completing empty uploads
   * the file raw. Required unless the strategy is `'none'` or `cores` is 0.
   */
  readonly reduce?: (item: FileItem) => Observable<Reduction>;
  /** Uploads one job; the first value is used, an error becomes a `GatewayError` with status 0. */
  readonly upload: (job: UploadJob) => Observable<UploadResult | GatewayError>;
  /**
   * True scores for `'oracle'`: a function of the file, or a map from `FileItem.index`. A file
   * without one scores 0; a function that throws errors the stream. Required for `'oracle'`.
   */
  readonly oracleScores?: ((item: FileItem) => number) | ReadonlyMap<number, number>;
  /** Uplink rate in bytes/second that `'adaptive'` assumes before any upload finished. @default undefined (unknown) */
  readonly initialBandwidth?: number;
  /** The window of the bandwidth estimate `'adaptive'` keeps. @default 5000 */
  readonly bandwidthWindowMs?: number;
  /** Clock for event times and the bandwidth estimate. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /**
   * When it emits, nothing new starts: the source is dropped, the reductions and uploads in
   * flight finish, and the stream completes with the files it had not started left unsent
   * (a shutdown that keeps them for the next run). @default never
   */
  readonly halt?: Observable<unknown>;
}

function integerAtLeast(name: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new TypeError(`Expected \`${name}\` to be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/**
 * Schedules each file onto the local cores (reduce) and the uplink (upload), by priority.
 *
 * Files wait in the operator; only when a core or an upload slot frees is the next one chosen,
 * so the choice uses everything known at that moment. A reduced file is uploaded as its
 * reduction's output; a file whose reduction failed or came back `reduced: false` is uploaded
 * raw. A file taken raw by the uplink is no longer a candidate for reduction, and a file being
 * reduced is never uploaded at the same time. After each change, free cores are offered first,
 * then free upload slots, until nothing more starts.
 *
 * Strategies (scores are bytes saved per CPU-second, see `reductionScore`; the x axis of the
 * estimates is the order of arrival at this operator, which is `FileItem.index` when the source
 * is the watcher; a failed reduction counts as a score of 0):
 * - `none`: never reduce; upload oldest first.
 * - `fifo`: reduce the oldest waiting file; upload reduced files first (oldest first), then
 *   the oldest raw one.
 * - `splines` (Blamey et al.): a core reduces the lowest waiting index of the first block of 15
 *   arrivals with no known score, nothing being reduced and something waiting (search); when no
 *   block qualifies, the waiting file with the highest estimated score (climb; ties go to the
 *   oldest). Estimates interpolate the known scores linearly (mean of them while 3 or fewer are
 *   known, 0 while none are). Uploads: reduced files first (lowest index), else the raw file
 *   with the lowest estimate, so files worth reducing stay available to the cores.
 * - `oracle`: the climb with each file's true score from `oracleScores` (no search needed).
 * - `adaptive`: the same uploads and the same candidate as `splines`. Once a score and the
 *   bandwidth B are known, a candidate whose estimated score exceeds B is always reduced: it
 *   saves more uplink time than its reduction costs, so it is done sooner reduced even on an
 *   idle uplink. Otherwise a core reduces it only when all of these hold: (1) every upload
 *   slot is busy (an idle uplink sends files at once, so reducing would only add latency);
 *   (2) a climb candidate's estimated score is > 0 (search candidates are always worth
 *   exploring); (3) once both the bandwidth B (bytes/s, the fair-share estimate of the uploads
 *   so far, see `estimateBandwidth`, else `initialBandwidth`) and the CPU cost c (ms per input
 *   byte, over the reductions so far) are known: `c * size < (Q - size) / B * 1000`,
 *   where Q is the bytes waiting for the uplink. That is, the reduction must end before the
 *   uplink could drain everything else, so the uplink never waits for a core. Otherwise the core
 *   idles until the next event.
 *
 * Errors: a reducer failure becomes a `reduce-error` event and a raw upload; an upload failure
 * becomes an `upload-end` whose result is a `GatewayError`. A source error is propagated at once
 * and tears down the work in flight. Completes when the source has completed and every file's
 * upload has ended. Unsubscribing tears down every reduction and upload in flight. Each
 * decision is O(log n) in the number of waiting files.
 *
 * ```text
 * fifo, 1 core, 1 upload slot; reduce takes 2 frames, each upload 5
 * files:   ab|
 * core:    [a]                a reduced
 * uplink:   [b---][a'--]      b raw (the core is busy), then a's reduced copy
 * events:  sUe---(DV)-(W|)    s reduce-start a, U upload-start b, e reduce-end a,
 *                             D upload-end b, V upload-start a, W upload-end a
 * ```
 *
 * @example
 * ```ts
 * declare const files$: Observable<FileItem>;
 * const pool = createWorkerPool({ size: 2 });
 * const upload = createUploader({ host: 'localhost:8080', username: 'u', password: 'p' });
 * files$.pipe(
 *   prioritize({ strategy: 'splines', cores: 2, reduce: pool.reduce, upload }),
 *   filter((e) => e.type === 'upload-end'),
 * ).subscribe((e) => console.log(e.item.path));
 * ```
 *
 * @param options See {@link PrioritizeOptions}.
 * @returns An operator from files to schedule events.
 */
export function prioritize(options: PrioritizeOptions): OperatorFunction<FileItem, ScheduleEvent> {
  const strategy = options.strategy ?? 'splines';
  if (!STRATEGIES.includes(strategy)) {
    throw new TypeError(`Expected \`strategy\` to be one of ${STRATEGIES.join(', ')}, got ${String(strategy)}`);
  }
  const cores = strategy === 'none' ? 0 : integerAtLeast('cores', options.cores ?? 1, 0);
  const uploadSlots = integerAtLeast('uploadSlots', options.uploadSlots ?? 1, 1);
  const { reduce, upload, oracleScores, initialBandwidth } = options;
  const bandwidthWindowMs = options.bandwidthWindowMs ?? 5000;
  const scheduler = options.scheduler ?? asyncScheduler;
  if (typeof upload !== 'function') {
    throw new TypeError(`Expected \`upload\` to be a function, got ${typeof upload}`);
  }
  if (cores > 0 && typeof reduce !== 'function') {
    throw new TypeError(`Expected \`reduce\` to be a function when \`cores\` > 0, got ${typeof reduce}`);
  }
  if (strategy === 'oracle' && oracleScores === undefined) {
    throw new TypeError('Expected `oracleScores` for the oracle strategy, got undefined');
  }
  if (initialBandwidth !== undefined && !(initialBandwidth > 0)) {
    throw new TypeError(`Expected \`initialBandwidth\` to be a number > 0, got ${String(initialBandwidth)}`);
  }
  if (!(bandwidthWindowMs > 0)) {
    throw new TypeError(`Expected \`bandwidthWindowMs\` to be a number > 0, got ${String(bandwidthWindowMs)}`);
  }
  const trueScore = (item: FileItem): number | undefined =>
    oracleScores === undefined
      ? undefined
      : typeof oracleScores === 'function'
        ? oracleScores(item)
        : oracleScores.get(item.index);

  // Not a mergeMap: what a free slot takes is chosen when it frees, from files the operator
  // holds, which needs shared mutable queues rather than a fixed per-value pipeline.
  return (source) =>
    new Observable<ScheduleEvent>((subscriber) => {
      const policy = createPolicy(strategy);
      const items = new Map<number, FileItem>();
      const ready = new BinaryHeap<{ seq: number; job: UploadJob }>((a, b) => a.seq < b.seq);
      const meter = new BandwidthMeter<number>(bandwidthWindowMs);
      let bandwidth = initialBandwidth;
      let arrivals = 0;
      let reducing = 0;
      let uploading = 0;
      let queuedBytes = 0;
      let cpuMs = 0;
      let cpuBytes = 0;
      let sourceDone = false;
      let halted = false;
      let dispatching = false;
      let again = false;

      const context: ReduceContext = {
        get freeUploadSlots() {
          return uploadSlots - uploading;
        },
        get queuedBytes() {
          return queuedBytes;
        },
        get bandwidth() {
          return bandwidth;
        },
        get cpuMsPerByte() {
          return cpuBytes > 0 ? cpuMs / cpuBytes : undefined;
        },
        sizeOf: (seq) => items.get(seq)!.size,
      };

      // The first value of an inner Observable; anything else (error, empty, throw) is a failure.
      const runFirst = <T>(work: () => Observable<T>, onValue: (value: T) => void, onFailure: (e: unknown) => void) => {
        let settled = false;
        const inner: Subscription = defer(work)
          .pipe(take(1))
          .subscribe({
            next: (value) => {
              settled = true;
              onValue(value);
            },
            error: (error: unknown) => {
              settled = true;
              onFailure(error);
            },
            complete: () => {
              if (!settled) onFailure(new Error('completed without a value'));
            },
          });
        if (!inner.closed) subscriber.add(inner);
      };

      const startReduce = (seq: number) => {
        const item = items.get(seq)!;
        policy.startReduce(seq);
        queuedBytes -= item.size;
        reducing += 1;
        subscriber.next({ type: 'reduce-start', item, at: scheduler.now() });
        runFirst(
          () => reduce!(item),
          (reduction) => {
            reducing -= 1;
            policy.finishReduce(seq, reductionScore(reduction));
            if (reduction.bytesIn > 0 && Number.isFinite(reduction.cpuMs)) {
              cpuMs += reduction.cpuMs;
              cpuBytes += reduction.bytesIn;
            }
            const job: UploadJob =
              reduction.reduced && reduction.outputPath !== undefined
                ? {
                    item,
                    bodyPath: reduction.outputPath,
                    bodySize: reduction.bytesOut,
                    // The receiver is told what the body is (Content-Type, X-HASTE-reduction).
                    ...(reduction.mediaType === undefined ? {} : { bodyMediaType: reduction.mediaType }),
                    ...(reduction.settings === undefined ? {} : { bodyReduction: reduction.settings }),
                  }
                : { item };
            ready.push({ seq, job });
            queuedBytes += job.bodySize ?? item.size;
            subscriber.next({ type: 'reduce-end', item, at: scheduler.now(), reduction });
            dispatch();
          },
          (error) => {
            reducing -= 1;
            policy.finishReduce(seq, 0);
            ready.push({ seq, job: { item } });
            queuedBytes += item.size;
            subscriber.next({ type: 'reduce-error', item, at: scheduler.now(), error });
            dispatch();
          },
        );
      };

      const startUpload = (seq: number, job: UploadJob) => {
        const item = job.item;
        queuedBytes -= job.bodySize ?? item.size;
        uploading += 1;
        // The meter must know every upload in flight to give each finished one its fair share of the link.
        meter.start(seq, scheduler.now());
        subscriber.next({ type: 'upload-start', item, at: scheduler.now(), job });
        const finish = (result: UploadResult | GatewayError) => {
          uploading -= 1;
          items.delete(seq);
          if (result instanceof GatewayError) meter.fail(seq, scheduler.now());
          else bandwidth = meter.finish(seq, result, scheduler.now()) ?? bandwidth;
          subscriber.next({ type: 'upload-end', item, at: scheduler.now(), result });
          dispatch();
        };
        runFirst(
          () => upload(job),
          finish,
          (error) =>
            finish(
              new GatewayError(`Upload of ${item.path} failed: ${error instanceof Error ? error.message : String(error)}`, {
                status: 0,
                path: item.path,
                item,
                cause: error,
              }),
            ),
        );
      };

      // Re-entrant calls (an inner Observable answering synchronously) just ask for another pass.
      const dispatch = () => {
        if (dispatching) {
          again = true;
          return;
        }
        if (halted) {
          if (reducing === 0 && uploading === 0) subscriber.complete();
          return;
        }
        dispatching = true;
        try {
          do {
            again = false;
            while (reducing < cores && !subscriber.closed) {
              const seq = policy.pickReduce(context);
              if (seq === undefined) break;
              startReduce(seq);
            }
            while (uploading < uploadSlots && !subscriber.closed) {
              const next = ready.pop();
              if (next !== undefined) {
                startUpload(next.seq, next.job);
                again = true;
                continue;
              }
              const seq = policy.pickRawUpload();
              if (seq === undefined) break;
              policy.startRawUpload(seq);
              startUpload(seq, { item: items.get(seq)! });
              again = true;
            }
          } while (again && !subscriber.closed);
        } finally {
          dispatching = false;
        }
        if (sourceDone && items.size === 0) subscriber.complete();
      };

      const sourceSubscription = source.subscribe({
        next: (item) => {
          let score: number | undefined;
          try {
            score = strategy === 'oracle' ? trueScore(item) : undefined;
          } catch (error) {
            // A broken oracle is a bug in the caller's benchmark, not a bad file.
            subscriber.error(error);
            return;
          }
          const seq = arrivals++;
          items.set(seq, item);
          queuedBytes += item.size;
          policy.add(seq, score);
          dispatch();
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          dispatch();
        },
      });
      subscriber.add(sourceSubscription);
      if (options.halt !== undefined) {
        subscriber.add(
          options.halt.pipe(take(1)).subscribe(() => {
            halted = true;
            sourceSubscription.unsubscribe();
            dispatch();
          }),
        );
      }
    });
}
