/**
 * Does the embedded gateway's memory stay flat as blobs pile up, and how soon does it answer
 * after a restart on a big store?
 *
 *   npx tsx bench/gatewayScale.ts [--blobs 100000] [--concurrency 64] [--samples 10] [--gateway-module PATH]
 *
 * Starts `startGateway` with a store in a temporary folder, in a child process so that its
 * memory is its own, and posts N tiny blobs to it over 127.0.0.1, each with its
 * `X-HASTE-content-sha256` as the agent sends them. Prints the child's RSS and heap at
 * intervals and at the end, and blobs/s. Then stops the child, starts a fresh one on the same
 * store, and times how long it takes until the first request (a retry of the first blob) is
 * answered, checking that the retry was recognised. `--gateway-module` runs another version of
 * `startGateway.ts` (e.g. one checked out with `git archive`) for a before/after comparison.
 * Printed figures, not assertions; the temporary folder is deleted at the end.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

interface Report {
  readonly rss: number;
  readonly heapUsed: number;
  readonly accepted: number;
  readonly duplicates: number;
}
type FromChild = { type: 'listening'; port: number } | ({ type: 'report' } & Report) | { type: 'closed' };
type ToChild = { type: 'report' } | { type: 'close' };

const username = 'bench';
const password = 'bench';
const streamId = 'gateway_scale';

/** The child: one gateway on the given store, answering the parent's requests for figures. */
async function runChild(store: string, modulePath: string): Promise<void> {
  const { startGateway } = (await import(pathToFileURL(resolve(modulePath)).href)) as typeof import('../src/gateway/startGateway.js');
  const gateway = await startGateway({ port: 0, username, password, store });
  const send = (message: FromChild): void => {
    process.send?.(message);
  };
  process.on('message', (message: ToChild) => {
    if (message.type === 'report') {
      // Older versions have no counts; their `received` holds every blob.
      const counts = (gateway as { counts?: { accepted: number; duplicates: number } }).counts;
      const { rss, heapUsed } = process.memoryUsage();
      send({
        type: 'report',
        rss,
        heapUsed,
        accepted: counts?.accepted ?? gateway.received.length,
        duplicates: counts?.duplicates ?? gateway.received.filter((blob) => blob.duplicate).length,
      });
    } else {
      void gateway.close().then(() => {
        send({ type: 'closed' });
        process.disconnect();
      });
    }
  });
  send({ type: 'listening', port: gateway.port });
}

/** A forked gateway and the messages it sends, one awaited at a time. */
class GatewayChild {
  private readonly waiting: { resolve: (message: FromChild) => void; reject: (error: Error) => void }[] = [];
  readonly process: ChildProcess;

  constructor(store: string, modulePath: string) {
    // fork() passes on this process's execArgv, so tsx compiles the child too.
    this.process = fork(fileURLToPath(import.meta.url), ['--child', store, modulePath], { stdio: 'inherit' });
    this.process.on('message', (message: FromChild) => this.waiting.shift()?.resolve(message));
    this.process.on('exit', (code) => {
      for (const waiter of this.waiting.splice(0)) waiter.reject(new Error(`the gateway child exited (${String(code)})`));
    });
  }

  next(): Promise<FromChild> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
    });
  }

  async report(): Promise<Report> {
    const answer = this.next();
    this.process.send({ type: 'report' } satisfies ToChild);
    const message = await answer;
    if (message.type !== 'report') throw new Error(`expected a report, got ${message.type}`);
    return message;
  }

  async close(): Promise<void> {
    const exited = once(this.process, 'exit');
    this.process.send({ type: 'close' } satisfies ToChild);
    await exited;
  }
}

function body(i: number): Buffer {
  return Buffer.from(`blob ${i}\n`);
}

function post(agent: Agent, port: number, i: number): Promise<number> {
  const bytes = body(i);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        hostname: '127.0.0.1',
        port,
        path: `/stream/${streamId}`,
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
          'Content-Length': String(bytes.length),
          'X-HASTE-original_filename': `/bench/run/frame_${i}.dat`,
          'X-HASTE-tag': 'vironova',
          'X-HASTE-unixtime': '1764040740.5',
          'X-HASTE-content-sha256': createHash('sha256').update(bytes).digest('hex'),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(bytes);
  });
}

/** Bytes of RSS per blob from a least-squares line through the samples (NaN for fewer than 2). */
function leastSquaresSlope(samples: readonly { blobs: number; rss: number }[]): number {
  const n = samples.length;
  const meanX = samples.reduce((sum, sample) => sum + sample.blobs, 0) / n;
  const meanY = samples.reduce((sum, sample) => sum + sample.rss, 0) / n;
  const covariance = samples.reduce((sum, sample) => sum + (sample.blobs - meanX) * (sample.rss - meanY), 0);
  const variance = samples.reduce((sum, sample) => sum + (sample.blobs - meanX) ** 2, 0);
  return n < 2 ? NaN : covariance / variance;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MB`;

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(name);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

async function runParent(): Promise<void> {
  const blobs = Number(option('--blobs', '100000'));
  const concurrency = Number(option('--concurrency', '64'));
  const samples = Number(option('--samples', '10'));
  const modulePath = option('--gateway-module', fileURLToPath(new URL('../src/gateway/startGateway.ts', import.meta.url)));
  for (const [name, value] of [['--blobs', blobs], ['--concurrency', concurrency], ['--samples', samples]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new TypeError(`Expected ${name} to be an integer >= 1, got ${String(value)}`);
  }
  const store = await mkdtemp(join(tmpdir(), 'haste-gateway-scale-'));
  const children: GatewayChild[] = [];
  const stop = (): void => {
    for (const child of children) child.process.kill();
  };
  process.once('SIGINT', stop);
  try {
    console.log(`gateway ${modulePath}\n${blobs} blobs of ~${body(blobs).length} bytes, ${concurrency} at a time, store in ${store}`);
    const first = new GatewayChild(store, modulePath);
    children.push(first);
    const listening = await first.next();
    if (listening.type !== 'listening') throw new Error('the gateway child did not start');
    const idle = await first.report();
    console.log(`idle: RSS ${mb(idle.rss)}, heap ${mb(idle.heapUsed)}`);

    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const every = Math.max(1, Math.floor(blobs / samples));
    let next = 0;
    let failed = 0;
    const startedAt = performance.now();
    let sampledAt = startedAt;
    let sampledBlobs = 0;
    let sampling = Promise.resolve();
    const rssSamples: { blobs: number; rss: number }[] = [];
    const worker = async (): Promise<void> => {
      while (next < blobs) {
        const i = next;
        next += 1;
        if ((await post(agent, listening.port, i)) !== 200) failed += 1;
        if ((i + 1) % every === 0) {
          sampling = sampling.then(async () => {
            const report = await first.report();
            const now = performance.now();
            const rate = (i + 1 - sampledBlobs) / ((now - sampledAt) / 1000);
            [sampledAt, sampledBlobs] = [now, i + 1];
            rssSamples.push({ blobs: i + 1, rss: report.rss });
            console.log(`${String(i + 1).padStart(9)} blobs: RSS ${mb(report.rss)}, heap ${mb(report.heapUsed)}, ${rate.toFixed(0)} blobs/s lately`);
          });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await sampling;
    const seconds = (performance.now() - startedAt) / 1000;
    agent.destroy();
    const end = await first.report();
    // A least-squares slope over the second half leaves out warm-up (buffers, caches, JIT) and
    // smooths the swings of garbage collection, which are larger than any growth left.
    const slope = leastSquaresSlope(rssSamples.filter((sample) => sample.blobs >= blobs / 2));
    console.log(
      `end: ${end.accepted} accepted (${failed} failed) in ${seconds.toFixed(1)} s = ${(blobs / seconds).toFixed(0)} blobs/s; ` +
        `RSS ${mb(end.rss)}, heap ${mb(end.heapUsed)}; RSS slope over the second half ${slope.toFixed(0)} bytes/blob (least squares)`,
    );
    await first.close();

    const restartedAt = performance.now();
    const second = new GatewayChild(store, modulePath);
    children.push(second);
    const relistening = await second.next();
    if (relistening.type !== 'listening') throw new Error('the restarted gateway child did not start');
    const listeningMs = performance.now() - restartedAt;
    const retryAgent = new Agent({ keepAlive: false });
    const status = await post(retryAgent, relistening.port, 0);
    const answeredMs = performance.now() - restartedAt;
    const afterRestart = await second.report();
    console.log(
      `restart on ${blobs} stored blobs: listening after ${listeningMs.toFixed(0)} ms, first answer (a retry, HTTP ${status}, ` +
        `${afterRestart.duplicates === 1 ? 'recognised as a duplicate' : 'NOT recognised as a duplicate'}) after ${answeredMs.toFixed(0)} ms; RSS ${mb(afterRestart.rss)}`,
    );
    await second.close();
  } finally {
    stop();
    process.off('SIGINT', stop);
    const removing = performance.now();
    await rm(store, { recursive: true, force: true });
    console.log(`removed the store in ${((performance.now() - removing) / 1000).toFixed(1)} s`);
  }
}

if (process.argv[2] === '--child') {
  await runChild(process.argv[3]!, process.argv[4]!);
} else {
  await runParent();
}
