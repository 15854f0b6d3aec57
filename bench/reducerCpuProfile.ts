/**
 * A steady loop of the image reducer on synthetic frames, to be profiled from outside:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/reducerCpuProfile.ts [--effort fast]
 *        [--count 12] [--rounds 8]
 *
 * Writes `count` synthetic 1024² frames to a temp folder (deleted afterwards), reduces each once
 * to warm up, then `rounds` times more at one PNG setting, and prints the CPU ms per frame of
 * the loop. Open the .cpuprofile in Chrome DevTools (Bottom-Up, self time) to see where it goes.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
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
  },
});
const pngEffort = values.effort;
if (!isPngEffort(pngEffort)) throw new TypeError(`Expected --effort to be fast, default or small, got ${pngEffort}`);
const count = Number(values.count);
const rounds = Number(values.rounds);
sharp.concurrency(1);
sharp.cache(false);

const dir = await mkdtemp(path.join(os.tmpdir(), 'haste-reducer-cpu-'));
try {
  const frames = await synthesizeDataset({ out: path.join(dir, 'frames'), count, seed: 1 });
  const items = await Promise.all(
    frames.map(async (frame, index) => ({ path: frame.path, size: frame.bytes, mtimeMs: (await stat(frame.path)).mtimeMs, index })),
  );
  const spoolDir = path.join(dir, 'spool');
  for (const item of items) await reduceImage(item, { spoolDir, pngEffort });
  const before = process.cpuUsage();
  for (let round = 0; round < rounds; round++) {
    for (const item of items) await reduceImage(item, { spoolDir, pngEffort });
  }
  const { user, system } = process.cpuUsage(before);
  const frameCount = rounds * count;
  console.log(
    `${pngEffort}: ${((user + system) / 1000 / frameCount).toFixed(1)} CPU ms/frame ` +
      `(system ${(system / 1000 / frameCount).toFixed(1)}) over ${frameCount} frames, load ${os.loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
