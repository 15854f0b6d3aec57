/**
 * How far the agent's uplink estimate strayed above the link's real rate in a benchmark's runs,
 * and how many files each run sent raw: for every run (none and offline left out), the
 * estimate replayed from the run's uploads (`bandwidthEstimateSeries`) against the shaped rate
 * at that moment (the scenario's rate, or its trace's); prints per run and per strategy the
 * share of estimates over 1.5 × the link and the highest ratio.
 *
 *   npx tsx bench/estimateOverLink.ts bench-results/<time>
 */
import { readFile, readdir } from 'node:fs/promises';
import { bandwidthEstimateSeries } from '../src/bench/bandwidthEstimateSeries.js';
import { readRateTrace } from '../src/bench/readRateTrace.js';
import { median } from '../src/bench/statistics.js';

interface RunFigures {
  readonly raw: number;
  readonly over: number;
  readonly highest: number;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new TypeError('Expected a benchmark results folder, e.g. bench-results/<time>');
  const summary = JSON.parse(await readFile(`${dir}/summary.json`, 'utf8'));
  const nominal: number = summary.bandwidthBytesPerSec;
  const trace = summary.scenario.trace === undefined ? undefined : await readRateTrace(summary.scenario.trace, nominal);
  const byStrategy = new Map<string, RunFigures[]>();
  const names = (await readdir(`${dir}/runs`)).filter((n) => n.endsWith('.json') && !n.startsWith('none') && !n.startsWith('offline')).sort();
  for (const name of names) {
    const run = JSON.parse(await readFile(`${dir}/runs/${name}`, 'utf8'));
    const files: { placedMs?: number; reduced?: boolean }[] = run.files;
    const origin = Math.min(...files.map((f) => f.placedMs ?? Infinity));
    const points = bandwidthEstimateSeries(run.files);
    const ratios = points.map(([at, rate]) => rate / (trace === undefined ? nominal : trace.rateAt(at - origin)));
    const figures: RunFigures = {
      raw: files.filter((f) => f.reduced !== true).length,
      over: ratios.filter((r) => r > 1.5).length / Math.max(1, ratios.length),
      highest: Math.max(...ratios),
    };
    console.log(`${name.replace('.json', '')}: ${figures.raw} sent raw; estimate over 1.5 × the link at ${(figures.over * 100).toFixed(0)} % of uploads' ends, at most ${figures.highest.toFixed(1)} ×`);
    const list = byStrategy.get(run.strategy) ?? [];
    list.push(figures);
    byStrategy.set(run.strategy, list);
  }
  for (const [strategy, runs] of byStrategy) {
    console.log(
      `${strategy} (${runs.length} runs, medians): ${median(runs.map((r) => r.raw))} sent raw; over 1.5 × at ${(median(runs.map((r) => r.over)) * 100).toFixed(0)} %; at most ${median(runs.map((r) => r.highest)).toFixed(1)} ×`,
    );
  }
}

await main();
