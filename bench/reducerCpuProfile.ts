/**
 * A steady loop of the image reducer on synthetic frames, profiled from inside:
 *
 *   npx tsx bench/reducerCpuProfile.ts [--effort fast] [--count 12] [--rounds 8] [--top 12]
 *        [--out loop.cpuprofile]
 *
 * Writes `count` synthetic 1024² frames to a temp folder (deleted afterwards), reduces each once
 * to warm up, then `rounds` times more at one PNG setting with V8's sampling profiler running
 * (through `node:inspector`, so the profile holds the loop only, not the frames' synthesis or
 * module loading), and prints the CPU ms per frame of the loop, the profile's time per frame by
 * stage (the reducer's step on the stack: read, decode, fill, encode, write; zlib's own time in
 * decode and encode apart; `(idle)` is waiting, for the thread pool's reads and writes) and the
 * `top` functions by self time. `--out` also writes the profile, to
 * open in Chrome DevTools (Bottom-Up). Profiling costs a little: the loop's figure runs ~5 %
 * above an unprofiled one. Only the main thread is sampled: the thread pool's file system calls
 * count in the CPU figure, not in the profile (their main-thread side does).
 */
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { synthesizeDataset } from '../src/bench/synthesizeDataset.js';
import { isPngEffort } from '../src/reducers/pngEffort.js';
import { reduceImage } from '../src/reducers/reduceImage.js';

const { values } = parseArgs({
  options: {
    effort: { type: 'string', default: 'fast' },
    count: { type: 'string', default: '12' },
    rounds: { type: 'string', default: '8' },
    top: { type: 'string', default: '12' },
    out: { type: 'string' },
  },
});
const pngEffort = values.effort;
if (!isPngEffort(pngEffort)) throw new TypeError(`Expected --effort to be fast, default or small, got ${pngEffort}`);
const count = Number(values.count);
const rounds = Number(values.rounds);
const top = Number(values.top);
sharp.concurrency(1);
sharp.cache(false);

/** The subset of V8's profile format read here. */
interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
    readonly children?: readonly number[];
  }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The reducer's steps, innermost first: a sample counts for the first one on its stack. */
const STAGES: readonly (readonly [stage: string, functions: readonly string[]])[] = [
  ['decode', ['inflateGreyPng', 'decodeExactly']],
  ['fill', ['fillBackground', 'floodFillBackground']],
  ['encode', ['writeGreyPng', 'encodeReducedPng']],
  ['read (main thread side)', ['readAdmitted', 'openAdmittedFile']],
  ['write (main thread side)', ['writeSpoolFile']],
];

/** The zlib binding's call, where inflating and deflating happen. */
const ZLIB_NATIVE = 'writeSync';

const dir = await mkdtemp(path.join(os.tmpdir(), 'haste-reducer-cpu-'));
try {
  const frames = await synthesizeDataset({ out: path.join(dir, 'frames'), count, seed: 1 });
  const items = await Promise.all(
    frames.map(async (frame, index) => ({ path: frame.path, size: frame.bytes, mtimeMs: (await stat(frame.path)).mtimeMs, index })),
  );
  const spoolDir = path.join(dir, 'spool');
  for (const item of items) await reduceImage(item, { spoolDir, pngEffort });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  const before = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    for (const item of items) await reduceImage(item, { spoolDir, pngEffort });
  }
  const { user, system } = process.cpuUsage(before);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  const frameCount = rounds * count;
  console.log(
    `${pngEffort}: ${((user + system) / 1000 / frameCount).toFixed(1)} CPU ms/frame ` +
      `(system ${(system / 1000 / frameCount).toFixed(1)}) over ${frameCount} frames, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
  summarise(profile, frameCount);
  if (values.out !== undefined) await writeFile(values.out, JSON.stringify(profile));
} finally {
  await rm(dir, { recursive: true, force: true });
}

function summarise(profile: CpuProfile, frameCount: number): void {
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const stages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    // tsx's compiled modules report line 1 for everything, so a line is named only when known.
    const name = `${functionName || '(anonymous)'} ${path.basename(url)}${lineNumber > 0 ? `:${lineNumber + 1}` : ''}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const stage = stageOf(id, byId, parent);
    stages.set(stage, (stages.get(stage) ?? 0) + ms);
  }
  const print = (title: string, table: Map<string, number>, rows: number): void => {
    console.log(title);
    for (const [name, ms] of [...table].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
      console.log(`  ${(ms / frameCount).toFixed(2).padStart(6)}  ${name}`);
    }
  };
  print('profiled ms per frame by stage:', stages, stages.size);
  print(`top ${top} functions, self ms per frame:`, functions, top);
}

function stageOf(id: number, byId: Map<number, CpuProfile['nodes'][number]>, parent: Map<number, number>): string {
  const own = byId.get(id)!.callFrame.functionName;
  if (own === '(garbage collector)' || own === '(idle)' || own === '(program)') return own;
  const stack = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) stack.add(byId.get(at)!.callFrame.functionName);
  const stage = STAGES.find(([, names]) => names.some((name) => stack.has(name)))?.[0] ?? 'other';
  return own === ZLIB_NATIVE ? `${stage}: zlib` : stage;
}
