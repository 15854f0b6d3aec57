/**
 * Where the image reducer's time goes: read, decode, fill, encode, one frame at a time.
 *
 *   npx tsx bench/reducerProfile.ts [--count 24] [--size 1024] [--seed 1] [--repeat 3]
 *
 * Writes `count` synthetic frames (the `synth` stream) to a temp folder (deleted afterwards)
 * and times each stage of the reducer (CPU time of the process, libvips limited to one thread as
 * in the worker pool), `repeat` times round, printing the median ms per frame of each stage and, for
 * the encode, every named PNG setting beside libvips' and fast-png's.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { encode as fastPngEncode } from 'fast-png';
import sharp from 'sharp';
import { synthesizeDataset } from '../src/bench/synthesizeDataset.js';
import { decodeExactly } from '../src/reducers/decodeExactly.js';
import { encodeReducedPng } from '../src/reducers/encodeReducedPng.js';
import { fillBackground } from '../src/reducers/fillBackground.js';
import { PNG_EFFORTS, pngEffortSettings } from '../src/reducers/pngEffort.js';
import type { RasterImage } from '../src/reducers/RasterImage.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '24' },
    size: { type: 'string', default: '1024' },
    seed: { type: 'string', default: '1' },
    repeat: { type: 'string', default: '3' },
  },
});
const count = Number(values.count);
const size = Number(values.size);
const repeat = Number(values.repeat);

sharp.concurrency(1);
sharp.cache(false);

const LIBVIPS_DEFAULT = { compressionLevel: 6, adaptiveFiltering: false };

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** CPU milliseconds of this process (every thread) since `before`, as the machine is shared. */
const cpuMsSince = (before: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(before);
  return (user + system) / 1000;
};

async function timed<T>(samples: number[], work: () => Promise<T> | T): Promise<T> {
  const before = process.cpuUsage();
  const result = await work();
  samples.push(cpuMsSince(before));
  return result;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'haste-reducer-profile-'));
try {
  await synthesizeDataset({ out: dir, count, seed: Number(values.seed), size });
  const files = Array.from({ length: count }, (_, i) => path.join(dir, `frame_${String(i).padStart(5, '0')}.png`));
  const stages: Record<string, number[]> = { read: [], decode: [], 'decode by libvips (before)': [], fill: [] };
  const encodeMs: Record<string, number[]> = {};
  const encodeBytes: Record<string, number[]> = {};
  const record = (name: string, ms: number, bytes: number): void => {
    (encodeMs[name] ??= []).push(ms);
    (encodeBytes[name] ??= []).push(bytes);
  };
  for (let round = 0; round < repeat; round++) {
    for (const file of files) {
      const bytes = await timed(stages.read!, () => readFile(file));
      const decoded = await timed(stages.decode!, () => decodeExactly(bytes));
      await timed(stages['decode by libvips (before)']!, () =>
        sharp(bytes, { ignoreIcc: true }).toColourspace('b-w').raw({ depth: 'uchar' }).toBuffer(),
      );
      if ('refused' in decoded) throw new Error(decoded.refused);
      const outcome = await timed(stages.fill!, () => fillBackground(decoded.image, 30));
      if ('refused' in outcome) throw new Error(outcome.refused);
      const image: RasterImage = outcome.image;
      for (const effort of PNG_EFFORTS) {
        const before = process.cpuUsage();
        const png = await encodeReducedPng(image, { pngEffort: effort });
        const { filter, compressionLevel, strategy } = pngEffortSettings(effort);
        record(`${effort}: ${filter} L${compressionLevel} ${strategy}`, cpuMsSince(before), png.bytes.length);
      }
      for (const libvips of [LIBVIPS_DEFAULT, { compressionLevel: 9, adaptiveFiltering: true }]) {
        const before = process.cpuUsage();
        const png = await encodeReducedPng(image, libvips);
        const name = `libvips L${libvips.compressionLevel}${libvips.adaptiveFiltering ? ' adaptive' : ''}`;
        record(name, cpuMsSince(before), png.bytes.length);
      }
      const before = process.cpuUsage();
      const png = fastPngEncode(
        { width: image.width, height: image.height, channels: 1, depth: 8, data: image.data },
        { zlib: { level: 6 } },
      );
      record('fast-png L6 none', cpuMsSince(before), png.length);
    }
  }
  console.log(
    `${count} synthetic ${size}×${size} frames × ${repeat} rounds, one libvips thread, load ` +
      `${os.loadavg()[0]!.toFixed(1)}; median CPU ms per frame (and KiB written):`,
  );
  for (const [name, samples] of Object.entries(stages)) console.log(`  ${name.padEnd(34)} ${median(samples).toFixed(1)} ms`);
  for (const [name, samples] of Object.entries(encodeMs)) {
    const kib = median(encodeBytes[name]!) / 1024;
    console.log(`  encode ${name.padEnd(27)} ${median(samples).toFixed(1)} ms  ${kib.toFixed(0)} KiB`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
