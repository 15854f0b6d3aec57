import { IndexSet } from './internals/orderedStructures.js';
import { integerAtLeast } from '../validation.js';

/** Options for {@link createGainModel}. */
export interface GainModelOptions {
  /**
   * Interpolate between known scores only once more than this many are known; until then
   * every file is estimated at the mean of the known scores (a line through two or three
   * noisy points extrapolates badly, which is why the HASTE agent waits for more).
   * @default 3
   */
  readonly interpolateAfter?: number;
}

/** One known score: the file at arrival index `index` saved `score` bytes per CPU-second. */
export interface GainPoint {
  readonly index: number;
  readonly score: number;
}

/**
 * An estimate of every file's score from the scores known so far.
 *
 * Piecewise linear over the arrival index through the known points, held constant beyond the
 * first and last; the mean of the known scores while there are `interpolateAfter` or fewer;
 * undefined while none are known.
 */
export interface GainModel {
  /** How many scores are known. */
  readonly known: number;
  /** Records the true score of the file at `index` (replacing an earlier one). */
  observe(index: number, score: number): void;
  /** The known score at `index`, or undefined. */
  scoreAt(index: number): number | undefined;
  /** The estimated score at `index` (the known one if known), or undefined if none are known. */
  estimate(index: number): number | undefined;
  /** True while the estimate is the mean of the known scores rather than an interpolation. */
  readonly usesMean: boolean;
  /** The largest known index <= `index`, or undefined. */
  knownAtOrBefore(index: number): number | undefined;
  /** The smallest known index >= `index`, or undefined. */
  knownAtOrAfter(index: number): number | undefined;
  /** The known points in index order; O(known log n), a copy. */
  points(): GainPoint[];
}

/**
 * Creates the score estimator of the `splines` scheduler.
 *
 * Scores are learnt one finished reduction at a time and interpolated linearly over the arrival
 * index, as in Blamey et al.'s HASTE agent: neighbouring files of a microscopy run tend to
 * compress alike. `estimate` and the neighbour queries are O(log n); `observe` is O(log n)
 * amortised. Indices must be integers >= 0 (`FileItem.index`).
 *
 * ```text
 * score
 *   |      o
 *   |----o   \        o-------   (constant beyond the last known point)
 *   |          \    /
 *   |            o
 *   +--------------------------- index
 * ```
 *
 * @example
 * ```ts
 * const model = createGainModel();
 * [[0, 10], [10, 30], [20, 10], [30, 10]].forEach(([i, s]) => model.observe(i, s));
 * model.estimate(5); // 20
 * model.estimate(99); // 10
 * ```
 *
 * @param options See {@link GainModelOptions}.
 * @returns An empty model.
 */
export function createGainModel(options?: GainModelOptions): GainModel {
  const interpolateAfter = options?.interpolateAfter ?? 3;
  integerAtLeast('interpolateAfter', interpolateAfter, 0);
  const indices = new IndexSet();
  const scores = new Map<number, number>();
  let sum = 0;

  const model: GainModel = {
    get known() {
      return scores.size;
    },
    get usesMean() {
      return scores.size <= interpolateAfter;
    },
    observe(index, score) {
      if (!Number.isSafeInteger(index) || index < 0) {
        throw new RangeError(`Expected \`index\` to be an integer >= 0, got ${index}`);
      }
      if (!Number.isFinite(score)) throw new RangeError(`Expected \`score\` to be finite, got ${score}`);
      sum += score - (scores.get(index) ?? 0);
      scores.set(index, score);
      indices.add(index);
    },
    scoreAt: (index) => scores.get(index),
    estimate(index) {
      if (scores.size === 0) return undefined;
      const exact = scores.get(index);
      if (exact !== undefined) return exact;
      if (scores.size <= interpolateAfter) return sum / scores.size;
      const left = indices.prev(index);
      const right = indices.next(index);
      if (left === undefined) return scores.get(right!)!;
      if (right === undefined) return scores.get(left)!;
      const l = scores.get(left)!;
      const r = scores.get(right)!;
      return l + ((r - l) * (index - left)) / (right - left);
    },
    knownAtOrBefore: (index) => indices.prev(index),
    knownAtOrAfter: (index) => indices.next(index),
    points: () => [...indices.values()].map((index) => ({ index, score: scores.get(index)! })),
  };
  return model;
}
