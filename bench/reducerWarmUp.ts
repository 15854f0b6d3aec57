/**
 * How long the image reducer's thread takes to be ready, and how long loading libvips blocks the
 * main thread: what an image waits for when the agent starts the thread as the image is first
 * noticed (runAgent, unless `--include` names only images) rather than at start.
 *
 *   npm run build && npx tsx bench/reducerWarmUp.ts [--runs N]
 *
 * Each run is a fresh node process on the built package (`dist/`, as the CLI runs it), so every
 * start is cold: it times `require('sharp')` in a process of its own, then `createWorkerPool`'s
 * first answer (a thread started and asked for a file that does not exist, as `openSpool`'s
 * `warm()` does). The default settle time (`--settle-ms`) is 500 ms: a thread ready sooner
 * is ready before the image it was started for is reported. Defaults: 5 runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new TypeError(`--runs must be a whole number >= 1, got ${values.runs}`);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pool = path.join(root, 'dist', 'reducers', 'createWorkerPool.js');
if (!existsSync(pool)) throw new Error(`${pool} is missing: run npm run build first`);

const loadSharp = "const t = performance.now(); require('sharp'); console.log(performance.now() - t);";
// A file, not `--input-type=module -e`: a worker inherits the process's flags, and that one
// makes it exit at once (an answer in 0.1 s that measured nothing).
const firstAnswer = [
  `const { createWorkerPool } = await import(${JSON.stringify(pathToFileURL(pool).href)});`,
  'const t = performance.now();',
  `const pool = createWorkerPool({ size: 1, reducerOptions: { spoolDir: ${JSON.stringify(tmpdir())} } });`,
  // The thread answered if it could not read the file; anything else is a thread that failed.
  "const done = (reduction) => { const ms = performance.now() - t; void pool.close(); if (!/^Cannot read .*ENOENT/.test(reduction.reason ?? '')) throw new Error(`no answer from a thread: ${reduction.reason}`); console.log(ms); };",
  "pool.reduce({ path: '/nonexistent/.warm-up.png', size: 0, mtimeMs: 0, index: -1 }).subscribe(done);",
].join('\n');

const scratch = mkdtempSync(path.join(tmpdir(), 'haste-warm-up-'));
const script = path.join(scratch, 'firstAnswer.mjs');
writeFileSync(script, firstAnswer);
const node = (args: string[]): number => Number(execFileSync(process.execPath, args, { cwd: root, encoding: 'utf8' }).trim());
const sharpMs: number[] = [];
const readyMs: number[] = [];
try {
  for (let run = 0; run < runs; run += 1) {
    sharpMs.push(node(['-e', loadSharp]));
    readyMs.push(node([script]));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const list = (values: number[]): string => values.map((value) => value.toFixed(0)).join(', ');
console.log(`reducer warm-up, ${runs} cold starts each (${new Date().toISOString()}, load ${loadavg()[0]!.toFixed(2)})`);
console.log(`require('sharp') in the main thread: ${list(sharpMs)} ms`);
console.log(`a reducer thread's first answer:      ${list(readyMs)} ms`);
