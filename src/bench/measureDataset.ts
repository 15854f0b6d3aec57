// What the data set costs the reducer: measured once per scenario for the table (cached), and
// timed again on a sample of frames before each run, since the machine's speed drifts.
import { access, lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { lastValueFrom, type Observable } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { createWorkerPool } from '../reducers/createWorkerPool.js';
import type { ReduceImageOptions } from '../reducers/reduceImage.js';
import { fileItemOf } from '../sources/watchDirectoryInternals.js';
import type { FileCost } from './FileCost.js';
import type { Scenario } from './scenarios.js';
import { synthesizeDataset, type SynthesizedFile } from './synthesizeDataset.js';

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
  const segments = scenario.segments === undefined ? '' : `-segments-${scenario.segments.map((segment) => `${segment.kind}${segment.frames}`).join('.')}`;
  const key = `${scenario.count}x${scenario.size}-seed${scenario.seed}${segments}`;
  const dataDir = path.join(cacheDir, key);
  // Without libvips settings the reducer writes with its default named setting, `fast`.
  const libvips = scenario.reducer.compressionLevel !== undefined || scenario.reducer.adaptiveFiltering !== undefined;
  const costKey = libvips ? `level${level}${scenario.reducer.adaptiveFiltering === true ? '-adaptive' : ''}` : 'png-fast';
  const reducedDir = path.join(cacheDir, `${key}-${costKey}`);
  const costFile = path.join(reducedDir, 'costs.json');

  let files: SynthesizedFile[];
  const manifest = path.join(dataDir, 'files.json');
  if (await exists(manifest)) {
    files = JSON.parse(await readFile(manifest, 'utf8')) as SynthesizedFile[];
  } else {
    log(`synthesizing ${scenario.count} frames of ${scenario.size}×${scenario.size} into ${dataDir}`);
    files = await synthesizeDataset({
      out: dataDir,
      count: scenario.count,
      seed: scenario.seed,
      size: scenario.size,
      ...(scenario.segments === undefined ? {} : { segments: scenario.segments }),
    });
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
