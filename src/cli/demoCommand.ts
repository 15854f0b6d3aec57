import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { Subject } from 'rxjs';
import { runAgent } from '../agent/runAgent.js';
import { synthesizeDataset } from '../bench/synthesizeDataset.js';
import { startGateway } from '../gateway/startGateway.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
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
      const fail = (message: string): void => {
        io.stderr.write(`haste-agent demo: ${message}\n`);
        process.exitCode = 2;
      };
      const count = Number(flags.count);
      const rate = Number(flags.rate);
      const size = Number(flags.size);
      const cores = Number(flags.cores);
      const uplink = Number(flags.uplink);
      if (!Number.isInteger(count) || count < 1) return fail(`--count must be an integer >= 1, got ${JSON.stringify(flags.count)}`);
      if (!(rate > 0)) return fail(`--rate must be a number > 0, got ${JSON.stringify(flags.rate)}`);
      if (!Number.isInteger(size) || size < 16) return fail(`--size must be an integer >= 16, got ${JSON.stringify(flags.size)}`);
      if (!Number.isInteger(cores) || cores < 1) return fail(`--cores must be an integer >= 1, got ${JSON.stringify(flags.cores)}`);
      if (!(uplink >= 0)) return fail(`--uplink must be a number of bytes per second >= 0, got ${JSON.stringify(flags.uplink)}`);
      const mode = String(flags.mode) as PrioritizeStrategy;
      if (!['none', 'fifo', 'splines', 'adaptive'].includes(mode)) return fail(`--mode must be none, fifo, splines or adaptive, got ${JSON.stringify(flags.mode)}`);

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

        const stop = new Subject<void>();
        const sizes = new Map<string, number>();
        const sent = new Map<string, number>();
        let failed = 0;
        let firstSeen: number | undefined;
        let lastAck = 0;
        const finished = new Promise<void>((resolve, reject) => {
          runAgent({
            path: watched,
            include: ['png'],
            host: gateway.url,
            username: 'demo',
            password,
            strategy: mode,
            cores,
            ledger,
            watch: { awaitWriteFinish: { stabilityThreshold: 200, pollInterval: 50 } },
            stop,
          }).subscribe({
            next: (event: AgentEvent) => {
              const name = basename(event.path);
              if (event.type === 'seen') {
                firstSeen ??= event.at;
                sizes.set(name, event.bytes);
              } else if (event.type === 'uploaded') {
                sent.set(name, event.bytes);
                lastAck = event.at;
                const raw = sizes.get(name) ?? event.bytes;
                const how = event.bytes < raw ? `reduced ${kib(raw)} -> ${kib(event.bytes)}` : `sent as is (${kib(raw)})`;
                out(`  ${name}  ${how}  HTTP ${event.status}`);
              } else if (event.type === 'failed') {
                failed += 1;
                out(`  ${name}  FAILED: ${event.error}`);
              }
              if (sent.size + failed === count) stop.next();
            },
            error: reject,
            complete: resolve,
          });
        });

        for (const file of generated) {
          const name = basename(file.path);
          const temporary = join(watched, `${name}.tmp`);
          await copyFile(file.path, temporary);
          await rename(temporary, join(watched, name));
          await new Promise((resolve) => setTimeout(resolve, 1000 / rate));
        }
        await finished;

        const rawBytes = [...sizes.values()].reduce((a, b) => a + b, 0);
        const sentBytes = [...sent.values()].reduce((a, b) => a + b, 0);
        // Totals, not `received`: that keeps only the latest blobs.
        const stored = gateway.counts.accepted - gateway.counts.duplicates;
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
        if (flags.keep === true) out(`kept ${root}`);
      } finally {
        await ledger.close();
        await gateway.close();
        if (flags.keep !== true) await rm(root, { recursive: true, force: true });
      }
    });
}
