/**
 * Per-file latency under a steady stream, with a big ledger and with a big tree to walk: does a
 * ledger of 1,000,000 entries (an old run's files, since deleted) slow a new file down, and do
 * the periodic walks of a 100,000-file folder delay uploads?
 *
 *   npm run bench:latency -- [--entries 1000000] [--seconds 30] [--rounds 3] [--rate 20]
 *                            [--bytes 1048576] [--tree 100000] [--keep DIR | --reuse DIR]
 *                            [--prepare-only] [--cpu-prof DIR]
 *
 * Prepares, once, a state dir whose ledger holds `--entries` acknowledged entries for files that
 * are not on disk, and an empty one (0 entries); with `--tree T` also a folder of T old 1 KiB
 * files (1,000 a subfolder, mtimes an hour old) and a state dir whose ledger has each of them
 * acknowledged, as the run that sent them would leave it. `--keep DIR` prepares into DIR and
 * leaves it there, preparing only what an earlier `--keep DIR` did not; `--reuse DIR` measures on
 * what is there and fails if a part is missing.
 *
 * Then, for `--rounds` rounds, one run of each configuration in turn (0 entries, N entries, the
 * tree), so the machine's drift spreads over all of them: copies the prepared state dir afresh
 * (`cp -r`), starts the agent as a user would (`haste-agent FOLDER --host … --state-dir …
 * --log-format json --no-reduce`, default rescan interval: the CLI has no flag for it) against
 * the embedded gateway (`haste-agent gateway`, not storing), waits for a probe file's upload (the
 * agent is up and watching), then for `--seconds` writes a file of `--bytes` random bytes
 * `--rate` times a second: each is written under a temporary name outside the watched folder
 * and renamed into it, so it is complete the moment it appears. A file's latency is the time
 * from its rename to the agent's `uploaded` line for it, both read with performance.now() in
 * this process; the agent's settle time (500 ms by default) is part of it. A file not uploaded
 * 30 s after the last write counts as lost. Prints one row per run with the 1-minute load
 * average, then the medians per configuration. Printed figures, not assertions.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { hashFile } from '../src/state/hashFile.js';
import { startGatewayChild, type GatewayChild } from './startGatewayChild.js';
import { openLedger } from '../src/state/openLedger.js';

const { values } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    seconds: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '3' },
    rate: { type: 'string', default: '20' },
    bytes: { type: 'string', default: String(1024 * 1024) },
    tree: { type: 'string', default: '0' },
    keep: { type: 'string' },
    reuse: { type: 'string' },
    'prepare-only': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    cli: { type: 'string', default: 'dist/cli.js' },
  },
});

function integerOption(name: string, text: string, least: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < least) throw new Error(`--${name}: expected an integer >= ${least}, got ${JSON.stringify(text)}`);
  return n;
}

const entries = integerOption('entries', values.entries, 0);
const seconds = integerOption('seconds', values.seconds, 1);
const rounds = integerOption('rounds', values.rounds, 1);
const rate = integerOption('rate', values.rate, 1);
const bytes = integerOption('bytes', values.bytes, 1);
const treeFiles = integerOption('tree', values.tree, 0);
const cli = resolve(values.cli);
const credentials = { HASTE_USERNAME: 'bench', HASTE_PASSWORD: 'bench' };
const folderSize = 1000;
const drainMs = 30_000;
const run = promisify(execFile);

// ---------------------------------------------------------------------------------------------
// Preparing the state dirs and the tree

/** A 64-hex-digit stand-in hash, different for each i. */
const fakeHash = (i: number): string => i.toString(16).padStart(64, '0');

/** A ledger of `count` acknowledged entries for files of an old run, since deleted. */
async function prepareGoneLedger(stateDir: string, count: number): Promise<void> {
  const ledger = await openLedger({ dir: stateDir, fsync: false });
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const path = `/data/old-run/plate${String(Math.floor(i / folderSize)).padStart(4, '0')}/frame${String(i).padStart(7, '0')}.dat`;
    await ledger.record({ path, size: 1_048_576, mtimeMs: 1_764_000_000_000 + i, hash: fakeHash(i), dev: 2049, ino: 1_000_000 + i, state: 'acknowledged', attempts: 1, lastError: null });
    if ((i + 1) % 100_000 === 0) progress(`ledger: ${(i + 1).toLocaleString('en')} of ${count.toLocaleString('en')} entries`, started);
  }
  await ledger.close();
}

/** `count` old 1 KiB files, 1,000 a subfolder, and a ledger with each of them acknowledged. */
async function prepareTree(folder: string, stateDir: string, count: number): Promise<void> {
  const old = new Date(Date.now() - 3_600_000);
  const body = randomBytes(1024 + count);
  const ledger = await openLedger({ dir: stateDir, fsync: false });
  const started = performance.now();
  for (let i = 0; i < count; i += 1) {
    const subfolder = join(folder, `plate${String(Math.floor(i / folderSize)).padStart(4, '0')}`);
    if (i % folderSize === 0) await mkdir(subfolder, { recursive: true });
    const path = join(subfolder, `frame${String(i).padStart(7, '0')}.dat`);
    await writeFile(path, body.subarray(i, i + 1024));
    await utimes(path, old, old);
    const stats = await lstat(path);
    const item = { path, size: stats.size, mtimeMs: stats.mtimeMs, dev: stats.dev, ino: stats.ino };
    await ledger.record({ ...item, hash: await hashFile(item), state: 'acknowledged', attempts: 1, lastError: null });
    if ((i + 1) % 10_000 === 0) progress(`tree: ${(i + 1).toLocaleString('en')} of ${count.toLocaleString('en')} files`, started);
  }
  await ledger.close();
}

function progress(what: string, since: number): void {
  console.error(`  ${what}, ${((performance.now() - since) / 1000).toFixed(0)} s`);
}

/** Where the prepared parts live under `base`; a part is whole once `<dir>.done` exists beside it. */
function preparedPaths(base: string) {
  return {
    empty: join(base, 'state-empty'),
    entries: join(base, `state-entries-${entries}`),
    tree: join(base, `tree-${treeFiles}`),
    treeState: join(base, `state-tree-${treeFiles}`),
  };
}

/** Prepares under `base` what an earlier `--keep` there did not. */
async function prepare(base: string, reuse: boolean): Promise<void> {
  const paths = preparedPaths(base);
  const parts = [
    { dirs: [paths.empty], make: () => mkdir(paths.empty, { recursive: true }) },
    ...(entries > 0 ? [{ dirs: [paths.entries], make: () => prepareGoneLedger(paths.entries, entries) }] : []),
    ...(treeFiles > 0 ? [{ dirs: [paths.treeState, paths.tree], make: () => prepareTree(paths.tree, paths.treeState, treeFiles) }] : []),
  ];
  for (const part of parts) {
    const marker = `${part.dirs[0]!}.done`;
    if (existsSync(marker)) continue;
    if (reuse) throw new Error(`--reuse ${base}: ${part.dirs[0]!} is not prepared (run with --keep ${base} to prepare it)`);
    const started = performance.now();
    // A part an interrupted run left half made is made again from nothing.
    for (const dir of part.dirs) await rm(dir, { recursive: true, force: true });
    await part.make();
    await writeFile(marker, '');
    console.log(`prepared ${part.dirs.join(' and ')} in ${((performance.now() - started) / 1000).toFixed(0)} s (load ${loadAverage()})`);
  }
}

// ---------------------------------------------------------------------------------------------
// The gateway and the agent, as child processes

type Gateway = GatewayChild;

const startGateway = (): Promise<Gateway> => startGatewayChild(cli, credentials);

interface Agent {
  readonly child: ChildProcess;
  /** performance.now() when each path's `uploaded` line came. */
  readonly uploadedAt: Map<string, number>;
  /** Resolves once `path` was uploaded; rejects if the agent exits first. */
  uploaded(path: string): Promise<number>;
  /** Resolves once a status line counts at least `count` files skipped (delivered in an earlier run). */
  skipped(count: number): Promise<void>;
}

/** Forwards the agent's stderr but its status lines (once a second) and its lines about stopping. */
function forwardErrors(child: ChildProcess, onStatus: (status: { filesSkipped?: number }) => void): void {
  createInterface({ input: child.stderr! }).on('line', (line) => {
    const event = line.startsWith('{') ? (JSON.parse(line) as { type?: string; filesSkipped?: number }) : {};
    if (event.type === 'status') onStatus(event);
    else if (event.type !== 'signal' && event.type !== 'stopped') console.error(`  agent: ${line}`);
  });
}

function startAgent(folder: string, stateDir: string, host: string, profileDir: string | undefined): Agent {
  const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
  const agentArgs = [folder, '--host', host, '--state-dir', stateDir, '--log-format', 'json', '--no-reduce', '--grace', '5', '--status-interval', '1'];
  const child = spawn(process.execPath, [...nodeArgs, cli, ...agentArgs], { env: { ...process.env, ...credentials }, stdio: ['ignore', 'pipe', 'pipe'] });
  let filesSkipped = 0;
  forwardErrors(child, (status) => {
    filesSkipped = status.filesSkipped ?? filesSkipped;
  });
  const uploadedAt = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const at = performance.now();
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as { type?: string; path?: string };
    if (event.type !== 'uploaded' || event.path === undefined) return;
    uploadedAt.set(event.path, at);
    waiters.get(event.path)?.(at);
  });
  const uploaded = (path: string): Promise<number> =>
    new Promise((resolvePromise, reject) => {
      const at = uploadedAt.get(path);
      if (at !== undefined) return resolvePromise(at);
      waiters.set(path, resolvePromise);
      child.once('exit', (code) => reject(new Error(`the agent exited (code ${String(code)}) before it uploaded ${path}`)));
    });
  const skipped = async (count: number): Promise<void> => {
    while (filesSkipped < count) {
      if (child.exitCode !== null) throw new Error(`the agent exited (code ${String(child.exitCode)}) after skipping ${filesSkipped} files`);
      await new Promise((done) => setTimeout(done, 200));
    }
  };
  return { child, uploadedAt, uploaded, skipped };
}

async function stopAgent(agent: Agent): Promise<void> {
  if (agent.child.exitCode !== null) return;
  agent.child.kill('SIGINT');
  await once(agent.child, 'exit');
}

// ---------------------------------------------------------------------------------------------
// One run: a steady stream of new files, and their latencies

const sleepUntil = (at: number): Promise<void> => new Promise((done) => setTimeout(done, Math.max(0, at - performance.now())));

/** Writes `file` complete outside the folder, then renames it in; returns when it appeared. */
async function placeFile(scratch: string, folder: string, name: string): Promise<{ path: string; at: number }> {
  const temporary = join(scratch, name);
  const path = join(folder, name);
  await writeFile(temporary, randomBytes(bytes));
  await rename(temporary, path);
  return { path, at: performance.now() };
}

/** `rate` files a second for `seconds`, each at its tick (or at once if the last one ran late). */
async function writeStream(scratch: string, folder: string, tag: string): Promise<Map<string, number>> {
  const placedAt = new Map<string, number>();
  const started = performance.now();
  const count = seconds * rate;
  for (let i = 0; i < count; i += 1) {
    await sleepUntil(started + (i * 1000) / rate);
    const placed = await placeFile(scratch, folder, `${tag}-${String(i).padStart(5, '0')}.dat`);
    placedAt.set(placed.path, placed.at);
  }
  return placedAt;
}

/** Waits until each placed file was uploaded or `drainMs` passed since the last was placed. */
async function drain(agent: Agent, placedAt: Map<string, number>): Promise<void> {
  const deadline = performance.now() + drainMs;
  while (performance.now() < deadline && [...placedAt.keys()].some((path) => !agent.uploadedAt.has(path))) {
    await new Promise((done) => setTimeout(done, 100));
  }
}

interface RunFigures {
  /** Seconds from the agent's start until it uploaded the probe (and skipped the tree's files). */
  readonly ready: number;
  /** CPU seconds the agent spent while the stream ran (and drained). */
  readonly cpu: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly files: number;
  readonly lost: number;
  readonly load: string;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function figuresOf(placedAt: Map<string, number>, uploadedAt: Map<string, number>, context: Pick<RunFigures, 'ready' | 'cpu' | 'load'>): RunFigures {
  const latencies = [...placedAt].flatMap(([path, at]) => {
    const uploaded = uploadedAt.get(path);
    return uploaded === undefined ? [] : [uploaded - at];
  });
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    max: latencies.at(-1) ?? Number.NaN,
    files: latencies.length,
    lost: placedAt.size - latencies.length,
    ...context,
  };
}

/** CPU seconds (user + system) of a process so far, from /proc. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields 14 and 15 (utime, stime, in ticks of 1/100 s) counted after the command in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

interface Configuration {
  readonly label: string;
  /** Prepared state dir to copy for each run. */
  readonly stateDir: string;
  /** Folder the agent watches; the new files go into `incoming/` under it. */
  readonly folder: string | undefined;
}

/** One run of a configuration on a fresh copy of its state dir. */
async function measure(configuration: Configuration, base: string, gateway: Gateway, runIndex: number): Promise<RunFigures> {
  const work = await mkdtemp(join(base, 'run-'));
  const stateDir = join(work, 'state');
  await run('cp', ['-r', configuration.stateDir, stateDir]);
  const folder = configuration.folder ?? join(work, 'watched');
  const incoming = join(folder, `incoming-${runIndex}`);
  const scratch = join(work, 'scratch');
  await mkdir(incoming, { recursive: true });
  await mkdir(scratch, { recursive: true });
  const profileDir = values['cpu-prof'] === undefined ? undefined : join(resolve(values['cpu-prof']), `${configuration.label.replace(/\W+/g, '-')}-${runIndex}`);
  const startedAt = performance.now();
  const agent = startAgent(folder, stateDir, gateway.host, profileDir);
  try {
    const probe = await placeFile(scratch, incoming, 'probe.dat');
    await agent.uploaded(probe.path);
    // The stream starts once the agent's first look at the tree is over: the walks are measured, not the start.
    if (configuration.folder !== undefined) await agent.skipped(treeFiles);
    const ready = (performance.now() - startedAt) / 1000;
    const loadBefore = loadAverage();
    const cpuBefore = cpuSeconds(agent.child.pid!);
    const placedAt = await writeStream(scratch, incoming, 'frame');
    await drain(agent, placedAt);
    const cpu = cpuSeconds(agent.child.pid!) - cpuBefore;
    return figuresOf(placedAt, agent.uploadedAt, { ready, cpu, load: `${loadBefore.split(' ')[0]} → ${loadAverage().split(' ')[0]}` });
  } finally {
    await stopAgent(agent);
    // The new files must not be in the tree for the next run, whose ledger copy never saw them.
    await rm(incoming, { recursive: true, force: true });
    await rm(work, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Rounds and the table

const ms = (n: number): string => n.toFixed(0);

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function configurationsOf(base: string): Configuration[] {
  const paths = preparedPaths(base);
  return [
    { label: '0', stateDir: paths.empty, folder: undefined },
    ...(entries > 0 ? [{ label: entries.toLocaleString('en'), stateDir: paths.entries, folder: undefined }] : []),
    ...(treeFiles > 0 ? [{ label: `${treeFiles.toLocaleString('en')} (the tree's files, in the watched folder)`, stateDir: paths.treeState, folder: paths.tree }] : []),
  ];
}

async function measureRounds(base: string): Promise<Map<string, RunFigures[]>> {
  const results = new Map<string, RunFigures[]>();
  const configurations = configurationsOf(base);
  const gateway = await startGateway();
  console.log(`\nper-file latency, ${rate} Hz of ${bytes.toLocaleString('en')}-byte files for ${seconds} s, written outside and renamed in; embedded gateway on loopback; agent --no-reduce, default settings`);
  console.log('| ledger entries | round | p50 ms | p95 ms | max ms | files | lost | agent start to ready s | agent CPU s in the stream | load 1 min (before → after) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  try {
    let runIndex = 0;
    for (let round = 1; round <= rounds; round += 1) {
      for (const configuration of configurations) {
        const figures = await measure(configuration, base, gateway, runIndex++);
        results.set(configuration.label, [...(results.get(configuration.label) ?? []), figures]);
        console.log(`| ${configuration.label} | ${round} | ${ms(figures.p50)} | ${ms(figures.p95)} | ${ms(figures.max)} | ${figures.files} | ${figures.lost} | ${figures.ready.toFixed(1)} | ${figures.cpu.toFixed(1)} | ${figures.load} |`);
      }
    }
  } finally {
    await gateway.close();
  }
  return results;
}

function printMedians(results: Map<string, RunFigures[]>): void {
  console.log('\nmedians over the rounds');
  console.log('| ledger entries | p50 ms | p95 ms | max ms | files lost (all rounds) | agent CPU s in the stream |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const [label, runs] of results) {
    const lost = runs.reduce((sum, figures) => sum + figures.lost, 0);
    console.log(`| ${label} | ${ms(median(runs.map((r) => r.p50)))} | ${ms(median(runs.map((r) => r.p95)))} | ${ms(median(runs.map((r) => r.max)))} | ${lost} | ${median(runs.map((r) => r.cpu)).toFixed(1)} |`);
  }
}

async function main(): Promise<void> {
  const kept = values.keep ?? values.reuse;
  const base = kept === undefined ? await mkdtemp(join(tmpdir(), 'haste-agent-latency-')) : resolve(kept);
  await mkdir(base, { recursive: true });
  try {
    await prepare(base, values.reuse !== undefined);
    if (!values['prepare-only']) printMedians(await measureRounds(base));
  } finally {
    if (kept === undefined) await rm(base, { recursive: true, force: true });
  }
}

await main();
