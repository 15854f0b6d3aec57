// The statistics a benchmark reports over its repetitions.
import { quantile } from './plotInternals.js';

/** Median of any numbers (NaN for none). */
export function median(values: readonly number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** The `p` quantile of any numbers (NaN for none). */
export function percentile(values: readonly number[], p: number): number {
  return quantile([...values].sort((a, b) => a - b), p);
}

/**
 * How much of fifo's distance to the lower bound the best strategy removes:
 * `(fifo − best) / (fifo − bound)`; 1 means the bound was reached, 0 no better than fifo.
 * NaN when fifo already sits at the bound (there is no gap to close).
 */
export function gapClosed(fifoMs: number, bestMs: number, boundMs: number): number {
  const gap = fifoMs - boundMs;
  return gap > 0 ? (fifoMs - bestMs) / gap : NaN;
}
