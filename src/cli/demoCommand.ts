import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { runAgent } from '../agent/runAgent.js';
import { synthesizeDataset } from '../bench/synthesizeDataset.js';
import { startGateway } from '../gateway/startGateway.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
import type { Ledger } from '../state/Ledger.js';
import { openLedger } from '../state/openLedger.js';
import type { CliIo } from './CliIo.js';

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

/**
 * Adds `haste-agent demo`: the whole agent on this machine, with no cloud. It starts the
 * embedded gateway on a free port, writes a stream of generated microscopy-like images into a
 * temporary folder at a steady rate, runs the agent on it, prints what was sent, and exits 0
 * once every file is acknowledged.
 */
export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('run the agent against an embedded gateway on a stream of generated images, then exit')
    .option('--count <n>', 'images to write', '24')
    .option('--rate <hz>', 'images written per second', '8')
    .option('--size <px>', 'image width and height', '512')
    .option('--mode <mode>', 'scheduling strategy', 'adaptive')
    .option('--cores <n>', 'worker threads reducing images', '1')
    .option('--uplink <bytes-per-second>', 'throttle the embedded gateway to this upload rate, so that reducing pays (0: no limit)', '1000000')
    .option('--keep', 'keep the temporary folder (images, gateway store, ledger) and print where')
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      const demo = parseDemoFlags(flags, (message) => {
        io.stderr.write(`haste-agent demo: ${message}\n`);
        process.exitCode = 2;
      });
      if (demo !== undefined) await runDemo(demo, io);
    });
}

/** What `demo` was asked for, checked. */
interface DemoSettings {
  count: number;
  rate: number;
  size: number;
  cores: number;
  uplink: number;
  mode: PrioritizeStrategy;
  keep: boolean;
}

/** The demo the flags ask for, or undefined once `fail` has said which flag is wrong. */
function parseDemoFlags(flags: Record<string, string | boolean | undefined>, fail: (message: string) => void): DemoSettings | undefined {
  const stop = (message: string): undefined => {
    fail(message);
    return undefined;
  };
  const count = Number(flags.count);
  const rate = Number(flags.rate);
  const size = Number(flags.size);
  const cores = Number(flags.cores);
  const uplink = Number(flags.uplink);
  if (!Number.isInteger(count) || count < 1) return stop(`--count must be an integer >= 1, got ${JSON.stringify(flags.count)}`);
  if (!(rate > 0)) return stop(`--rate must be a number > 0, got ${JSON.stringify(flags.rate)}`);
  if (!Number.isInteger(size) || size < 16) return stop(`--size must be an integer >= 16, got ${JSON.stringify(flags.size)}`);
  if (!Number.isInteger(cores) || cores < 1) return stop(`--cores must be an integer >= 1, got ${JSON.stringify(flags.cores)}`);
  if (!(uplink >= 0)) return stop(`--uplink must be a number of bytes per second >= 0, got ${JSON.stringify(flags.uplink)}`);
  const mode = String(flags.mode) as PrioritizeStrategy;
  if (!['none', 'fifo', 'splines', 'adaptive'].includes(mode)) return stop(`--mode must be none, fifo, splines or adaptive, got ${JSON.stringify(flags.mode)}`);
  return { count, rate, size, cores, uplink, mode, keep: flags.keep === true };
}

/** Starts the embedded gateway in a temporary folder, feeds the agent, prints what it sent, and cleans up. */
async function runDemo(demo: DemoSettings, io: CliIo): Promise<void> {
  const { count, rate, size, cores, uplink, mode } = demo;
  const root = await mkdtemp(join(tmpdir(), 'haste-demo-'));
  const frames = join(root, 'frames');
  const watched = join(root, 'watched');
  await mkdir(watched, { recursive: true });
  const password = randomBytes(12).toString('hex');
  const gateway = await startGateway({
    port: 0,
    username: 'demo',
    password,
    store: join(root, 'store'),
    ...(uplink > 0 ? { maxBytesPerSecond: uplink } : {}),
  });
  const ledger = await openLedger({ dir: join(root, 'state') });
  const out = (line: string): void => {
    io.stdout.write(`${line}\n`);
  };
  try {
    out(`HASTE gateway on ${gateway.url} (${uplink > 0 ? `uplink limited to ${(uplink / 1e6).toFixed(2)} MB/s` : 'no uplink limit'}); generating ${count} ${size}x${size} images`);
    const generated = await synthesizeDataset({ out: frames, count, seed: 2019, size });
    out(`watching ${watched}; writing ${rate} images/s; strategy ${mode}, ${cores} core(s)`);
    const tally: DemoTally = { sizes: new Map(), sent: new Map(), failed: 0, firstSeen: undefined, lastAck: 0 };
    const finished = watchDemo(demo, { watched, url: gateway.url, password, ledger }, tally, out);
    await writeFrames(generated, watched, rate);
    await finished;
    printDemoSummary(demo, tally, gateway.counts, out);
    if (demo.keep) out(`kept ${root}`);
  } finally {
    await ledger.close();
    await gateway.close();
    if (!demo.keep) await rm(root, { recursive: true, force: true });
  }
}

/** What the agent did in the demo, by file name. */
interface DemoTally {
  /** Original sizes of the files seen. */
  sizes: Map<string, number>;
  /** Bytes acknowledged per file. */
  sent: Map<string, number>;
  failed: number;
  firstSeen: number | undefined;
  lastAck: number;
}

/**
 * Runs the agent on the watched folder in batch mode, printing each upload and failure: it
 * stops taking files once none has come for a few frame intervals, and completes when every
 * file taken is done.
 */
function watchDemo(
  { cores, mode, rate }: DemoSettings,
  target: { watched: string; url: string; password: string; ledger: Ledger },
  tally: DemoTally,
  out: (line: string) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    runAgent({
      path: target.watched,
      include: ['png'],
      host: target.url,
      username: 'demo',
      password: target.password,
      strategy: mode,
      cores,
      ledger: target.ledger,
      watch: { awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 } },
      // Several frame intervals (runAgent waits at least the settle time plus 2 s): a busy machine delays a frame, not the end.
      idleExitMs: Math.ceil(4000 / rate),
    }).subscribe({
      next: (event: AgentEvent) => {
        if (event.type === 'waiting') return;
        const name = basename(event.path);
        if (event.type === 'seen') {
          tally.firstSeen ??= event.at;
          tally.sizes.set(name, event.bytes);
        } else if (event.type === 'uploaded') {
          tally.sent.set(name, event.bytes);
          tally.lastAck = event.at;
          const raw = tally.sizes.get(name) ?? event.bytes;
          const how = event.bytes < raw ? `reduced ${kib(raw)} -> ${kib(event.bytes)}` : `sent as is (${kib(raw)})`;
          out(`  ${name}  ${how}  HTTP ${event.status}`);
        } else if (event.type === 'failed') {
          tally.failed += 1;
          out(`  ${name}  FAILED: ${event.error}`);
        }
      },
      error: reject,
      complete: resolve,
    });
  });
}

/** Moves the generated images into the watched folder at `rate` per second, each appearing whole. */
async function writeFrames(generated: readonly { path: string }[], watched: string, rate: number): Promise<void> {
  for (const file of generated) {
    const name = basename(file.path);
    const temporary = join(watched, `${name}.tmp`);
    await copyFile(file.path, temporary);
    await rename(temporary, join(watched, name));
    await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
  }
}

/** Prints the totals, and sets exit code 1 unless every file was acknowledged and stored. */
function printDemoSummary(
  { count, uplink }: DemoSettings,
  { sizes, sent, failed, firstSeen, lastAck }: DemoTally,
  counts: { accepted: number; duplicates: number },
  out: (line: string) => void,
): void {
  const rawBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
  const sentBytes = [...sent.values()].reduce((a, b) => a + b, 0);
  // Totals, not `received`: that keeps only the latest blobs.
  const stored = counts.accepted - counts.duplicates;
  const makespan = firstSeen === undefined ? 0 : (lastAck - firstSeen) / 1000;
  out(
    `done: ${sent.size}/${count} acknowledged (${stored} stored by the gateway), ${failed} failed; ` +
      `${kib(rawBytes)} seen, ${kib(sentBytes)} sent (${rawBytes > 0 ? Math.round((1 - sentBytes / rawBytes) * 100) : 0}% saved); makespan ${makespan.toFixed(2)} s`,
  );
  if (uplink > 0) {
    out(`at ${(uplink / 1e6).toFixed(2)} MB/s, sending everything as it is would have kept the uplink busy ${(rawBytes / uplink).toFixed(2)} s; what was sent took ${(sentBytes / uplink).toFixed(2)} s`);
  }
  if (sent.size !== count || stored !== count) {
    process.exitCode = 1;
  }
}
