/**
 * How much CPU the directory watcher spends per new file as the watched folder fills up.
 *
 *   npx tsx bench/watcherScaling.ts [existing files, comma-separated; default 0,2000,10000]
 *
 * For each size N it fills a temporary folder with N files, starts `watchDirectory` on it,
 * then writes 100 new files at 20 Hz (temporary name, then rename) and prints the process CPU
 * time spent while they arrive and the lag of the last one. Printed figures, not assertions.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchDirectory } from '../src/sources/watchDirectory.js';

const sizes = (process.argv[2] ?? '0,2000,10000').split(',').map(Number);
const newFiles = 100;
const periodMs = 50;

for (const existing of sizes) {
  const dir = await mkdtemp(join(tmpdir(), 'haste-watcher-scaling-'));
  try {
    for (let i = 0; i < existing; i += 1) await writeFile(join(dir, `old_${i}.png`), 'x');
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    let seen = 0;
    let lastSeenAt = 0;
    const subscription = watchDirectory(dir, { ignoreInitial: true, awaitWriteFinish: false, onReady: () => markReady() }).subscribe(() => {
      seen += 1;
      lastSeenAt = Date.now();
    });
    await ready;
    const cpuBefore = process.cpuUsage();
    const startedAt = Date.now();
    for (let i = 0; i < newFiles; i += 1) {
      await writeFile(join(dir, `.new_${i}.part`), 'y');
      await rename(join(dir, `.new_${i}.part`), join(dir, `new_${i}.png`));
      await new Promise((resolve) => setTimeout(resolve, periodMs));
    }
    const deadline = Date.now() + 10_000;
    while (seen < newFiles && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const cpu = process.cpuUsage(cpuBefore);
    const wall = (Date.now() - startedAt) / 1000;
    const lastWrittenAt = startedAt + (newFiles - 1) * periodMs;
    console.log(
      `${existing} files already there: ${seen}/${newFiles} new seen, CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s in ${wall.toFixed(1)} s, ` +
        `last one seen ${Math.max(0, lastSeenAt - lastWrittenAt)} ms after it was written`,
    );
    subscription.unsubscribe();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
