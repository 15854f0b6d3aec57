/**
 * A fleet of agents delivering into one NATS JetStream cluster: how many files per second and
 * MB per second go through, how long each file takes from landing in its folder to being
 * acknowledged, and the same with one node killed midway (nothing may be lost).
 *
 *   npm run build && npx tsx bench/natsFleet.ts [--agents 8] [--files 60] [--size 262144] [--scenarios normal,kill,raw]
 *
 * Starts a 3-node nats-server cluster on free loopback ports (temporary folders), creates an
 * R3 bucket, and runs `--agents` agent processes (the built CLI, `node dist/cli.js`), each
 * watching its own folder and storing into its own stream id (`--no-reduce`, `--settle-ms 100`).
 * This process then writes `--files` files of `--size` random bytes into every folder, round
 * robin, as fast as it can (each written beside and renamed in), so the agents work at
 * saturation. Per-file latency is from the rename to the agent's `uploaded` event (wall
 * clock, same machine): under saturation it is mostly queueing. In the `kill` scenario the
 * bucket's leader is killed -9 once half of the files are acknowledged; `raw` puts the same
 * number of objects straight from this process, without agents. Each run ends by
 * listing the bucket and checking that every file is there once with its SHA-256.
 * Printed figures, not assertions.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ObjectInfo } from '@nats-io/obj';
import { objectDigestOf } from '../src/sinks/objectDigestOf.js';
import { openNatsBucket, type NatsBucket } from '../src/sinks/openNatsBucket.js';
import { natsServerBinary, startNats, type NatsFixture } from '../test/nats/natsServerKit.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repoRoot, 'dist', 'cli.js');

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && process.argv[at + 1] !== undefined ? process.argv[at + 1]! : fallback;
}

const agents = Number(option('agents', '8'));
const filesPerAgent = Number(option('files', '60'));
const size = Number(option('size', String(256 * 1024)));
const scenarios = option('scenarios', 'normal,kill').split(',');

interface Agent {
  readonly child: ChildProcess;
  readonly dir: string;
  /** Acknowledgement time by file name. */
  readonly uploaded: Map<string, number>;
  retries: number;
}

function startAgent(dir: string, stateDir: string, stream: string, urls: string): Agent {
  const child = spawn(
    process.execPath,
    [cli, dir, '--nats', urls, '--bucket', 'fleet', '--stream-id', stream, '--no-reduce', '--state-dir', stateDir, '--log-format', 'json', '--settle-ms', '100', '--retry-cap', '2', '--verbose'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const agent: Agent = { child, dir, uploaded: new Map(), retries: 0 };
  let pending = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      const event = JSON.parse(line) as { type: string; at: number; path?: string };
      if (event.type === 'uploaded' && event.path !== undefined) agent.uploaded.set(basename(event.path), event.at);
      if (event.type === 'retried') agent.retries += 1;
    }
  });
  child.stderr!.resume();
  return agent;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function listBucket(bucket: NatsBucket): Promise<ObjectInfo[]> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await bucket.store.list();
    } catch (error) {
      if (attempt > 30) throw error;
      await sleep(1000);
    }
  }
}

/**
 * The same objects put straight from this one process, 2 per agent in flight (the agents'
 * upload slots), without agents: what the cluster takes when nothing else costs anything.
 */
async function runRawPuts(binary: string): Promise<void> {
  const nats = await startNats(binary, { nodes: 3 });
  try {
    const bucket = await openNatsBucket({ servers: nats.urls, bucket: 'fleet', replicas: 3 });
    const total = agents * filesPerAgent;
    const payload = randomBytes(size);
    const latencies: number[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: agents * 2 }, async () => {
        while (next < total) {
          const n = next++;
          const t = Date.now();
          await bucket.store.putBlob({ name: `raw/${n}` }, payload);
          latencies.push(Date.now() - t);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    latencies.sort((x, y) => x - y);
    console.log(
      [
        `scenario raw: ${total} puts of ${(size / 1024).toFixed(0)} KiB from one process, ${agents * 2} in flight, R3 on 3 nodes`,
        `  ${(total / seconds).toFixed(1)} puts/s, ${((total * size) / seconds / 1e6).toFixed(2)} MB/s; put latency p50 ${quantile(latencies, 0.5)} ms, p95 ${quantile(latencies, 0.95)} ms`,
      ].join('\n'),
    );
    await bucket.close();
  } finally {
    await nats.stop();
  }
}

async function runScenario(scenario: string, binary: string): Promise<void> {
  if (scenario === 'raw') return runRawPuts(binary);
  const root = await mkdtemp(join(tmpdir(), 'haste-fleet-'));
  let nats: NatsFixture | undefined;
  const fleet: Agent[] = [];
  try {
    nats = await startNats(binary, { nodes: 3 });
    const bucket = await openNatsBucket({ servers: nats.urls, bucket: 'fleet', replicas: 3 });
    for (let a = 0; a < agents; a += 1) {
      const dir = join(root, `in${a}`);
      await mkdir(dir);
      fleet.push(startAgent(dir, join(root, `state${a}`), `agent${a}`, nats.urls));
    }
    await sleep(2000);
    const written = new Map<string, number>();
    const expected = new Map<string, string>();
    const total = agents * filesPerAgent;
    let killed: string | undefined;
    const done = (): number => fleet.reduce((sum, agent) => sum + agent.uploaded.size, 0);
    const killer = (async () => {
      if (scenario !== 'kill') return;
      while (done() < total / 2) await sleep(50);
      const leader = (await bucket.store.status()).streamInfo.cluster?.leader;
      const victim = nats!.nodes.find((node) => node.name === leader);
      killed = `${leader} at ${done()}/${total} files`;
      await victim?.kill();
    })();
    const started = Date.now();
    for (let f = 0; f < filesPerAgent; f += 1) {
      for (let a = 0; a < agents; a += 1) {
        const name = `f${String(f).padStart(4, '0')}.dat`;
        const data = randomBytes(size);
        const dir = fleet[a]!.dir;
        await writeFile(join(dir, `.${name}.tmp`), data);
        await rename(join(dir, `.${name}.tmp`), join(dir, name));
        written.set(`${a}/${name}`, Date.now());
        expected.set(`agent${a}/${name}`, createHash('sha256').update(data).digest('hex'));
      }
    }
    const deadline = Date.now() + 600_000;
    while (done() < total && Date.now() < deadline) await sleep(50);
    await killer;
    const finished = Math.max(...fleet.flatMap((agent) => [...agent.uploaded.values()]));
    const latencies = fleet
      .flatMap((agent, a) => [...agent.uploaded].map(([name, at]) => at - written.get(`${a}/${name}`)!))
      .sort((x, y) => x - y);
    for (const agent of fleet) agent.child.kill('SIGINT');
    await Promise.all(fleet.map((agent) => new Promise((r) => (agent.child.exitCode !== null ? r(null) : agent.child.once('exit', r)))));
    const objects = new Map((await listBucket(bucket)).filter((info) => !info.deleted).map((info) => [info.name, info]));
    const missing = [...expected].filter(([name, hash]) => objects.get(name)?.digest !== objectDigestOf(hash)).length;
    const extra = [...objects.keys()].filter((name) => !expected.has(name)).length;
    await bucket.close();
    const seconds = (finished - started) / 1000;
    const retries = fleet.reduce((sum, agent) => sum + agent.retries, 0);
    console.log(
      [
        `scenario ${scenario}${killed === undefined ? '' : ` (killed ${killed})`}: ${agents} agents x ${filesPerAgent} files x ${(size / 1024).toFixed(0)} KiB, R3 on 3 nodes`,
        `  acknowledged ${done()}/${total} in ${seconds.toFixed(1)} s: ${(done() / seconds).toFixed(1)} files/s, ${((done() * size) / seconds / 1e6).toFixed(2)} MB/s`,
        `  latency (rename -> acknowledged): p50 ${quantile(latencies, 0.5)} ms, p95 ${quantile(latencies, 0.95)} ms, max ${latencies[latencies.length - 1]} ms; ${retries} retries`,
        `  bucket: ${objects.size} objects, ${missing} missing or with a wrong digest, ${extra} unexpected`,
      ].join('\n'),
    );
  } finally {
    for (const agent of fleet) if (agent.child.exitCode === null) agent.child.kill('SIGKILL');
    await nats?.stop();
    await rm(root, { recursive: true, force: true });
  }
}

const binary = natsServerBinary();
if (binary === undefined) {
  console.error('nats-server not found: apt-get install -y --no-install-recommends nats-server');
  process.exitCode = 2;
} else if (!existsSync(cli)) {
  console.error('dist/cli.js is missing: run `npm run build` first');
  process.exitCode = 2;
} else {
  for (const scenario of scenarios) await runScenario(scenario, binary);
}
