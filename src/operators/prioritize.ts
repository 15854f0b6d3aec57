import { asyncScheduler, isObservable, Observable, take, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { integerAtLeast, numberAbove } from '../validation.js';
import type { GainModel } from './createGainModel.js';
import { PriorityMerge } from './PriorityMerge.js';
import { createPolicy, SEARCH_BLOCK, type StrategyName } from './schedulingPolicies.js';
import type { ScheduleDecision } from './ScheduleDecision.js';
import type { ScheduleOutcome } from './ScheduleOutcome.js';

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
  /** Slots of the local-reduce branch; 0 never reduces. Ignored (0) for `'none'`. @default 1 */
  readonly cores?: number;
  /** Slots of the upload branch. @default 1 */
  readonly uploadSlots?: number;
  /**
   * The feedback loop: what the branches report back (`reduce-end`, `reduce-error`,
   * `upload-end`). Each frees its branch's slot; a `reduce-end` queues the file's copy for
   * upload. Subscribed before the files; outcomes of decisions never made are ignored.
   */
  readonly outcomes: Observable<ScheduleOutcome>;
  /**
   * The uplink's rate in bytes/second, for `'adaptive'`: a fixed number, or a stream of
   * estimates (the latest counts; e.g. your own `estimateBandwidth` over the events).
   * @default measured from the upload outcomes with `estimateBandwidth`'s fair-share rule
   */
  readonly bandwidth?: number | Observable<number>;
  /** Rate (bytes/s) assumed before the first measurement or estimate. @default undefined (unknown) */
  readonly initialBandwidth?: number;
  /** The window of the measured bandwidth. @default 5000 */
  readonly bandwidthWindowMs?: number;
  /**
   * The score model of `'splines'` and `'adaptive'`: learns each reduction's score by arrival
   * index and estimates the rest. It must be piecewise linear between its known points (as
   * `createGainModel`'s is): the policy looks only at each segment's ends.
   * @default createGainModel()
   */
  readonly gainModel?: GainModel;
  /** Arrivals per search block of `'splines'` and `'adaptive'`, as in the HASTE agent. @default 15 */
  readonly searchBlock?: number;
  /**
   * True scores for `'oracle'`: a function of the file, or a map from `FileItem.index`. A file
   * without one scores 0; a function that throws errors the stream. Required for `'oracle'`.
   */
  readonly oracleScores?: ((item: FileItem) => number) | ReadonlyMap<number, number>;
  /** Clock for decision times and the measured bandwidth. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /**
   * When it emits, nothing new is released: the files are dropped, and the stream completes
   * once the decisions in flight have their outcomes (a shutdown that keeps the rest for the
   * next run). @default never
   */
  readonly halt?: Observable<unknown>;
}

/**
 * The priority merge: holds the files and releases each to the local-reduce branch or the
 * upload branch, by priority, only when that branch has a free slot.
 *
 * It emits decisions (`reduce-start` with the file, `upload-start` with the upload job) and
 * learns what became of them from `outcomes`, the branches' reports fed back to it: that is
 * the loop of the pipeline (see `scheduleFiles`, which closes it with `routeDecisions`). A file
 * whose reduction came back `reduced: false` or failed is uploaded raw; a file taken raw by the
 * uplink is no longer a candidate for reduction. After each change, free cores are offered
 * first, then free upload slots, until nothing more starts, so the branches' `mergeMap`
 * concurrency is never exceeded. Each decision is O(log n) in the number of waiting files.
 *
 * Strategies (scores are bytes saved per CPU-second, see `reductionScore`; the x axis of the
 * estimates is the order of arrival, which is `FileItem.index` when the source is the watcher;
 * a failed reduction counts as a score of 0):
 * - `none`: never reduce; upload oldest first.
 * - `fifo`: reduce the oldest waiting file; upload reduced files first (oldest first), then
 *   the oldest raw one.
 * - `splines` (Blamey et al.): a core reduces the lowest waiting index of the first block of
 *   `searchBlock` (15) arrivals with no known score, nothing being reduced and something waiting
 *   (search); when no block qualifies, the waiting file with the highest estimated score (climb;
 *   ties go to the oldest). Estimates come from `gainModel` (by default linear between the known
 *   scores, their mean while 3 or fewer are known, 0 while none are). Uploads: reduced files
 *   first (lowest index), else the raw file with the lowest estimate, so files worth reducing
 *   stay available to the cores.
 * - `oracle`: the climb with each file's true score from `oracleScores` (no search needed).
 * - `adaptive`: the same uploads and the same candidate as `splines`. Once a score and the
 *   bandwidth B are known, a candidate whose estimated score exceeds B is always reduced: it
 *   saves more uplink time than its reduction costs, so it is done sooner reduced even on an
 *   idle uplink. A climb candidate whose estimated score is <= 0 is never reduced (search
 *   candidates are always worth exploring). Otherwise, once B (`bandwidth`, by default measured,
 *   following steps of the link) and the CPU cost c (ms per input byte, over the reductions so
 *   far) are known, a core reduces the candidate when it is done sooner reduced than raw:
 *   `c * size < (F + Q - size + saved) / B * 1000`, where Q is the bytes waiting for the uplink,
 *   F the bytes the uploads in flight have still to send (their sizes less their shares of B
 *   since they started) and saved = score · c · size / 1000 the bytes its reduction is expected
 *   to save (raw, it goes after F and the other Q − size bytes; reduced, after the core and the
 *   smaller copy). While B or c is unknown, it reduces only when every upload slot is busy.
 *   Otherwise the core idles until the next event.
 *
 * A source error is propagated at once. Completes when the files have completed and every
 * file's `upload-end` came back.
 *
 * ```text
 * fifo, 1 core, 1 upload slot
 * files:     ab|
 * outcomes:  --e----D-----W     e reduce-end a, D upload-end b, W upload-end a'
 * decisions: sU-----V-----|     s reduce-start a, U upload-start b (the core is busy),
 *                               V upload-start a' (a's reduced copy)
 * ```
 *
 * @example
 * ```ts
 * declare const files$: Observable<FileItem>;
 * declare const outcomes$: Observable<ScheduleOutcome>; // what the branches report back
 * files$.pipe(prioritize({ strategy: 'adaptive', cores: 2, uploadSlots: 2, outcomes: outcomes$, bandwidth: 2e6 }))
 *   .subscribe((decision) => console.log(decision.type, decision.item.path));
 * ```
 *
 * @param options See {@link PrioritizeOptions}.
 * @returns An operator from files to decisions.
 */
export function prioritize(options: PrioritizeOptions): OperatorFunction<FileItem, ScheduleDecision> {
  const settings = normalise(options);
  return (source) =>
    new Observable<ScheduleDecision>((subscriber) => {
      const { strategy, trueScore } = settings;
      const merge = new PriorityMerge(
        createPolicy(strategy, { searchBlock: settings.searchBlock, ...(settings.gainModel === undefined ? {} : { gainModel: settings.gainModel }) }),
        settings,
        {
          decide: (decision) => subscriber.next(decision),
          complete: () => subscriber.complete(),
          get closed() {
            return subscriber.closed;
          },
        },
      );
      if (isObservable(options.bandwidth)) {
        subscriber.add(options.bandwidth.subscribe({ next: (rate) => merge.setBandwidth(rate), error: (error: unknown) => subscriber.error(error) }));
      }
      // Subscribed first, so a branch that answers at once is heard.
      subscriber.add(options.outcomes.subscribe({ next: (outcome) => merge.report(outcome), error: (error: unknown) => subscriber.error(error) }));
      const files = source.subscribe({
        next: (item) => {
          let score: number | undefined;
          try {
            score = strategy === 'oracle' ? trueScore(item) : undefined;
          } catch (error) {
            // A broken oracle is a bug in the caller's benchmark, not a bad file.
            subscriber.error(error);
            return;
          }
          merge.add(item, score);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => merge.endOfFiles(),
      });
      subscriber.add(files);
      if (options.halt !== undefined) {
        subscriber.add(
          options.halt.pipe(take(1)).subscribe(() => {
            files.unsubscribe();
            merge.halt();
          }),
        );
      }
    });
}

function normalise(options: PrioritizeOptions) {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
  }
  const strategy = options.strategy ?? 'splines';
  if (!STRATEGIES.includes(strategy)) {
    throw new TypeError(`Expected \`strategy\` to be one of ${STRATEGIES.join(', ')}, got ${String(strategy)}`);
  }
  const cores = strategy === 'none' ? 0 : integerAtLeast('cores', options.cores ?? 1, 0);
  const uploadSlots = integerAtLeast('uploadSlots', options.uploadSlots ?? 1, 1);
  const searchBlock = integerAtLeast('searchBlock', options.searchBlock ?? SEARCH_BLOCK, 1);
  const { oracleScores, initialBandwidth, bandwidth, gainModel } = options;
  if (!isObservable(options.outcomes)) {
    throw new TypeError(`Expected \`outcomes\` to be an Observable of the branches' reports, got ${typeof options.outcomes}`);
  }
  if (strategy === 'oracle' && oracleScores === undefined) {
    throw new TypeError('Expected `oracleScores` for the oracle strategy, got undefined');
  }
  if (initialBandwidth !== undefined) numberAbove('initialBandwidth', initialBandwidth, 0);
  if (bandwidth !== undefined && !isObservable(bandwidth)) numberAbove('bandwidth', bandwidth, 0);
  const bandwidthWindowMs = numberAbove('bandwidthWindowMs', options.bandwidthWindowMs ?? 5000, 0);
  if (gainModel !== undefined && (gainModel === null || typeof gainModel.estimate !== 'function')) {
    throw new TypeError(`Expected \`gainModel\` to be a GainModel such as createGainModel() returns, got ${String(gainModel)}`);
  }
  const trueScore = (item: FileItem): number | undefined =>
    oracleScores === undefined ? undefined : typeof oracleScores === 'function' ? oracleScores(item) : oracleScores.get(item.index);
  return {
    strategy,
    cores,
    uploadSlots,
    searchBlock,
    gainModel,
    trueScore,
    fixedBandwidth: typeof bandwidth === 'number' ? bandwidth : undefined,
    initialBandwidth,
    bandwidthWindowMs,
    measureBandwidth: bandwidth === undefined,
    scheduler: options.scheduler ?? asyncScheduler,
  };
}
