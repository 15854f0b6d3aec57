/**
 * A Prometheus histogram of one unlabelled quantity, made by {@link createHistogram}.
 *
 * Holds per-bucket counts, the sum and the count of observations, and renders them in text
 * exposition format 0.0.4 with cumulative `le` buckets ending at `+Inf`.
 *
 * ```ts
 * const h: Histogram = createHistogram({ name: 'haste_upload_duration_seconds', help: 'Upload time.' });
 * h.observe(0.42);
 * h.render(); // ['# HELP ...', '# TYPE ... histogram', '..._bucket{le="0.005"} 0', ...]
 * ```
 */
export interface Histogram {
  /** Metric name, without the `_bucket`/`_sum`/`_count` suffixes. */
  readonly name: string;
  readonly help: string;
  /** Upper bounds in ascending order, without the implicit `+Inf`. */
  readonly buckets: readonly number[];
  /** Observations so far. */
  readonly count: number;
  /** Sum of the observations so far. */
  readonly sum: number;
  /** Counts one value; NaN and infinities are ignored, since they would poison `_sum`. */
  observe(value: number): void;
  /** The `# HELP`, `# TYPE`, bucket, `_sum` and `_count` lines, without line endings. */
  render(): string[];
}
