/**
 * The simulator's figures for the README's benchmark table: every scenario (and varying on each
 * shipped trace) with the lower bound, every online strategy and the oracle, and adaptive's
 * standing: its makespan over the best online one, the share of the fifo-to-bound gap it closes,
 * and its ratio to splines and to none.
 *
 *   npx tsx bench/simulateScenarios.ts [--small] [--smooth N] [scenario …]
 *
 * Tables come from the benchmark's cache (synthesized and measured on first use). `--smooth N`
 * replaces each frame's CPU time by the median over the 2N+1 frames around it: how much of the
 * gap is per-frame timing noise, which the oracle and the bound see and no online strategy can
 * predict.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FileCost } from '../src/bench/FileCost.js';
import { lowerBoundMakespan } from '../src/bench/lowerBoundMakespan.js';
import { measureDataset } from '../src/bench/measureDataset.js';
import { readRateTrace } from '../src/bench/readRateTrace.js';
import { scenarioBandwidth, scenarioFor, SCENARIO_NAMES, TRACES_DIR, type ScenarioName } from '../src/bench/scenarios.js';
import { simulate } from '../src/bench/simulate.js';

const { values: flags, positionals } = parseArgs({ options: { small: { type: 'boolean', default: false }, smooth: { type: 'string' } }, allowPositionals: true });
const smooth = flags.smooth === undefined ? 0 : Number(flags.smooth);
if (!(Number.isInteger(smooth) && smooth >= 0)) throw new TypeError(`Expected \`--smooth\` to be an integer >= 0, got ${JSON.stringify(flags.smooth)}`);
for (const name of positionals) {
  if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new TypeError(`Expected scenarios among ${SCENARIO_NAMES.join(', ')}, got ${name}`);
}
const strategies = ['none', 'fifo', 'splines', 'oracle', 'adaptive'] as const;
const online = ['none', 'fifo', 'splines', 'adaptive'] as const;
const cases: [ScenarioName, string | undefined][] = [
  ['paper', undefined],
  ['cpu-scarce', undefined],
  ['varying', 'steps.txt'],
  ['varying', 'ramp.txt'],
  ['varying', 'dropouts.txt'],
  ['fast', undefined],
  ['mixed', undefined],
];

function smoothed(table: readonly FileCost[], half: number): FileCost[] {
  return table.map((file, i) => {
    const near = table.slice(Math.max(0, i - half), i + half + 1).map((other) => other.cpuMs).sort((a, b) => a - b);
    return { ...file, cpuMs: near[Math.floor(near.length / 2)]! };
  });
}

async function main(): Promise<void> {
  console.log('| scenario | trace | bound | none | fifo | splines | oracle | adaptive | adaptive / best online | gap closed | / splines | / none |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [name, traceName] of cases) {
    if (positionals.length > 0 && !positionals.includes(name)) continue;
    const scenario = scenarioFor(name, flags.small);
    const measured = await measureDataset(scenario, path.join(os.tmpdir(), 'haste-agent-bench-cache'));
    const table = smooth > 0 ? smoothed(measured.table, smooth) : measured.table;
    const bandwidth = scenarioBandwidth(scenario, table);
    const uplink = traceName === undefined ? { bandwidthBytesPerSec: bandwidth } : { bandwidthTrace: await readRateTrace(path.join(TRACES_DIR, traceName), bandwidth) };
    const bound = lowerBoundMakespan(table, { ...uplink, cores: scenario.cores }).makespanMs;
    const ms: Record<string, number> = {};
    for (const strategy of strategies) {
      ms[strategy] = simulate({ files: table, ...uplink, strategy, cores: scenario.cores, uploadSlots: scenario.uploadSlots }).makespanMs;
    }
    const best = Math.min(...online.map((strategy) => ms[strategy]!));
    const gap = ms.fifo! > bound ? `${(((ms.fifo! - ms.adaptive!) / (ms.fifo! - bound)) * 100).toFixed(0)} %` : '–';
    const s = (value: number): string => `${(value / 1000).toFixed(2)} s`;
    console.log(
      `| ${scenario.name} | ${traceName ?? '–'} | ${s(bound)} | ${strategies.map((strategy) => s(ms[strategy]!)).join(' | ')} | × ${(ms.adaptive! / best).toFixed(3)} | ${gap} | × ${(ms.adaptive! / ms.splines!).toFixed(3)} | × ${(ms.adaptive! / ms.none!).toFixed(3)} |`,
    );
  }
}

await main();
