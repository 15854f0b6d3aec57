// Ledger write cost as it grows: bytes the process hands to write() per file recorded, at
// several ledger sizes. Each file goes the way the agent takes it: seen, uploading,
// acknowledged (three journal lines). The figure is the growth of `wchar` in /proc/self/io
// (bytes passed to write(), whether or not they reach the disk), so fsync is left off.
//
// Then it reopens the ledger and reports how long that took and the heap it holds (run with
// --expose-gc for a settled figure): what a restart on a ledger of that size costs.
//
// Run: node --expose-gc --import tsx bench/ledgerScale.ts [--sizes 10000,100000,1000000] [--compact-after 1000]
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openLedger } from '../src/state/openLedger.js';

const { values } = parseArgs({ options: { sizes: { type: 'string', default: '10000,100000' }, 'compact-after': { type: 'string' } } });
const sizes = values.sizes.split(',').map(Number);

// Real hashes: a sha256 of each index. Hex digits of mostly zeros would let LevelDB's Snappy
// compression shrink the archive far below what real files' hashes cost it.
function sha256Of(index: number): string {
  return createHash('sha256').update(String(index)).digest('hex');
}

function written(): number {
  const line = readFileSync('/proc/self/io', 'utf8').split('\n').find((l) => l.startsWith('wchar:'));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

console.log('| files in the ledger | bytes written per file (the last 10 % of them) | bytes per file overall | seconds | reopen ms | heap after reopen MB | entries in memory |');
console.log('|---:|---:|---:|---:|---:|---:|---:|');
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
for (const size of sizes) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'haste-ledger-scale-'));
  const ledger = await openLedger({ dir, fsync: false, ...(values['compact-after'] === undefined ? {} : { compactAfter: Number(values['compact-after']) }) });
  const started = performance.now();
  const before = written();
  let lastTenthFrom = before;
  for (let i = 0; i < size; i += 1) {
    if (i === Math.floor(size * 0.9)) lastTenthFrom = written();
    const key = { path: `/data/run/frame_${String(i).padStart(7, '0')}.tif`, size: 1024 + (i % 9000), mtimeMs: 1_764_000_000_000 + i, hash: sha256Of(i) };
    await ledger.record({ ...key, state: 'seen', lastError: null });
    await ledger.transition(key, 'uploading');
    await ledger.transition(key, 'acknowledged', { lastError: null });
  }
  const after = written();
  const seconds = (performance.now() - started) / 1000;
  await ledger.close();
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const reopenStarted = performance.now();
  const reopened = await openLedger({ dir, fsync: false });
  const reopenMs = performance.now() - reopenStarted;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1e6;
  const inMemory = reopened.entries().length;
  await reopened.close();
  await rm(dir, { recursive: true, force: true });
  const lastTenth = (after - lastTenthFrom) / (size - Math.floor(size * 0.9));
  console.log(`| ${size.toLocaleString('en')} | ${Math.round(lastTenth).toLocaleString('en')} | ${Math.round((after - before) / size).toLocaleString('en')} | ${seconds.toFixed(1)} | ${reopenMs.toFixed(0)} | ${heapMb.toFixed(1)} | ${inMemory.toLocaleString('en')} |`);
}
