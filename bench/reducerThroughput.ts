/**
 * Reducer throughput at pool sizes 1 and 2.
 *
 *   npx tsx bench/reducerThroughput.ts [images=8]
 *
 * Generates that many 1024×1024 microscopy-like PNGs in a temp folder (deleted afterwards),
 * reduces them with the benchmark's CPU-expensive PNG settings (compressionLevel 9 +
 * adaptiveFiltering) and prints wall ms per image and the mean per-image cpuMs the workers
 * report. With two free cores, size 2 should roughly halve the wall ms per image.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { lastValueFrom, merge, toArray } from 'rxjs';
import sharp from 'sharp';
import type { FileItem } from '../src/model/FileItem.js';
import { createWorkerPool } from '../src/reducers/createWorkerPool.js';

const SIZE = 1024;
const count = Number(process.argv[2] ?? 8);
if (!Number.isInteger(count) || count < 1) {
  throw new TypeError(`Expected the image count to be an integer >= 1, got ${process.argv[2]}`);
}

/** Dark noisy surround (0–25), bright textured disc (100–255); deterministic per seed. */
function microscopyFrame(seed: number): Buffer {
  let state = seed >>> 0;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pixels = Buffer.alloc(SIZE * SIZE);
  const radius2 = (SIZE / 3) ** 2;
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const inside = (x - SIZE / 2) ** 2 + (y - SIZE / 2) ** 2 < radius2;
      pixels[y * SIZE + x] = inside ? 100 + Math.floor(random() * 156) : Math.floor(random() * 26);
    }
  }
  return pixels;
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'haste-reducer-bench-'));
try {
  const items: FileItem[] = [];
  for (let index = 0; index < count; index++) {
    const filePath = path.join(dir, `frame${index}.png`);
    const info = await sharp(microscopyFrame(index + 1), { raw: { width: SIZE, height: SIZE, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(filePath);
    items.push({ path: filePath, size: info.size, mtimeMs: Date.now(), index });
  }
  console.log(`${count} images of ${SIZE}×${SIZE} in ${dir}`);

  for (const size of [1, 2]) {
    const pool = createWorkerPool({
      size,
      reducerOptions: { spoolDir: path.join(dir, `spool-${size}`), compressionLevel: 9, adaptiveFiltering: true },
    });
    try {
      // Start every worker (and let tsx compile them) before the clock starts.
      await lastValueFrom(merge(...items.slice(0, size).map((item) => pool.reduce(item))).pipe(toArray()));
      const started = performance.now();
      const reductions = await lastValueFrom(merge(...items.map((item) => pool.reduce(item))).pipe(toArray()));
      const wallMs = performance.now() - started;
      const cpuMs = reductions.reduce((sum, r) => sum + r.cpuMs, 0) / reductions.length;
      const saved = reductions.reduce((sum, r) => sum + (r.bytesIn - r.bytesOut), 0) / reductions.length;
      const failed = reductions.filter((r) => !r.reduced);
      console.log(
        `pool size ${size}: ${(wallMs / count).toFixed(1)} ms/image wall, ` +
          `${cpuMs.toFixed(1)} ms/image cpuMs, ${(saved / 1024).toFixed(0)} KiB saved/image` +
          (failed.length > 0 ? `, ${failed.length} not reduced: ${failed[0]!.reason}` : ''),
      );
    } finally {
      await pool.close();
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
