// The parts of the benchmark harness that are not the run itself: scenarios, the cost table,
// statistics, and the text the harness writes. Kept apart so they can be tested without a run.
import { execFile, execFileSync } from 'node:child_process';
import { access, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { lastValueFrom, type Observable } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import { quantile } from './plotInternals.js';
import { createWorkerPool } from '../reducers/createWorkerPool.js';
import type { ReduceImageOptions } from '../reducers/reduceImage.js';
import type { FileCost } from './FileCost.js';
import { synthesizeDataset, type SynthesizedFile } from './synthesizeDataset.js';
import { fileItemOf } from '../sources/watchDirectoryInternals.js';

/** A benchmark configuration: the data set, its rate, the machine and the uplink. */
export interface Scenario {
  readonly name: string;
  readonly count: number;
  /** Frame side in pixels. */
  readonly size: number;
  readonly seed: number;
  /** Frames per second written into the watched folder. */
  readonly rateHz: number;
  readonly cores: number;
  readonly uploadSlots: number;
  /**
   * Uplink chosen so that sending every file raw takes this many times the acquisition time,
   * unless `bandwidthBytesPerSec` fixes it.
   */
  readonly rawUploadFactor: number;
  readonly bandwidthBytesPerSec?: number;
  readonly reducer: { readonly compressionLevel?: number; readonly adaptiveFiltering?: boolean };
}

export const SCENARIO_NAMES = ['paper', 'cpu-scarce'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/**
 * `paper`: 759 MiniTEM-sized frames (1024²) at the paper's 20 Hz with one core and the cheap
 * reducer settings; the uplink needs twice the acquisition time for the raw stream, so upload is
 * the bottleneck and reducing nearly everything is best. `cpu-scarce`: the CPU-expensive PNG
 * settings (level 9 + adaptive filtering) and a rate at which one core can reduce only part of
 * the stream before the uplink drains, so which files get the core decides the makespan.
 * Small versions: 120 frames of 512² at 40 Hz (paper; reducing one costs ~12 ms, still well
 * under the 25 ms between frames), and 240 frames of 512² at 150 Hz with raw upload = 3 ×
 * acquisition (cpu-scarce; ~21 ms per reduction against 6.7 ms between frames). Their regimes
 * were checked with the simulator on the measured tables.
 */
export function scenarioFor(name: ScenarioName, small: boolean): Scenario {
  const base = { seed: 1, cores: 1, uploadSlots: 2 };
  if (name === 'paper') {
    return small
      ? { ...base, name: 'paper-small', count: 120, size: 512, rateHz: 40, rawUploadFactor: 2, reducer: {} }
      : { ...base, name: 'paper', count: 759, size: 1024, rateHz: 20, rawUploadFactor: 2, reducer: {} };
  }
  const reducer = { compressionLevel: 9, adaptiveFiltering: true };
  return small
    ? { ...base, name: 'cpu-scarce-small', count: 240, size: 512, rateHz: 150, rawUploadFactor: 3, reducer }
    : { ...base, name: 'cpu-scarce', count: 759, size: 1024, rateHz: 40, rawUploadFactor: 2, reducer };
}

/** A data set on disk with what each file costs. */
export interface MeasuredDataset {
  readonly files: readonly SynthesizedFile[];
  /** Per file: arrival at `index / rateHz`, raw and reduced size, reducer CPU ms. */
  readonly table: readonly FileCost[];
  /** The reduced copy of each file (its original when reduction does not shrink it). */
  readonly reducedPaths: readonly string[];
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/** The frame as the watcher would admit it: the reducer refuses a file whose mtime or inode differ. */
async function admitted(file: SynthesizedFile): Promise<FileItem> {
  return fileItemOf(file.path, await lstat(file.path), file.index);
}

/**
 * Reduces each file in turn with `reduce` and returns the reducer's `cpuMs` for each, deleting
 * the reduced copies: the reducer's speed now, on the same frames.
 */
export async function timeReductions(
  reduce: (item: FileItem) => Observable<Reduction>,
  files: readonly SynthesizedFile[],
): Promise<number[]> {
  const times: number[] = [];
  for (const file of files) {
    const reduction = await lastValueFrom(reduce(await admitted(file)));
    times.push(reduction.cpuMs);
    if (reduction.outputPath !== undefined) await rm(reduction.outputPath, { force: true });
  }
  return times;
}

/**
 * Synthesizes the scenario's data set (or reuses the copy in `cacheDir`), then reduces every
 * file once with the real reducer on one worker thread to measure its cost. The reduced copies
 * are kept for the offline baseline. All of it is cached; the CPU times are those of the first
 * measurement, so a benchmark times the reducer again (`timeReductions`) at its own time.
 */
export async function measureDataset(
  scenario: Scenario,
  cacheDir: string,
  log: (line: string) => void = () => {},
): Promise<MeasuredDataset> {
  const level = scenario.reducer.compressionLevel ?? 6;
  const key = `${scenario.count}x${scenario.size}-seed${scenario.seed}`;
  const dataDir = path.join(cacheDir, key);
  const costKey = `level${level}${scenario.reducer.adaptiveFiltering === true ? '-adaptive' : ''}`;
  const reducedDir = path.join(cacheDir, `${key}-${costKey}`);
  const costFile = path.join(reducedDir, 'costs.json');

  let files: SynthesizedFile[];
  const manifest = path.join(dataDir, 'files.json');
  if (await exists(manifest)) {
    files = JSON.parse(await readFile(manifest, 'utf8')) as SynthesizedFile[];
  } else {
    log(`synthesizing ${scenario.count} frames of ${scenario.size}×${scenario.size} into ${dataDir}`);
    files = await synthesizeDataset({ out: dataDir, count: scenario.count, seed: scenario.seed, size: scenario.size });
    await writeFile(manifest, JSON.stringify(files));
  }

  let costs: { bytes: number; reducedBytes: number; cpuMs: number; reducedPath: string }[];
  if (await exists(costFile)) {
    costs = JSON.parse(await readFile(costFile, 'utf8')) as typeof costs;
  } else {
    log(`measuring the reducer (${costKey}) on ${files.length} frames`);
    await mkdir(reducedDir, { recursive: true });
    const reducerOptions: ReduceImageOptions = { ...scenario.reducer, spoolDir: reducedDir };
    const pool = createWorkerPool({ size: 1, reducerOptions });
    costs = [];
    try {
      for (const file of files) {
        const reduction = await lastValueFrom(pool.reduce(await admitted(file)));
        const shrank = reduction.reduced && reduction.outputPath !== undefined;
        let reducedPath = file.path;
        if (shrank) {
          // Named like the original so an offline replay uploads the same file names.
          reducedPath = path.join(reducedDir, path.basename(file.path));
          await rename(reduction.outputPath!, reducedPath);
        }
        costs.push({ bytes: file.bytes, reducedBytes: shrank ? reduction.bytesOut : file.bytes, cpuMs: reduction.cpuMs, reducedPath });
      }
    } finally {
      await pool.close();
    }
    await writeFile(costFile, JSON.stringify(costs));
  }
  const table = costs.map((cost, index) => ({
    index,
    arrivalMs: (index * 1000) / scenario.rateHz,
    bytes: cost.bytes,
    reducedBytes: cost.reducedBytes,
    cpuMs: cost.cpuMs,
  }));
  return { files, table, reducedPaths: costs.map((cost) => cost.reducedPath) };
}

/** The uplink rate of a scenario on its measured table. */
export function scenarioBandwidth(scenario: Scenario, table: readonly FileCost[]): number {
  if (scenario.bandwidthBytesPerSec !== undefined) return scenario.bandwidthBytesPerSec;
  const rawBytes = table.reduce((sum, file) => sum + file.bytes, 0);
  const acquisitionSec = table.length / scenario.rateHz;
  return Math.round(rawBytes / (scenario.rawUploadFactor * acquisitionSec));
}

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

/**
 * Up to `count` files spread evenly along the table, among those the reducer shrinks: the frames
 * timed before each run to tell how fast the reducer is at that moment against the table.
 *
 * @returns Table positions in ascending order, without repeats.
 */
export function calibrationSample(table: readonly FileCost[], count: number): number[] {
  const reducible = table.flatMap((file, position) => (file.reducedBytes < file.bytes && file.cpuMs > 0 ? [position] : []));
  if (count <= 0 || reducible.length === 0) return [];
  if (reducible.length <= count) return reducible;
  const picked = new Set<number>();
  for (let i = 0; i < count; i += 1) picked.add(reducible[Math.round((i * (reducible.length - 1)) / Math.max(count - 1, 1))]!);
  return [...picked].sort((a, b) => a - b);
}

/** What one file went through in one run, in ms from the run's first `seen`. */
export interface FileRecord {
  readonly name: string;
  readonly bytes: number;
  /** When the replay had put the file in place (its rename done), on the same clock as `seenMs`. */
  readonly placedMs?: number;
  readonly seenMs?: number;
  /** When the reducer took the file and when it gave it back (wall time, not CPU). */
  readonly reduceStartMs?: number;
  readonly reducedMs?: number;
  readonly reduced?: boolean;
  readonly reducedBytes?: number;
  readonly reduceCpuMs?: number;
  readonly uploadStartMs?: number;
  readonly uploadedMs?: number;
  readonly sentBytes?: number;
  readonly error?: string;
}

/** Per-file records and the bytes-queued step series of one run, from its events. */
export function digestEvents(events: readonly AgentEvent[]): {
  readonly startAt: number;
  readonly files: FileRecord[];
  readonly queued: [number, number][];
} {
  const seen = events.find((event) => event.type === 'seen');
  const startAt = seen?.at ?? 0;
  const byPath = new Map<string, FileRecord>();
  const queued: [number, number][] = [];
  let waiting = 0;
  const update = (path: string, change: Partial<FileRecord>): void => {
    const before = byPath.get(path) ?? { name: path.slice(path.lastIndexOf('/') + 1), bytes: 0 };
    byPath.set(path, { ...before, ...change });
  };
  for (const event of events) {
    const t = event.at - startAt;
    switch (event.type) {
      case 'seen':
        update(event.path, { bytes: event.bytes, seenMs: t });
        waiting += event.bytes;
        break;
      case 'reduce-start':
        update(event.path, { reduceStartMs: t });
        continue;
      case 'reduced':
        update(event.path, { reducedMs: t, reduced: event.reduced, reducedBytes: event.bytesOut, reduceCpuMs: event.cpuMs });
        waiting -= event.bytesIn - event.bytesOut;
        break;
      case 'upload-start':
        update(event.path, { uploadStartMs: t });
        break;
      case 'uploaded':
        update(event.path, { uploadedMs: t, sentBytes: event.bytes });
        waiting -= event.bytes;
        break;
      case 'failed':
        update(event.path, { error: event.error });
        waiting -= byPath.get(event.path)?.reducedBytes ?? byPath.get(event.path)?.bytes ?? 0;
        break;
      default:
        continue;
    }
    queued.push([t, waiting]);
  }
  return { startAt, files: [...byPath.values()], queued };
}

/** One CSV field, quoted when it must be. */
export function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The per-file CSV of one run. */
export function filesCsv(files: readonly FileRecord[]): string {
  const columns = ['name', 'bytes', 'placedMs', 'seenMs', 'reduced', 'reducedBytes', 'reduceCpuMs', 'uploadStartMs', 'uploadedMs', 'latencyMs', 'sentBytes', 'error'] as const;
  const rows = files.map((file) =>
    columns
      .map((column) => {
        if (column === 'latencyMs') {
          return csvField(file.uploadedMs !== undefined && file.seenMs !== undefined ? round(file.uploadedMs - file.seenMs, 1) : undefined);
        }
        const value = file[column];
        return csvField(typeof value === 'number' ? round(value, 1) : value);
      })
      .join(','),
  );
  return `${[columns.join(','), ...rows].join('\n')}\n`;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** One strategy's line of the summary. */
export interface SummaryRow {
  readonly strategy: string;
  readonly runs: number;
  readonly makespanMs: number;
  readonly ratioToBound: number;
  readonly ratioToFifo: number;
  readonly simMakespanMs: number;
  /** Median over runs of the simulator fed each run's own arrivals and CPU times. */
  readonly simAsRunMs: number;
  readonly bytesSent: number;
  readonly filesReduced: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly processCpuSec: number;
  readonly reducerCpuSec: number;
  readonly failures: number;
}

/** The header facts of the summary. */
export interface SummaryHeader {
  readonly scenario: string;
  readonly files: number;
  readonly size: number;
  readonly rateHz: number;
  readonly cores: number;
  readonly uploadSlots: number;
  readonly bandwidthBytesPerSec: number;
  readonly shaper: string;
  readonly reps: number;
  readonly boundMs: number;
  readonly boundBinding: string;
  readonly gapClosed: number;
  /** Frames timed before each run, and the lowest and highest speed against the table they showed. */
  readonly reducerSpeed: { readonly frames: number; readonly min: number; readonly max: number };
  /** Median over runs of the bound on each run's as-run table. */
  readonly boundAsRunMs: number;
  readonly gapClosedAsRun: number;
  readonly best: string;
  readonly perFileOverheadMs: number;
  /** Whether the gateway and the replay ran in their own processes. @default false */
  readonly isolated?: boolean;
  /** Pause between the agent being ready and the first frame. @default 0 */
  readonly warmUpMs?: number;
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The Markdown summary: facts, then one table row per strategy (medians over repetitions). */
export function summaryMarkdown(header: SummaryHeader, rows: readonly SummaryRow[]): string {
  const lines = [
    `# Benchmark: ${header.scenario}`,
    '',
    `${header.files} frames of ${header.size}×${header.size} at ${header.rateHz} Hz; ${header.cores} core(s), ${header.uploadSlots} upload slot(s); ` +
      `uplink ${fixed(header.bandwidthBytesPerSec / 1e6, 3)} MB/s shaped by ${header.shaper}; ${header.reps} repetition(s), medians shown.`,
    '',
    `Lower bound on the makespan: ${fixed(header.boundMs / 1000, 3)} s (${header.boundBinding}), on the reducer's times measured on every frame just before and again just after the runs (the shorter of the two for each frame). ` +
      `Best strategy: ${header.best}; gap closed (fifo − best) / (fifo − bound) = ${fixed(header.gapClosed * 100, 1)} %. ` +
      `The machine's speed drifts: timed on ${header.reducerSpeed.frames} frames before each run, the reducer took ${fixed(header.reducerSpeed.min, 2)}–${fixed(header.reducerSpeed.max, 2)} × its times in the table. ` +
      `On the runs' own arrivals and reducer core times (reduce-start to reduced) the bound is ${fixed(header.boundAsRunMs / 1000, 3)} s and the gap closed ${fixed(header.gapClosedAsRun * 100, 1)} %. ` +
      `Simulator: virtual-time prioritize on the measured table ("sim"), and on each run's own arrival and reducer times ("sim as run"); per-file overhead ${fixed(header.perFileOverheadMs, 1)} ms.`,
    '',
    (header.isolated === true
      ? 'The gateway and the replay (the instrument) ran in their own processes, so they shared only the cores with the agent, not its event loop or libuv threadpool'
      : 'The gateway, the replay (the instrument) and the agent ran in one process, sharing its event loop and libuv threadpool') +
      `; the agent was started ${fixed((header.warmUpMs ?? 0) / 1000, 1)} s before the first frame.`,
    '',
    '| strategy | runs | makespan (s) | × bound | × fifo | sim (s) | sim / real | sim as run (s) | as run / real | MB sent | reduced | latency p50 (s) | latency p95 (s) | process CPU (s) | reducer CPU (s) | failures |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) =>
      [
        row.strategy,
        String(row.runs),
        fixed(row.makespanMs / 1000, 3),
        fixed(row.ratioToBound, 3),
        fixed(row.ratioToFifo, 3),
        fixed(row.simMakespanMs / 1000, 3),
        fixed(row.simMakespanMs / row.makespanMs, 3),
        fixed(row.simAsRunMs / 1000, 3),
        fixed(row.simAsRunMs / row.makespanMs, 3),
        fixed(row.bytesSent / 1e6, 2),
        String(Math.round(row.filesReduced)),
        fixed(row.latencyP50Ms / 1000, 3),
        fixed(row.latencyP95Ms / 1000, 3),
        fixed(row.processCpuSec, 2),
        fixed(row.reducerCpuSec, 2),
        String(row.failures),
      ].join(' | '),
    ).map((line) => `| ${line} |`),
    '',
    '`offline` is the reference "reduced offline, uploaded raw": every file was reduced before the run (its CPU is not counted) ' +
      'and the reduced copies are replayed at the same rate and uploaded with strategy none. No online strategy can send fewer bytes.',
    '',
  ];
  return lines.join('\n');
}

const shapeScript = fileURLToPath(new URL('../../bench/shape-uplink.sh', import.meta.url));
const run = promisify(execFile);

/**
 * Whether `tc` can shape loopback here: root, the script present, and an htb qdisc that can be
 * added to and removed from `lo`.
 */
export async function tcAvailable(): Promise<boolean> {
  if (process.getuid?.() !== 0 || !(await exists(shapeScript))) return false;
  return run('sh', [shapeScript, 'check']).then(
    () => true,
    () => false,
  );
}

/**
 * Limits loopback traffic to `port` with tc; returns the function that removes the qdisc. The
 * removal also runs at process exit, so a crash cannot leave lo throttled.
 */
export async function shapeWithTc(port: number, bytesPerSecond: number): Promise<() => Promise<void>> {
  const removeNow = (): void => {
    try {
      execFileSync('sh', [shapeScript, 'del'], { stdio: 'ignore' });
    } catch {
      // Nothing to remove.
    }
  };
  process.once('exit', removeNow);
  try {
    await run('sh', [shapeScript, 'add', String(port), String(Math.round(bytesPerSecond))]);
  } catch (error) {
    removeNow();
    process.removeListener('exit', removeNow);
    throw error;
  }
  return async () => {
    process.removeListener('exit', removeNow);
    await run('sh', [shapeScript, 'del']).catch(() => undefined);
  };
}
