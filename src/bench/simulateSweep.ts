import os from 'node:os';
import path from 'node:path';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
import type { FileCost } from './FileCost.js';
import { lowerBoundMakespan } from './lowerBoundMakespan.js';
import { measureDataset } from './measureDataset.js';
import type { RateTrace } from './RateTrace.js';
import { readRateTrace } from './readRateTrace.js';
import { scenarioBandwidth, scenarioFor, SCENARIO_NAMES, type ScenarioName } from './scenarios.js';
import { simulate } from './simulate.js';
import { objectOption, oneOf } from '../validation.js';

/** Options for {@link simulateSweep}. */
export interface SimulateSweepOptions {
  /** A measured cost table (e.g. a benchmark's `table.json` files). Either this or `scenario`. */
  readonly files?: readonly FileCost[];
  /** Measure (or reuse the cached measurement of) a benchmark scenario's table instead. */
  readonly scenario?: ScenarioName;
  /** With `scenario`: its small version. @default false */
  readonly small?: boolean;
  /** Uplink rates to try, bytes/s. @default the scenario's, or `defaultBandwidth` for a table */
  readonly bandwidths?: readonly number[];
  /** The uplink a table was measured with, used when `bandwidths` is not given. */
  readonly defaultBandwidth?: number;
  /**
   * An uplink rate trace file (`seconds rate` lines); its `x` rates multiply each of
   * `bandwidths`. @default the scenario's trace, if it has one; else a constant uplink
   */
  readonly trace?: string;
  /** Core counts to try. @default [1] */
  readonly cores?: readonly number[];
  /** Arrival rates to try (frames/s); an empty list keeps the table's arrivals. @default [] */
  readonly rates?: readonly number[];
  /** Strategies to simulate. @default none, fifo, splines, oracle, adaptive */
  readonly strategies?: readonly PrioritizeStrategy[];
  /** Uploads in flight at once. @default 2 */
  readonly uploadSlots?: number;
  /** Latency per upload off the uplink. @default 0 */
  readonly perFileOverheadMs?: number;
  /** Cache of synthesized data sets. @default <tmpdir>/haste-agent-bench-cache */
  readonly cacheDir?: string;
  /** Progress lines. @default () => {} */
  readonly log?: (line: string) => void;
}

/** One configuration of a sweep. */
export interface SweepRow {
  /** The uplink's rate, or with a trace the rate its `x` multiply. */
  readonly bandwidthBytesPerSec: number;
  /** The rate trace file, if the uplink followed one. */
  readonly trace: string | undefined;
  /** Mean rate of the trace over the bound's makespan; the same as `bandwidthBytesPerSec` without a trace. */
  readonly meanBandwidthBytesPerSec: number;
  readonly cores: number;
  /** Undefined when the table's own arrival times were used. */
  readonly rateHz: number | undefined;
  readonly boundMs: number;
  /** Simulated makespan by strategy. */
  readonly makespanMs: Readonly<Record<string, number>>;
}

/**
 * Simulates every strategy on a measured cost table for each combination of uplink, cores and
 * arrival rate, with the lower bound beside each, to map where choosing what to reduce matters.
 *
 * Each configuration is one {@link simulate} call per strategy, in virtual time, so a sweep of a
 * few dozen configurations over 759 files takes seconds.
 *
 * ```ts
 * const rows = await simulateSweep({ scenario: 'cpu-scarce', small: true, cores: [1, 2], rates: [50, 100] });
 * ```
 *
 * @param options The table (or scenario) and the values to sweep.
 * @returns One row per configuration, bandwidth outermost.
 */
export async function simulateSweep(options: SimulateSweepOptions): Promise<SweepRow[]> {
  objectOption('options', options);
  if ((options.files === undefined) === (options.scenario === undefined)) {
    throw new TypeError('Expected exactly one of `files` and `scenario`');
  }
  if (options.scenario !== undefined) oneOf('scenario', options.scenario, SCENARIO_NAMES);
  const checkList = (name: string, values: readonly number[] | undefined, integer: boolean): void => {
    if (values !== undefined && !(Array.isArray(values) && values.every((v) => v > 0 && Number.isFinite(v) && (!integer || Number.isInteger(v))))) {
      throw new TypeError(`Expected \`${name}\` to be a list of ${integer ? 'integers >= 1' : 'numbers > 0'}, got ${String(values)}`);
    }
  };
  checkList('bandwidths', options.bandwidths, false);
  checkList('cores', options.cores, true);
  checkList('rates', options.rates, false);

  let files: readonly FileCost[];
  let bandwidths = options.bandwidths;
  let traceFile = options.trace;
  if (options.scenario !== undefined) {
    const scenario = scenarioFor(options.scenario, options.small ?? false);
    traceFile ??= scenario.trace;
    const measured = await measureDataset(scenario, options.cacheDir ?? path.join(os.tmpdir(), 'haste-agent-bench-cache'), options.log);
    files = measured.table;
    bandwidths ??= [scenarioBandwidth(scenario, files)];
  } else {
    files = options.files!;
    bandwidths ??= options.defaultBandwidth === undefined ? undefined : [options.defaultBandwidth];
  }
  if (bandwidths === undefined || bandwidths.length === 0) {
    throw new TypeError('Expected `bandwidths` (or `defaultBandwidth`) for a table');
  }
  const strategies = options.strategies ?? ['none', 'fifo', 'splines', 'oracle', 'adaptive'];
  const rates: readonly (number | undefined)[] = options.rates === undefined || options.rates.length === 0 ? [undefined] : options.rates;

  const rows: SweepRow[] = [];
  for (const bandwidth of bandwidths) {
    const trace: RateTrace | undefined = traceFile === undefined ? undefined : await readRateTrace(traceFile, bandwidth);
    const uplink = trace === undefined ? { bandwidthBytesPerSec: bandwidth } : { bandwidthTrace: trace };
    for (const cores of options.cores ?? [1]) {
      for (const rateHz of rates) {
        const arrived = rateHz === undefined ? files : files.map((file) => ({ ...file, arrivalMs: (file.index * 1000) / rateHz }));
        const makespanMs: Record<string, number> = {};
        for (const strategy of strategies) {
          makespanMs[strategy] = simulate({
            files: arrived,
            ...uplink,
            strategy,
            cores,
            uploadSlots: options.uploadSlots ?? 2,
            perFileOverheadMs: options.perFileOverheadMs ?? 0,
          }).makespanMs;
        }
        const boundMs = lowerBoundMakespan(arrived, { ...uplink, cores }).makespanMs;
        const meanBandwidthBytesPerSec = trace === undefined ? bandwidth : trace.meanRate(boundMs);
        rows.push({ bandwidthBytesPerSec: bandwidth, trace: traceFile, meanBandwidthBytesPerSec, cores, rateHz, boundMs, makespanMs });
      }
    }
  }
  return rows;
}
