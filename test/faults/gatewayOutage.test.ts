import { expect } from 'chai';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { lastValueFrom, Subject, takeWhile, toArray } from 'rxjs';
import { runAgent } from '../../src/agent/runAgent.js';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { openLedger } from '../../src/state/openLedger.js';
import { fileContent, jsonEvents, reapAgents, seededRandom, sha256, sleep, spawnAgent, until } from './faultKit.js';

type Mode = 'pass' | 'busy';

/**
 * A pass-through proxy in front of the gateway that can be made to answer 503 with
 * Retry-After, as an overloaded gateway or load balancer does. When the gateway behind it is
 * down, it cuts the agent's request, as a dead upstream does.
 */
class Frontend {
  mode: Mode = 'pass';
  busyAnswers = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(readonly targetPort: number) {}

  async open(): Promise<void> {
    const server = createServer((req, res) => {
      if (this.mode === 'busy') {
        this.busyAnswers += 1;
        req.resume();
        req.on('end', () => {
          res.writeHead(503, { 'Retry-After': '1', 'Content-Type': 'text/plain' });
          res.end('Service Unavailable: try again later');
        });
        return;
      }
      const upstream = request(
        { host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}

describe('agent against a failing gateway', function () {
  // Real processes, real outages and big files take longer than the suite's default timeout.
  this.timeout(60_000);
  let root: string;
  let watched: string;
  let stateDir: string;
  let gateway: RunningGateway;
  let frontend: Frontend;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-fault-outage-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
    // Slow enough that uploads are in flight when the outage starts.
    gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store'), maxBytesPerSecond: 400_000 });
    frontend = new Frontend(gateway.port);
    await frontend.open();
  });

  afterEach(async () => {
    await reapAgents();
    await frontend.close();
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  });

  it('should deliver every file once through a 10 s outage and a spell of 503 + Retry-After', async () => {
    const random = seededRandom(7);
    const expected = new Map<string, string>();
    const write = async (n: number): Promise<void> => {
      const data = fileContent(n, random);
      const name = `g${String(n).padStart(3, '0')}.dat`;
      expected.set(name, sha256(data));
      await writeFile(join(watched, `${name}.tmp`), data);
      await rename(join(watched, `${name}.tmp`), join(watched, name));
    };
    for (let n = 0; n < 40; n += 1) await write(n);

    const agent = spawnAgent(
      [watched, '--host', `127.0.0.1:${frontend.port}`, '--username', 'lab', '--no-reduce', '--state-dir', stateDir, '--log-format', 'json', '--retry-cap', '2'],
      { HASTE_PASSWORD: 'pw' },
    );
    await until(() => gateway.received.length >= 10, '10 files arrived');

    // The gateway itself goes down (open uploads cut, connections refused) and comes back on the
    // same port and store 10 s later, as a restarted service would.
    const before = gateway;
    // Live: an upload cut by the close may still finish storing on the old instance.
    const received = () => [...before.received, ...gateway.received];
    await before.close();
    const downAt = Date.now();
    // Files keep arriving while the gateway is away.
    for (let n = 40; n < 60; n += 1) await write(n);
    await sleep(10_000 - (Date.now() - downAt));
    gateway = await startGateway({ port: frontend.targetPort, username: 'lab', password: 'pw', store: join(root, 'store'), maxBytesPerSecond: 400_000 });
    await until(() => gateway.received.length >= 5, 'uploads resumed after the outage');

    frontend.mode = 'busy';
    for (let n = 60; n < 70; n += 1) await write(n);
    await until(() => frontend.busyAnswers >= 3, 'the agent met 503s');
    await sleep(2500);
    frontend.mode = 'pass';

    await until(
      () => {
        const done = new Set(jsonEvents(agent.output().stdout).filter((event) => event.type === 'uploaded').map((event) => basename(event.path ?? '')));
        return [...expected.keys()].every((name) => done.has(name));
      },
      'every file was uploaded',
      20_000,
    );
    agent.child.kill('SIGTERM');
    const { code } = await agent.exited;
    expect(code, agent.output().stderr).to.equal(0);

    const events = jsonEvents(agent.output().stdout);
    const retries = events.filter((event) => event.type === 'retried');
    expect(retries.length, 'retries were logged').to.be.greaterThan(0);
    // While the gateway asked for 1 s, no retry came sooner than that.
    const busyRetries = retries.filter((event) => String(event.error).includes(' 503 '));
    expect(busyRetries.length, 'the 503s were retried').to.be.greaterThan(0);
    for (const retry of busyRetries) expect(retry.delayMs as number).to.be.at.least(1000);
    expect(events.filter((event) => event.type === 'failed')).to.deep.equal([]);

    const stored = received().filter((blob) => blob.storedPath !== null).map((blob) => blob.sha256);
    expect(new Set(stored).size, 'no blob stored twice').to.equal(stored.length);
    console.log(`      ${retries.length} retries, ${received().filter((blob) => blob.duplicate).length} repeat(s) dropped by the gateway`);
    expect([...expected.values()].filter((hash) => !stored.includes(hash)), 'files missing from the store').to.deep.equal([]);

    const ledger = await openLedger({ dir: stateDir });
    try {
      expect(ledger.pending()).to.deep.equal([]);
      expect(ledger.entries().filter((entry) => entry.state === 'acknowledged')).to.have.length(expected.size);
    } finally {
      await ledger.close();
    }
  });

  it('should still drop a repeat after the gateway itself restarted on its store', async () => {
    await writeFile(join(watched, 'a.dat'), 'sent just before the crash');
    const send = async (host: string): Promise<void> => {
      const stop = new Subject<void>();
      const events = lastValueFrom(
        runAgent({ path: watched, host, username: 'lab', password: 'pw', reduce: false, streamId: 'resumed', rescanIntervalMs: 0, stop }).pipe(
          takeWhile((event) => event.type !== 'uploaded', true),
          toArray(),
        ),
      );
      await events;
    };
    await send(gateway.url);
    const port = gateway.port;
    await gateway.close();
    gateway = await startGateway({ port, username: 'lab', password: 'pw', store: join(root, 'store') });
    await send(gateway.url);
    expect(gateway.received.map((blob) => blob.duplicate)).to.deep.equal([true]);
    const storedFiles = (await readdir(join(root, 'store', 'resumed'))).filter((name) => !name.startsWith('.'));
    expect(storedFiles).to.deep.equal(['a.dat']);
  });
});
