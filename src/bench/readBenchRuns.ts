import { readFile, readdir } from 'node:fs/promises';
import type { FileRecord } from './digestEvents.js';
import type { RateTrace } from './RateTrace.js';
import { readRateTrace } from './readRateTrace.js';

/** One run of an online strategy, as a benchmark results folder keeps it. */
export interface BenchRun {
  /** The run's file name without `.json`, e.g. `adaptive-2`. */
  readonly name: string;
  readonly strategy: string;
  readonly files: readonly FileRecord[];
  /** When the run's first file was put in place, on its records' clock. */
  readonly origin: number;
}

/** A benchmark results folder's uplink and its runs of online strategies. */
export interface BenchRuns {
  /** The shaped rate, or the rate a trace's `1x` stands for. */
  readonly nominalBytesPerSec: number;
  /** The scenario's rate trace, if the uplink followed one. */
  readonly trace: RateTrace | undefined;
  /** By name; `none` and `offline` left out, since nothing about them depends on the schedule. */
  readonly runs: readonly BenchRun[];
}

/**
 * Reads what the scripts that look back at a benchmark's real runs need from its results folder
 * (`summary.json` and `runs/*.json`): the uplink's nominal rate, its trace if any, and every run of
 * an online strategy with its per-file records.
 *
 * ```ts
 * const { nominalBytesPerSec, trace, runs } = await readBenchRuns('bench-results/2026-12-02T13-47');
 * ```
 *
 * @param dir The results folder `haste-agent bench` wrote.
 * @returns The rate, the trace and the runs.
 */
export async function readBenchRuns(dir: string): Promise<BenchRuns> {
  let summaryText: string;
  try {
    summaryText = await readFile(`${dir}/summary.json`, 'utf8');
  } catch (error) {
    throw new Error(`${dir} is not a benchmark results folder: no summary.json in it (${(error as Error).message})`);
  }
  const summary = JSON.parse(summaryText) as { bandwidthBytesPerSec: number; scenario: { trace?: string } };
  const nominalBytesPerSec = summary.bandwidthBytesPerSec;
  const trace = summary.scenario.trace === undefined ? undefined : await readRateTrace(summary.scenario.trace, nominalBytesPerSec);
  const names = (await readdir(`${dir}/runs`)).filter((n) => n.endsWith('.json') && !n.startsWith('none') && !n.startsWith('offline')).sort();
  const runs: BenchRun[] = [];
  for (const name of names) {
    const run = JSON.parse(await readFile(`${dir}/runs/${name}`, 'utf8')) as { strategy: string; files: FileRecord[] };
    const origin = Math.min(...run.files.map((file) => file.placedMs ?? Number.POSITIVE_INFINITY));
    runs.push({ name: name.slice(0, -'.json'.length), strategy: run.strategy, files: run.files, origin });
  }
  return { nominalBytesPerSec, trace, runs };
}
