/**
 * How far the agent's uplink estimate strayed above the link's real rate in a benchmark's runs,
 * and how many files each run sent raw: for every run (none and offline left out), the
 * estimate replayed from the run's uploads (`bandwidthEstimateSeries`) against the shaped rate
 * at that moment (the scenario's rate, or its trace's); prints per run and per strategy the
 * share of estimates over 1.5 × the link and the highest ratio.
 *
 *   npx tsx bench/estimateOverLink.ts bench-results/<time>
 */
import { bandwidthEstimateSeries } from '../src/bench/bandwidthEstimateSeries.js';
import { readBenchRuns } from '../src/bench/readBenchRuns.js';
import { median } from '../src/bench/statistics.js';

interface RunFigures {
  readonly raw: number;
  readonly over: number;
  readonly highest: number;
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (dir === undefined) throw new TypeError('Expected a benchmark results folder, e.g. bench-results/<time>');
  const { nominalBytesPerSec: nominal, trace, runs } = await readBenchRuns(dir);
  const byStrategy = new Map<string, RunFigures[]>();
  for (const run of runs) {
    const { files, origin } = run;
    const points = bandwidthEstimateSeries(files);
    const ratios = points.map(([at, rate]) => rate / (trace === undefined ? nominal : trace.rateAt(at - origin)));
    const figures: RunFigures = {
      raw: files.filter((f) => f.reduced !== true).length,
      over: ratios.filter((r) => r > 1.5).length / Math.max(1, ratios.length),
      highest: Math.max(...ratios),
    };
    console.log(`${run.name}: ${figures.raw} sent raw; estimate over 1.5 × the link at ${(figures.over * 100).toFixed(0)} % of uploads' ends, at most ${figures.highest.toFixed(1)} ×`);
    const list = byStrategy.get(run.strategy) ?? [];
    list.push(figures);
    byStrategy.set(run.strategy, list);
  }
  for (const [strategy, list] of byStrategy) {
    console.log(
      `${strategy} (${list.length} runs, medians): ${median(list.map((r) => r.raw))} sent raw; over 1.5 × at ${(median(list.map((r) => r.over)) * 100).toFixed(0)} %; at most ${median(list.map((r) => r.highest)).toFixed(1)} ×`,
    );
  }
}

await main();
