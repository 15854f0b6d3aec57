/**
 * One machine, many files: how fast does the agent take a folder full of small files, how much
 * memory does it use, how many bytes does its ledger write per file, and how soon does a
 * restart on that ledger send a new file?
 *
 *   npm run bench:scale -- [--files 10000,100000] [--bytes 1024] [--folder-size 1000]
 *                          [--no-restart] [--cpu-prof DIR] [--heap-snapshot DIR] [--null-sink] [--keep]
 *                          [--waiting S [--uplink B]] [--node-options="FLAGS"] [--preload N] [--cli PATH]
 *                          [--refuse]
 *
 * For each size N: writes N files of `--bytes` random bytes (1,000 a folder, mtimes an hour
 * old, as a folder of last month's data) into a temporary folder, starts the embedded gateway
 * (`haste-agent gateway`, not storing) and the agent (`haste-agent FOLDER`, ledger on, default
 * settings, JSON log lines) as child processes, as a user would, and counts the agent's
 * `uploaded` lines until all N are in. Figures, from /proc of the agent's process: files/s from
 * the first to the last upload, peak RSS (VmHWM), CPU seconds, and bytes it handed to the
 * storage layer per file (`write_bytes`: the ledger, since the files are not reduced).
 * Then (unless `--no-restart`) it stops the agent with SIGINT, starts it again on the same
 * folder and state dir, writes one new file, and times the start to that file's upload, and
 * whether any old file was sent again (it must not be). `--null-sink` answers every upload
 * from a bare HTTP server in this process instead of the gateway, to show the agent alone;
 * `--preload N` measures only a restart: it writes N files and a ledger that has every one of
 * them acknowledged (as a run that sent them would leave it), then starts the agent, writes one
 * new file and times the start to its upload, with the agent's peak RSS.
 * `--preload N --keep` keeps the prepared folder (its path is printed) and `--preload N --reuse DIR`
 * measures the restart again on it without preparing anew (a million files take ~30 minutes).
 * `--cpu-prof DIR` writes the agent's CPU profiles there, `--heap-snapshot DIR` a heap snapshot
 * taken half way. `--waiting S` measures memory with files waiting instead: the agent runs S
 * seconds on the folder (with `--uplink B`, the gateway reads at most B bytes/s, so most files
 * wait), then its peak RSS (and, at the highest RSS sampled once a second, its anonymous,
 * file-backed and LevelDB-table shares), the files uploaded and the old files it walked past
 * meanwhile are printed; with `--reuse DIR` (a
 * folder kept by `--preload N --keep`) the files to wait go into a new folder inside it, beside
 * the N files its ledger has acknowledged, and are removed afterwards. `--node-options="…"`
 * passes flags to the agent's node (e.g. the systemd unit's `--max-old-space-size=1024`).
 * `--refuse` starts the gateway with a body limit below the files' size, so it refuses every
 * one (413) and the agent leaves each pending for a later run; the table then counts refusals
 * instead of uploads, measures no restart, and adds the ledger entries a restart would hold in
 * memory and how many entries the ledger counts pending (they must stay the files in flight,
 * and all N, however many are refused).
 * Printed figures, not assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { lstat } from 'node:fs/promises';
import { hashFile } from '../src/state/hashFile.js';
import { startGatewayChild } from './startGatewayChild.js';
import { openLedger } from '../src/state/openLedger.js';
import { loadLedger } from '../src/state/journal.js';
import { readLedgerSummary } from '../src/state/readLedgerSummary.js';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '10000,100000' },
    bytes: { type: 'string', default: '1024' },
    'folder-size': { type: 'string', default: '1000' },
    'no-restart': { type: 'boolean', default: false },
    'null-sink': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'heap-snapshot': { type: 'string' },
    preload: { type: 'string' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    cli: { type: 'string', default: 'dist/cli.js' },
    uplink: { type: 'string' },
    waiting: { type: 'string' },
    'node-options': { type: 'string', default: '' },
    refuse: { type: 'boolean', default: false },
  },
});
const sizes = values.files.split(',').map((text) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--files: expected positive integers separated by commas, got ${JSON.stringify(values.files)}`);
  return n;
});
const bytes = Number(values.bytes);
const folderSize = Number(values['folder-size']);
if (!Number.isInteger(bytes) || bytes < 1) throw new Error(`--bytes: expected a positive integer, got ${values.bytes}`);
if (!Number.isInteger(folderSize) || folderSize < 1) throw new Error(`--folder-size: expected a positive integer, got ${values['folder-size']}`);
const cli = resolve(values.cli);
const credentials = { HASTE_USERNAME: 'bench', HASTE_PASSWORD: 'bench' };

interface ProcFigures {
  readonly peakRss: number;
  readonly writeBytes: number;
  readonly cpuSeconds: number;
}

function procFigures(pid: number): ProcFigures {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakKb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const writeBytes = Number(/write_bytes:\s+(\d+)/.exec(io)?.[1] ?? Number.NaN);
  // Fields 14 and 15 of stat (after the command in parentheses) are utime and stime in ticks.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakRss: peakKb * 1024, writeBytes, cpuSeconds: ticks / 100 };
}

interface MemorySample {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
  /** Resident pages of LevelDB's memory-mapped table files (`*.ldb`). */
  readonly tables: number;
}

/** Samples the process's resident memory every `everyMs`; `stop()` gives the sample with the largest RSS. */
function sampleMemory(pid: number, everyMs: number): { stop(): MemorySample } {
  const kb = (text: string, field: string): number => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(text)?.[1] ?? 0) * 1024;
  let peak: MemorySample = { rss: 0, anon: 0, file: 0, tables: 0 };
  const timer = setInterval(() => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = kb(status, 'VmRSS');
      if (rss <= peak.rss) return;
      // The tables' share only when the RSS is a new high: smaps is long to read.
      let tables = 0;
      let inTable = false;
      for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
        if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inTable = line.endsWith('.ldb');
        else if (inTable && line.startsWith('Rss:')) tables += kb(line, 'Rss');
      }
      peak = { rss, anon: kb(status, 'RssAnon'), file: kb(status, 'RssFile'), tables };
    } catch {
      // The process is gone.
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

async function writeFolder(dir: string, count: number): Promise<void> {
  const old = new Date(Date.now() - 3_600_000);
  const body = randomBytes(bytes + count);
  for (let i = 0; i < count; i += 1) {
    const folder = join(dir, `plate${String(Math.floor(i / folderSize)).padStart(4, '0')}`);
    if (i % folderSize === 0) await mkdir(folder, { recursive: true });
    const file = join(folder, `frame${String(i).padStart(7, '0')}.dat`);
    // Each file's content differs (a different window of the random block).
    await writeFile(file, body.subarray(i, i + bytes));
    await utimes(file, old, old);
  }
}

interface Sink {
  readonly host: string;
  close(): Promise<void>;
}

function startGatewayProcess(): Promise<Sink> {
  return startGatewayChild(cli, credentials, [
    ...(values.uplink === undefined ? [] : ['--max-bytes-per-second', values.uplink]),
    // Every file a byte over the limit: each is refused with a 413.
    ...(values.refuse ? ['--max-body-bytes', String(bytes - 1)] : []),
  ]);
}

/** The event the run counts: an upload, or with --refuse a refusal. */
function isCounted(event: { type?: string; status?: number }): boolean {
  return values.refuse ? event.type === 'failed' && event.status === 413 : event.type === 'uploaded';
}

/** A bare HTTP server that reads each body and answers as the gateway does. */
async function startNullSink(): Promise<Sink> {
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"result": "OK!"}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

interface AgentRun {
  readonly child: ChildProcess;
  /** Resolves with the time of the `count`-th upload, or of the upload of `path`. */
  uploads(until: { count?: number; path?: string }): Promise<{ at: number; uploaded: number; firstAt: number }>;
}

function startAgent(folder: string, stateDir: string, host: string, profileDir: string | undefined, snapshotDir?: string): AgentRun {
  const nodeArgs = [
    ...values['node-options'].split(' ').filter((option) => option !== ''),
    ...(profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir]),
    ...(snapshotDir === undefined ? [] : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`]),
  ];
  const child = spawn(process.execPath, [...nodeArgs, cli, folder, '--host', host, '--state-dir', stateDir, '--log-format', 'json', '--grace', '5'], {
    env: { ...process.env, ...credentials },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let uploaded = 0;
  let firstAt = Number.NaN;
  const waiters: { until: { count?: number; path?: string }; resolve: (value: { at: number; uploaded: number; firstAt: number }) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith('{')) return;
    const event = JSON.parse(line) as { type?: string; path?: string; status?: number };
    if (!isCounted(event)) return;
    const at = performance.now();
    if (uploaded === 0) firstAt = at;
    uploaded += 1;
    for (const waiter of [...waiters]) {
      if ((waiter.until.count !== undefined && uploaded >= waiter.until.count) || waiter.until.path === event.path) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve({ at, uploaded, firstAt });
      }
    }
  });
  return {
    child,
    uploads: (until) =>
      new Promise((resolvePromise, reject) => {
        waiters.push({ until, resolve: resolvePromise });
        child.once('exit', (code) => reject(new Error(`the agent exited (code ${String(code)}) before it was done`)));
      }),
  };
}

async function stop(run: AgentRun): Promise<void> {
  if (run.child.exitCode !== null) return;
  run.child.kill('SIGINT');
  await once(run.child, 'exit');
}

const mb = (n: number): string => (n / 1024 / 1024).toFixed(0);

/** A ledger with every file under `folder` acknowledged, as a run that sent them leaves it. */
async function preloadLedger(folder: string, stateDir: string, count: number): Promise<void> {
  const ledger = await openLedger({ dir: stateDir, fsync: false });
  for (let i = 0; i < count; i += 1) {
    const path = join(folder, `plate${String(Math.floor(i / folderSize)).padStart(4, '0')}`, `frame${String(i).padStart(7, '0')}.dat`);
    const stats = await lstat(path);
    const item = { path, size: stats.size, mtimeMs: stats.mtimeMs, dev: stats.dev, ino: stats.ino };
    await ledger.record({ ...item, hash: await hashFile(item), state: 'acknowledged', attempts: 1, lastError: null });
  }
  await ledger.close();
}

if (values.preload !== undefined) {
  const count = Number(values.preload);
  if (!Number.isInteger(count) || count < 1) throw new Error(`--preload: expected a positive integer, got ${values.preload}`);
  const root = values.reuse ?? (await mkdtemp(join(tmpdir(), 'haste-agent-scale-')));
  const folder = join(root, 'data');
  const stateDir = join(root, 'state');
  try {
    let started = performance.now();
    if (values.reuse === undefined) {
      await writeFolder(folder, count);
      await preloadLedger(folder, stateDir, count);
      console.log(`prepared ${count.toLocaleString('en')} files and their ledger in ${((performance.now() - started) / 1000).toFixed(0)} s, in ${root}`);
    }
    const sink = values['null-sink'] ? await startNullSink() : await startGatewayProcess();
    try {
      console.log('| files and ledger entries | start to new file uploaded | agent peak RSS MB | old files sent again |');
      console.log('|---:|---:|---:|---:|');
      started = performance.now();
      const agent = startAgent(folder, stateDir, sink.host, values['cpu-prof'], values['heap-snapshot']);
      const fresh = join(folder, 'plate-new', 'fresh.dat');
      await mkdir(join(folder, 'plate-new'), { recursive: true });
      await writeFile(fresh, randomBytes(bytes));
      const got = await agent.uploads({ path: fresh });
      const seconds = (performance.now() - started) / 1000;
      // Let it go over the rest of the folder before reading its peak memory.
      await new Promise((done) => setTimeout(done, 10_000));
      const figures = procFigures(agent.child.pid!);
      await stop(agent);
      console.log(`| ${count.toLocaleString('en')} | ${seconds.toFixed(2)} s | ${mb(figures.peakRss)} | ${got.uploaded - 1} |`);
    } finally {
      await sink.close();
    }
  } finally {
    if (!values.keep && values.reuse === undefined) await rm(root, { recursive: true, force: true });
  }
  process.exit(0);
}
if (values.waiting !== undefined) {
  const seconds = Number(values.waiting);
  if (!(seconds > 0)) throw new Error(`--waiting: expected a number of seconds > 0, got ${values.waiting}`);
  console.log(`files waiting: the agent on a folder of ${bytes}-byte files for ${seconds} s, uplink ${values.uplink ?? 'unlimited'} B/s, agent node options ${JSON.stringify(values['node-options'])}`);
  console.log('| files | uploaded in that time | old files walked past | agent peak RSS MB | at that peak: anonymous, file-backed, LevelDB tables MB | agent CPU s |');
  console.log('|---:|---:|---:|---:|---:|---:|');
  for (const size of sizes) {
    // With --reuse, the files to wait go into a folder of their own beside a kept --preload
    // folder, whose ledger has all its files acknowledged: files waiting and a big ledger at once.
    const root = values.reuse ?? (await mkdtemp(join(tmpdir(), 'haste-agent-scale-')));
    const waitingFolder = join(root, 'data', values.reuse === undefined ? '' : `waiting-${Date.now()}`);
    try {
      await writeFolder(waitingFolder, size);
      const sink = await startGatewayProcess();
      try {
        const agent = startAgent(join(root, 'data'), join(root, 'state'), sink.host, values['cpu-prof'], values['heap-snapshot']);
        let uploaded = 0;
        let walkedPast = 0;
        void agent.uploads({ count: size }).catch(() => undefined);
        createInterface({ input: agent.child.stdout! }).on('line', (line) => {
          if (line.includes('"type":"uploaded"')) uploaded += 1;
          else if (line.includes('"type":"skipped-summary"')) walkedPast += (JSON.parse(line) as { files: number }).files;
          else if (line.includes('"type":"skipped"')) walkedPast += 1;
        });
        const memory = sampleMemory(agent.child.pid!, 1000);
        await new Promise((done) => setTimeout(done, seconds * 1000));
        const figures = procFigures(agent.child.pid!);
        const atPeak = memory.stop();
        await stop(agent);
        console.log(
          `| ${size.toLocaleString('en')} | ${uploaded.toLocaleString('en')} | ${walkedPast.toLocaleString('en')} | ${mb(figures.peakRss)} | ` +
            `${mb(atPeak.anon)}, ${mb(atPeak.file)}, ${mb(atPeak.tables)} | ${figures.cpuSeconds.toFixed(1)} |`,
        );
      } finally {
        await sink.close();
      }
    } finally {
      if (values.reuse !== undefined) await rm(waitingFolder, { recursive: true, force: true });
      else if (!values.keep) await rm(root, { recursive: true, force: true });
    }
  }
  process.exit(0);
}
if (values.refuse) {
  console.log(`agent scale, ${bytes}-byte files, every one refused (413) by the embedded gateway on loopback, ledger on, default settings`);
  console.log('| files | refused/s | agent peak RSS MB | agent CPU s | ledger entries a restart holds in memory | pending in the ledger |');
  console.log('|---:|---:|---:|---:|---:|---:|');
} else {
  console.log(`agent scale, ${bytes}-byte files, ${values['null-sink'] ? 'null sink' : 'embedded gateway (not storing)'} on loopback, ledger on, default settings`);
  console.log('| files | files/s | agent peak RSS MB | agent CPU s | ledger bytes written per file | restart: start to new file uploaded | old files sent again |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|');
}
for (const size of sizes) {
  const root = await mkdtemp(join(tmpdir(), 'haste-agent-scale-'));
  const folder = join(root, 'data');
  const stateDir = join(root, 'state');
  await writeFolder(folder, size);
  const sink = values['null-sink'] ? await startNullSink() : await startGatewayProcess();
  try {
    const first = startAgent(folder, stateDir, sink.host, values['cpu-prof'], values['heap-snapshot']);
    if (values['heap-snapshot'] !== undefined) {
      // Half way, when the most files are waiting and the ledger is half full.
      await first.uploads({ count: Math.ceil(size / 2) });
      first.child.kill('SIGUSR2');
    }
    const done = await first.uploads({ count: size });
    const figures = procFigures(first.child.pid!);
    const filesPerSecond = (size - 1) / ((done.at - done.firstAt) / 1000);
    await stop(first);
    if (values.refuse) {
      const held = (await loadLedger(stateDir)).entries.size;
      const { pending } = await readLedgerSummary(stateDir);
      console.log(
        `| ${size.toLocaleString('en')} | ${filesPerSecond.toFixed(0)} | ${mb(figures.peakRss)} | ${figures.cpuSeconds.toFixed(1)} | ${held.toLocaleString('en')} | ${pending.toLocaleString('en')} |`,
      );
      continue;
    }
    let restart = 'not measured';
    let again = '';
    if (!values['no-restart']) {
      const startedAt = performance.now();
      const second = startAgent(folder, stateDir, sink.host, undefined);
      const fresh = join(folder, 'plate-new', 'fresh.dat');
      await mkdir(join(folder, 'plate-new'), { recursive: true });
      await writeFile(fresh, randomBytes(bytes));
      const got = await second.uploads({ path: fresh });
      restart = `${((got.at - startedAt) / 1000).toFixed(2)} s`;
      again = String(got.uploaded - 1);
      await stop(second);
    }
    console.log(
      `| ${size.toLocaleString('en')} | ${filesPerSecond.toFixed(0)} | ${mb(figures.peakRss)} | ${figures.cpuSeconds.toFixed(1)} | ${(figures.writeBytes / size).toFixed(0)} | ${restart} | ${again} |`,
    );
  } finally {
    await sink.close();
    if (!values.keep) await rm(root, { recursive: true, force: true });
  }
}
