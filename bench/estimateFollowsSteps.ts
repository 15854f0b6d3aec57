/**
 * How fast the agent's uplink estimate followed the steps of a rate trace in a benchmark's real
 * runs: for every step inside a run (none and offline left out), the time from the step to the
 * first estimate within 20 % of the new rate, replayed from the run's uploads with the
 * estimator's rule (`bandwidthEstimateSeries`); prints the median, p90 and max.
 *
 *   npx tsx bench/estimateFollowsSteps.ts bench-results/<time>
 */
import { bandwidthEstimateSeries } from '../src/bench/bandwidthEstimateSeries.js';
import { readBenchRuns } from '../src/bench/readBenchRuns.js';

async function main() {
  const dir = process.argv[2];
  if (dir === undefined) throw new TypeError("Expected a benchmark results folder, e.g. bench-results/<time>");
  const { trace, runs } = await readBenchRuns(dir);
  if (trace === undefined) throw new TypeError(`${dir}: the scenario's uplink followed no rate trace, so it has no steps to follow`);
  const follow: number[] = [];
  let never = 0;
  for (const { files, origin } of runs) {
    const points = bandwidthEstimateSeries(files);
    const end = Math.max(...points.map(([t]) => t));
    for (let i = 1; i < trace.steps.length; i++) {
      const at = trace.steps[i]!.atMs + origin;
      const next = (trace.steps[i + 1]?.atMs ?? Infinity) + origin;
      if (next > end) break;
      const rate = trace.steps[i]!.bytesPerSec;
      const within = points.find(([t, r]) => t > at && t < next && Math.abs(r - rate) / rate < 0.2);
      if (within === undefined) never += 1;
      else follow.push(within[0] - at);
    }
  }
  follow.sort((a, b) => a - b);
  const q = (p: number) => follow[Math.min(follow.length - 1, Math.floor(p * follow.length))]!;
  console.log(`steps ${follow.length + never}: estimate within 20 % of the new rate after median ${q(0.5).toFixed(0)} ms, p90 ${q(0.9).toFixed(0)} ms, max ${follow.at(-1)?.toFixed(0)} ms; never within the step: ${never}`);
}
await main();
