/**
 * The image reducer against a plain Python version of the same operator, on the same frames in
 * one run: ms per frame, bytes written, bytes saved and score (bytes saved per CPU-second).
 *
 *   npm run bench:encoder -- [--count 24] [--rounds 3] [--size 1024] [--seed 1]
 *                            [--python /usr/bin/python3] [--uplinks 100e3,1e6,12.5e6,125e6]
 *
 * Writes `count` synthetic frames (the `synth` stream) to a temp folder (deleted afterwards). Each
 * round runs every contender over all frames, in a rotated order so that drift in the machine's
 * speed is shared: ours at each named PNG setting (in this process, libvips on one thread, CPU
 * time from process.cpuUsage() around each file) and bench/reducePython.py (Pillow + scipy,
 * CPU time from time.process_time() around each file). Both times cover read, decode, fill and
 * write. The first round's outputs are compared pixel for pixel (decoded by libvips): ours must
 * equal Python's. Prints medians over rounds, the ratio to Python's score, and which setting
 * the agent's chooser (choosePngEffort) picks on these measurements for each uplink rate.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { synthesizeDataset } from '../src/bench/synthesizeDataset.js';
import type { FileItem } from '../src/model/FileItem.js';
import { choosePngEffort, type EffortTally } from '../src/reducers/choosePngEffort.js';
import { PNG_EFFORTS, type PngEffort } from '../src/reducers/pngEffort.js';
import { reduceImage } from '../src/reducers/reduceImage.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '24' },
    rounds: { type: 'string', default: '3' },
    size: { type: 'string', default: '1024' },
    seed: { type: 'string', default: '1' },
    python: { type: 'string', default: '/usr/bin/python3' },
    uplinks: { type: 'string', default: '100e3,1e6,12.5e6,125e6' },
  },
});
const count = positiveInteger('count', values.count!);
const rounds = positiveInteger('rounds', values.rounds!);
const size = positiveInteger('size', values.size!);
const uplinks = values.uplinks!.split(',').map(Number);
if (uplinks.some((rate) => !(rate > 0))) throw new TypeError(`Expected --uplinks to be rates > 0, got ${values.uplinks}`);
const pythonScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reducePython.py');

sharp.concurrency(1);
sharp.cache(false);

/** One frame's outcome: bytes in and out, and the CPU it took. */
interface FrameResult {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly cpuMs: number;
  /** Where the copy was written. */
  readonly output: string;
}
type Contender = 'python' | PngEffort;
const CONTENDERS: readonly Contender[] = ['python', ...PNG_EFFORTS];

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new TypeError(`Expected --${name} to be an integer >= 1, got ${text}`);
  return value;
}

async function runOurs(effort: PngEffort, items: readonly FileItem[], spoolDir: string): Promise<FrameResult[]> {
  const results: FrameResult[] = [];
  for (const item of items) {
    const before = process.cpuUsage();
    const reduction = await reduceImage(item, { spoolDir, pngEffort: effort });
    const used = process.cpuUsage(before);
    if (!reduction.reduced) throw new Error(`${item.path} was not reduced: ${reduction.reason}`);
    const cpuMs = (used.user + used.system) / 1000;
    results.push({ bytesIn: reduction.bytesIn, bytesOut: reduction.bytesOut, cpuMs, output: reduction.outputPath! });
  }
  return results;
}

function runPython(items: readonly FileItem[], outDir: string): Promise<FrameResult[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(values.python!, [pythonScript, outDir, ...items.map((item) => item.path)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => reject(new Error(`Cannot run ${values.python}: ${error.message}`)));
    child.on('close', (code) => {
      if (code !== 0) {
        reject(
          new Error(
            `${pythonScript} exited with ${code}: ${stderr.trim()}\n` +
              'It needs python3 with Pillow, numpy and scipy (Debian: apt-get install python3-pil python3-numpy python3-scipy).',
          ),
        );
        return;
      }
      const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Omit<FrameResult, 'output'>);
      resolve(lines.map((line, i) => ({ ...line, output: path.join(outDir, path.basename(items[i]!.path)) })));
    });
  });
}

async function samePixels(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([a, b].map((file) => sharp(file).toColourspace('b-w').raw().toBuffer()));
  return x!.equals(y!);
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const sum = (results: readonly FrameResult[], pick: (r: FrameResult) => number): number =>
  results.reduce((total, r) => total + pick(r), 0);

const dir = await mkdtemp(path.join(os.tmpdir(), 'haste-encoder-bench-'));
try {
  const frames = await synthesizeDataset({ out: path.join(dir, 'frames'), count, seed: Number(values.seed), size });
  const items: FileItem[] = await Promise.all(
    frames.map(async (frame, index) => ({ path: frame.path, size: frame.bytes, mtimeMs: (await stat(frame.path)).mtimeMs, index })),
  );
  const perRound = new Map<Contender, FrameResult[][]>(CONTENDERS.map((c) => [c, []]));
  const outDirs = new Map<Contender, string>(CONTENDERS.map((c) => [c, path.join(dir, `out-${c}`)]));
  for (let round = 0; round < rounds; round++) {
    const order = CONTENDERS.map((_, i) => CONTENDERS[(i + round) % CONTENDERS.length]!);
    for (const contender of order) {
      const outDir = outDirs.get(contender)!;
      await rm(outDir, { recursive: true, force: true });
      await mkdir(outDir, { recursive: true });
      const results =
        contender === 'python' ? await runPython(items, outDir) : await runOurs(contender, items, outDir);
      perRound.get(contender)!.push(results);
    }
    if (round === 0) await checkSamePixels(new Map([...perRound].map(([c, runs]) => [c, runs[0]!])));
  }
  report(perRound, frames.reduce((total, f) => total + f.bytes, 0) / count);
} finally {
  await rm(dir, { recursive: true, force: true });
}

async function checkSamePixels(firstRound: Map<Contender, FrameResult[]>): Promise<void> {
  const python = firstRound.get('python')!;
  let checked = 0;
  for (const effort of PNG_EFFORTS) {
    for (const [i, ours] of firstRound.get(effort)!.entries()) {
      if (!(await samePixels(ours.output, python[i]!.output))) {
        throw new Error(`${effort}: ${ours.output} differs from the Python version's ${python[i]!.output}`);
      }
      checked += 1;
    }
  }
  console.log(`pixels: all ${checked} copies (${PNG_EFFORTS.length} settings × ${python.length} frames) equal the Python version's`);
}

function report(perRound: Map<Contender, FrameResult[][]>, meanBytesIn: number): void {
  console.log(
    `${count} synthetic ${size}×${size} frames (mean ${(meanBytesIn / 1024).toFixed(0)} KiB), ${rounds} rounds, ` +
      `${os.cpus().length} cores, load ${os.loadavg()[0]!.toFixed(1)}; medians over rounds`,
  );
  console.log('setting   CPU ms/frame  KiB written  KiB saved  score MB/CPU-s  × Python');
  const score = (results: FrameResult[]): number =>
    sum(results, (r) => r.bytesIn - r.bytesOut) / (sum(results, (r) => r.cpuMs) / 1000);
  const pythonScores = perRound.get('python')!.map(score);
  const tallies: Partial<Record<PngEffort, EffortTally>> = {};
  for (const [contender, runs] of perRound) {
    const cpu = median(runs.map((results) => sum(results, (r) => r.cpuMs) / results.length));
    const written = median(runs.map((results) => sum(results, (r) => r.bytesOut) / results.length));
    const saved = median(runs.map((results) => sum(results, (r) => r.bytesIn - r.bytesOut) / results.length));
    // Pair each round with Python's in the same round, so drift in machine speed cancels.
    const ratio = median(runs.map((results, round) => score(results) / pythonScores[round]!));
    console.log(
      `${contender.padEnd(9)} ${cpu.toFixed(1).padStart(12)} ${(written / 1024).toFixed(1).padStart(12)} ` +
        `${(saved / 1024).toFixed(1).padStart(10)} ${(median(runs.map(score)) / 1e6).toFixed(1).padStart(14)} ` +
        `${ratio.toFixed(2).padStart(9)}`,
    );
    if (contender !== 'python') {
      tallies[contender] = { files: count, bytesIn: meanBytesIn * count, bytesSaved: saved * count, cpuMs: cpu * count };
    }
  }
  const picks = uplinks.map((rate) => `${formatRate(rate)}: ${choosePngEffort(tallies, rate)}`);
  console.log(`auto picks (choosePngEffort on these medians): ${picks.join(', ')}; no estimate: ${choosePngEffort(tallies, undefined)}`);
}

function formatRate(bytesPerSec: number): string {
  const bits = bytesPerSec * 8;
  return bits >= 1e9 ? `${bits / 1e9} Gbit/s` : bits >= 1e6 ? `${bits / 1e6} Mbit/s` : `${bits / 1e3} kbit/s`;
}
