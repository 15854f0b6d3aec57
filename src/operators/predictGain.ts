import { defer, filter, map, type OperatorFunction } from 'rxjs';
import type { Reduction } from '../model/Reduction.js';
import { createGainModel, type GainModelOptions, type GainPoint } from './createGainModel.js';
import { reductionScore } from './reductionScore.js';

/** Options for {@link predictGain}; the same knobs as the `splines` scheduler's model. */
export interface PredictGainOptions extends GainModelOptions {}

/** An immutable view of the score estimate after one more finished reduction. */
export interface GainEstimate {
  /** The reduction that produced this estimate. */
  readonly reduction: Reduction;
  /** Its score, bytes saved per CPU-second. */
  readonly score: number;
  /** Every known point so far, in index order. */
  readonly points: readonly GainPoint[];
  /** Estimated score of the file at arrival index `index` (undefined before any is known). */
  estimate(index: number): number | undefined;
}

/**
 * Turns finished reductions into the `splines` score estimate, emitted after each one.
 *
 * Observability for what `prioritize` learns: each emission is a frozen copy (O(known)), so
 * later reductions do not change estimates already emitted. A reduction whose `item.index` is
 * not an integer >= 0 is skipped. Errors and completion pass through.
 *
 * ```text
 * reductions:    --a-------b----|   a of file 0 (score 100), b of file 10 (score 300)
 * predictGain(): --x-------y----|   y.estimate(2) is 200, the mean of the known scores
 * ```
 *
 * @example
 * ```ts
 * declare const reductions$: Observable<Reduction>;
 * reductions$.pipe(predictGain()).subscribe((e) => console.log(e.score, e.estimate(100)));
 * ```
 *
 * @param options See {@link PredictGainOptions}.
 * @returns An operator from reductions to estimates.
 */
export function predictGain(options?: PredictGainOptions): OperatorFunction<Reduction, GainEstimate> {
  // Validate eagerly, not at subscribe time.
  createGainModel(options);
  return (source) =>
    defer(() => {
      const model = createGainModel(options);
      return source.pipe(
        map((reduction): GainEstimate | undefined => {
          const index = reduction.item.index;
          if (!Number.isSafeInteger(index) || index < 0) return undefined;
          const score = reductionScore(reduction);
          model.observe(index, score);
          const frozen = createGainModel(options);
          const points = Object.freeze(model.points().map((p) => Object.freeze(p)));
          for (const p of points) frozen.observe(p.index, p.score);
          return Object.freeze({ reduction, score, points, estimate: (i: number) => frozen.estimate(i) });
        }),
        filter((estimate): estimate is GainEstimate => estimate !== undefined),
      );
    });
}
