import type { Histogram } from './Histogram.js';
import { escapeHelp, formatSampleValue, metricName } from './prometheusText.js';

/** Options for {@link createHistogram}. */
export interface CreateHistogramOptions {
  /** Metric name, such as `haste_upload_duration_seconds`. */
  name: string;
  /** One-line description for `# HELP`. */
  help: string;
  /**
   * Bucket upper bounds, strictly ascending; a trailing `Infinity` is implied and may be omitted.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] (Prometheus' own)
   */
  buckets?: readonly number[];
}

const defaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates a Prometheus histogram to observe values into and render for a scrape.
 *
 * Counts are kept per bucket and made cumulative only when rendered, so `observe` is O(log n)
 * and never allocates.
 *
 * ```ts
 * const uploads = createHistogram({ name: 'haste_upload_duration_seconds', help: 'Upload time.', buckets: [0.1, 1, 10] });
 * uploads.observe(0.5);
 * uploads.render().at(-1); // 'haste_upload_duration_seconds_count 1'
 * ```
 *
 * @param options Name, help text and bucket bounds.
 * @returns An empty histogram.
 */
export function createHistogram(options: CreateHistogramOptions): Histogram {
  const name = options?.name;
  if (typeof name !== 'string' || !metricName.test(name)) {
    throw new TypeError(`Expected \`name\` to be a Prometheus metric name, got ${JSON.stringify(name)}`);
  }
  const help = options.help;
  if (typeof help !== 'string') {
    throw new TypeError(`Expected \`help\` to be a string, got ${JSON.stringify(help)}`);
  }
  const given = options.buckets ?? defaultBuckets;
  const bucketsError = (): TypeError =>
    new TypeError(`Expected \`buckets\` to be finite numbers in strictly ascending order, got ${JSON.stringify(given)}`);
  if (!Array.isArray(given)) throw bucketsError();
  const bounds = given.length > 0 && given[given.length - 1] === Infinity ? given.slice(0, -1) : [...given];
  const ascending = bounds.every((bound, i) => Number.isFinite(bound) && (i === 0 || bound > bounds[i - 1]!));
  if (bounds.length === 0 || !ascending) throw bucketsError();
  const buckets: readonly number[] = Object.freeze(bounds);
  // One slot per bound plus the +Inf overflow.
  const counts = new Array<number>(buckets.length + 1).fill(0);
  let count = 0;
  let sum = 0;

  return {
    name,
    help,
    buckets,
    get count() {
      return count;
    },
    get sum() {
      return sum;
    },
    observe(value: number): void {
      if (typeof value !== 'number' || !Number.isFinite(value)) return;
      let low = 0;
      let high = buckets.length;
      while (low < high) {
        const mid = (low + high) >> 1;
        if (value <= buckets[mid]!) high = mid;
        else low = mid + 1;
      }
      counts[low]! += 1;
      count += 1;
      sum += value;
    },
    render(): string[] {
      const lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} histogram`];
      let cumulative = 0;
      buckets.forEach((bound, i) => {
        cumulative += counts[i]!;
        lines.push(`${name}_bucket{le="${formatSampleValue(bound)}"} ${cumulative}`);
      });
      lines.push(`${name}_bucket{le="+Inf"} ${count}`, `${name}_sum ${formatSampleValue(sum)}`, `${name}_count ${count}`);
      return lines;
    },
  };
}
