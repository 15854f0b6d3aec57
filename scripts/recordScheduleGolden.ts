// Rewrites the golden schedule traces in test/fixtures/schedules/ that
// test/bench/scheduleGolden.test.ts compares `simulate` against. Run it only after a deliberate
// schedule change (a strategy meant to decide differently), and say why in the commit: a
// refactor of `prioritize` must leave every trace byte for byte as it is.
//
//   npx tsx scripts/recordScheduleGolden.ts                   the traces, from the committed tables
//   npx tsx scripts/recordScheduleGolden.ts --measure-tables  re-measure the tables first
//
// The tables (<name>.table.json) are the `paper` and `cpu-scarce` small scenarios as
// `haste-agent simulate --scenario X --small` measures them, frozen because the reducer's CPU
// times differ on every machine and every run. `--measure-tables` synthesizes the frames into a
// temp dir, times the real reducer, deletes the images, and so changes every trace: it is only
// for replacing the fixtures on purpose.
//
// A trace has a header (`#` lines: the table, strategy, uplink, cores, slots), one line per
// schedule event in the order `prioritize` emitted them, and a `#` line of totals (events,
// makespan, bytes sent, files reduced):
//
//   <at ms, 3 decimals> rs <index>                     reduce-start
//   <at ms> re <index>                                 reduce-end
//   <at ms> rx <index>                                 reduce-error
//   <at ms> us <index> reduced|raw <body bytes>        upload-start
//   <at ms> ue <index> <bytes sent>|error              upload-end
//
// Only times, event types, file indexes and sizes: nothing of the events' object shapes.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FileCost } from '../src/bench/FileCost.js';
import { measureDataset } from '../src/bench/measureDataset.js';
import { scenarioBandwidth, scenarioFor, type ScenarioName } from '../src/bench/scenarios.js';
import { simulate } from '../src/bench/simulate.js';
import type { PrioritizeStrategy } from '../src/operators/prioritize.js';
import type { ScheduleEvent } from '../src/operators/ScheduleEvent.js';

export const GOLDEN_DIR = fileURLToPath(new URL('../test/fixtures/schedules/', import.meta.url));

/** The scenarios whose small tables are frozen, by the name their fixtures carry. */
export const GOLDEN_TABLES: readonly { readonly name: string; readonly scenario: ScenarioName }[] = [
  { name: 'paper-small', scenario: 'paper' },
  { name: 'cpu-scarce-small', scenario: 'cpu-scarce' },
];

export const GOLDEN_STRATEGIES: readonly PrioritizeStrategy[] = ['none', 'fifo', 'splines', 'oracle', 'adaptive'];

/** CPU times are kept to 0.01 ms: finer is timer noise, and it keeps the fixtures small. */
const CPU_MS_STEP = 100;

export const tablePath = (name: string): string => path.join(GOLDEN_DIR, `${name}.table.json`);
export const tracePath = (name: string, strategy: PrioritizeStrategy): string => path.join(GOLDEN_DIR, `${name}.${strategy}.trace`);

export async function loadTable(name: string): Promise<FileCost[]> {
  return JSON.parse(await readFile(tablePath(name), 'utf8')) as FileCost[];
}

/** One line per file, so a re-measured table diffs per file. */
export function formatTable(table: readonly FileCost[]): string {
  const rows = table.map(({ index, arrivalMs, bytes, reducedBytes, cpuMs }) =>
    JSON.stringify({ index, arrivalMs, bytes, reducedBytes, cpuMs: Math.round(cpuMs * CPU_MS_STEP) / CPU_MS_STEP }),
  );
  return `[\n${rows.join(',\n')}\n]\n`;
}

function eventLine(event: ScheduleEvent): string {
  const head = `${event.at.toFixed(3)} `;
  const index = event.item.index;
  switch (event.type) {
    case 'reduce-start':
      return `${head}rs ${index}`;
    case 'reduce-end':
      return `${head}re ${index}`;
    case 'reduce-error':
      return `${head}rx ${index}`;
    case 'upload-start':
      return `${head}us ${index} ${event.job.bodyPath === undefined ? 'raw' : 'reduced'} ${event.job.bodySize ?? event.item.size}`;
    case 'upload-end':
      return `${head}ue ${index} ${event.result instanceof Error ? 'error' : event.result.bytes}`;
  }
}

/**
 * Simulates `strategy` on a frozen table with the uplink, cores and upload slots that
 * `haste-agent simulate --scenario <scenario> --small` uses, and renders the schedule as text.
 */
export function scheduleTrace(name: string, table: readonly FileCost[], strategy: PrioritizeStrategy): string {
  const golden = GOLDEN_TABLES.find((entry) => entry.name === name);
  if (golden === undefined) throw new TypeError(`Expected a golden table name, got ${name}`);
  const scenario = scenarioFor(golden.scenario, true);
  // As simulateSweep and the CLI's defaults: --cores 1, --upload-slots 2, --overhead 0.
  const bandwidthBytesPerSec = scenarioBandwidth(scenario, table);
  const cores = 1;
  const uploadSlots = 2;
  const perFileOverheadMs = 0;
  const { schedule, makespanMs, bytesSent, filesReduced } = simulate({
    files: table,
    bandwidthBytesPerSec,
    strategy,
    cores,
    uploadSlots,
    perFileOverheadMs,
  });
  const header = [
    `# schedule trace v1: table=${name} strategy=${strategy}`,
    `# bandwidthBytesPerSec=${bandwidthBytesPerSec} cores=${cores} uploadSlots=${uploadSlots} perFileOverheadMs=${perFileOverheadMs}`,
    '# at_ms rs|re|rx|us|ue index [reduced|raw bodyBytes | bytesSent]',
  ];
  // The totals go last, so a changed schedule's first differing line is its first changed event.
  const footer = `# files=${table.length} events=${schedule.length} makespanMs=${makespanMs.toFixed(3)} bytesSent=${bytesSent} filesReduced=${filesReduced}`;
  return `${[...header, ...schedule.map(eventLine), footer].join('\n')}\n`;
}

async function measureTables(): Promise<void> {
  const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'haste-schedule-golden-'));
  try {
    for (const { name, scenario } of GOLDEN_TABLES) {
      const measured = await measureDataset(scenarioFor(scenario, true), cacheDir, (line) => process.stderr.write(`${line}\n`));
      await writeFile(tablePath(name), formatTable(measured.table));
      process.stdout.write(`${path.relative(process.cwd(), tablePath(name))}: ${measured.table.length} files\n`);
    }
  } finally {
    // The synthesized frames and reduced copies are bench data, never fixtures.
    await rm(cacheDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (process.argv.includes('--measure-tables')) await measureTables();
  for (const { name } of GOLDEN_TABLES) {
    const table = await loadTable(name);
    for (const strategy of GOLDEN_STRATEGIES) {
      await writeFile(tracePath(name, strategy), scheduleTrace(name, table, strategy));
      process.stdout.write(`${path.relative(process.cwd(), tracePath(name, strategy))}\n`);
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
