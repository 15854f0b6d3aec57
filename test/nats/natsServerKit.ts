// Real nats-server processes for the NATS tests and the fleet benchmark: one node or a 3-node
// cluster on free loopback ports (never 4222, which a packaged server may hold), each with its
// own JetStream folder, killed with SIGKILL when a test wants a crash.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/** The server binary: $NATS_SERVER when set (and only it), else nats-server on the PATH (Debian puts it in /usr/sbin). */
export function natsServerBinary(): string | undefined {
  const given = process.env.NATS_SERVER;
  const candidates = given !== undefined && given !== '' ? [given] : ['nats-server', '/usr/sbin/nats-server', '/usr/local/bin/nats-server'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) return candidate;
  }
  return undefined;
}

/**
 * Skips the calling suite when nats-server is missing, with one line saying how to install it;
 * fails it instead when HASTE_REQUIRE_NATS=1 (set by .ci/run), so CI cannot pass by skipping.
 */
export function requireNatsServer(suite: Mocha.Context): string {
  const binary = natsServerBinary();
  if (binary !== undefined) return binary;
  if (process.env.HASTE_REQUIRE_NATS === '1') {
    throw new Error('nats-server is not installed but HASTE_REQUIRE_NATS=1: install it (apt-get install -y --no-install-recommends nats-server)');
  }
  console.log('    (NATS tests skipped: nats-server not found; apt-get install -y --no-install-recommends nats-server)');
  suite.skip();
  return '';
}

/** A free TCP port on 127.0.0.1 (bound and released; the kernel will not hand it out again soon). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** One running (or stopped) nats-server. */
export interface NatsNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** The server's stderr so far. */
  log(): string;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** Starts it again with the same ports and JetStream folder. */
  restart(): Promise<void>;
  readonly running: boolean;
}

interface NodeSpec {
  readonly binary: string;
  readonly name: string;
  readonly port: number;
  readonly storeDir: string;
  readonly extra: readonly string[];
}

class ServerProcess implements NatsNode {
  private child: ChildProcess | undefined;
  private output = '';
  constructor(private readonly spec: NodeSpec) {}
  get name(): string {
    return this.spec.name;
  }
  get port(): number {
    return this.spec.port;
  }
  get url(): string {
    return `nats://127.0.0.1:${this.spec.port}`;
  }
  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }
  log(): string {
    return this.output;
  }

  async start(): Promise<void> {
    const { binary, name, port, storeDir, extra } = this.spec;
    await mkdir(storeDir, { recursive: true });
    const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-n', name, '-js', '-sd', storeDir, ...extra], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.child = child;
    let seen = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server ${name} did not start in 10 s:\n${seen}`)), 10_000);
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (text: string) => {
        seen += text;
        this.output += text;
        if (/Listening for client connections on/.test(seen) && /Server is ready/.test(seen)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server ${name} exited (${code}) before it was ready:\n${seen}`));
      });
    });
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }
}

/** A server (or cluster) and the temporary folder it keeps its streams in. */
export interface NatsFixture {
  readonly nodes: readonly NatsNode[];
  /** Every node's client URL, comma-separated, as `--nats` takes them. */
  readonly urls: string;
  /** Kills every node and deletes the folder. */
  stop(): Promise<void>;
}

/** Options for {@link startNats}. */
export interface StartNatsOptions {
  /** 1 for a single node, 3 for a cluster. @default 1 */
  readonly nodes?: number;
  /** Require this user and password of every client. @default no authentication */
  readonly auth?: { readonly user: string; readonly password: string };
}

/** A cluster takes a few seconds after "Server is ready" to elect its JetStream meta leader. */
export async function untilJetStreamAnswers(servers: string[], auth?: { readonly user: string; readonly password: string }, timeoutMs = 30_000): Promise<void> {
  const connection = await connect({ servers, ...(auth === undefined ? {} : { user: auth.user, pass: auth.password }) });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await (await jetstreamManager(connection, { timeout: 2000 })).getAccountInfo();
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`JetStream did not answer within ${timeoutMs} ms: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  } finally {
    await connection.close();
  }
}

/** Starts nats-server with JetStream on free loopback ports: one node, or a cluster whose nodes route to each other. */
export async function startNats(binary: string, options: StartNatsOptions = {}): Promise<NatsFixture> {
  const count = options.nodes ?? 1;
  const dir = await mkdtemp(join(tmpdir(), 'haste-nats-'));
  const clientPorts = await Promise.all(Array.from({ length: count }, () => freePort()));
  const clusterPorts = count > 1 ? await Promise.all(Array.from({ length: count }, () => freePort())) : [];
  const auth = options.auth === undefined ? [] : ['--user', options.auth.user, '--pass', options.auth.password];
  const nodes = clientPorts.map((port, index) => {
    const cluster =
      count > 1
        ? [
            '--cluster_name', 'haste-test',
            '--cluster', `nats://127.0.0.1:${clusterPorts[index]}`,
            '--routes', clusterPorts.filter((_, other) => other !== index).map((p) => `nats://127.0.0.1:${p}`).join(','),
          ]
        : [];
    return new ServerProcess({ binary, name: `n${index + 1}`, port, storeDir: join(dir, `n${index + 1}`), extra: [...cluster, ...auth] });
  });
  try {
    await Promise.all(nodes.map((node) => node.start()));
    if (count > 1) await untilJetStreamAnswers(nodes.map((node) => node.url), options.auth);
  } catch (error) {
    await Promise.all(nodes.map((node) => node.kill()));
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url).join(','),
    async stop() {
      await Promise.all(nodes.map((node) => node.kill()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
