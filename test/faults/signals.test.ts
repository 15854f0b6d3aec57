import { expect } from 'chai';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { openLedger } from '../../src/state/openLedger.js';
import { jsonEvents, reapAgents, seededRandom, sleep, spawnAgent, until } from './faultKit.js';

async function drop(path: string, data: Buffer): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

function noise(bytes: number, seed: number): Buffer {
  const random = seededRandom(seed);
  return Buffer.from(Array.from({ length: bytes }, () => Math.floor(random() * 256)));
}

const names = ['a.dat', 'b.dat', 'c.dat'];

describe('agent on SIGINT and SIGTERM', function () {
  // Real processes, real outages and big files take longer than the suite's default timeout.
  this.timeout(30_000);
  let root: string;
  let watched: string;
  let stateDir: string;
  let gateway: RunningGateway;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-fault-signal-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
    // 200 KB/s: each 300 KB file is in flight for about 1.5 s, whichever the agent takes first.
    gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store'), maxBytesPerSecond: 200_000 });
    for (const [n, name] of names.entries()) await drop(join(watched, name), noise(300_000, n + 1));
  });

  afterEach(async () => {
    await reapAgents();
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  });

  const start = (...extra: string[]) =>
    spawnAgent([watched, '--host', gateway.url, '--username', 'lab', '--no-reduce', '--upload-slots', '1', '--state-dir', stateDir, '--log-format', 'json', '--verbose', ...extra], {
      HASTE_PASSWORD: 'pw',
    });

  const firstUploadStarted = (stdout: string): string | undefined =>
    jsonEvents(stdout).find((event) => event.type === 'upload-start')?.path;

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`should finish the upload in flight on ${signal}, start no other, flush the ledger and exit 0`, async () => {
      const agent = start();
      await until(() => firstUploadStarted(agent.output().stdout) !== undefined, 'an upload started');
      const inFlight = firstUploadStarted(agent.output().stdout) ?? '';
      agent.child.kill(signal);
      const { code } = await agent.exited;
      const { stdout, stderr } = agent.output();
      expect(code, stderr).to.equal(0);
      expect(stderr).to.include(`${signal}: no new uploads start`);
      const events = jsonEvents(stdout);
      expect(events.filter((event) => event.type === 'upload-start').map((event) => event.path)).to.deep.equal([inFlight]);
      expect(events.filter((event) => event.type === 'uploaded').map((event) => event.path)).to.deep.equal([inFlight]);
      expect(gateway.received.map((blob) => blob.originalFilename)).to.deep.equal([inFlight]);

      const ledger = await openLedger({ dir: stateDir });
      try {
        expect(ledger.get(inFlight)?.state).to.equal('acknowledged');
        // The others are pending, or not even recorded yet if the signal beat their admission.
        expect(ledger.entries().filter((entry) => entry.state === 'acknowledged').map((entry) => entry.path)).to.deep.equal([inFlight]);
      } finally {
        await ledger.close();
      }
    });
  }

  it('should abort at once on a second signal, leave a consistent ledger, and deliver everything on the next run', async () => {
    const agent = start();
    await until(() => firstUploadStarted(agent.output().stdout) !== undefined, 'an upload started');
    const inFlight = firstUploadStarted(agent.output().stdout) ?? '';
    agent.child.kill('SIGINT');
    await agent.waitFor(/no new uploads start/);
    agent.child.kill('SIGTERM');
    await agent.exited;
    const { stderr } = agent.output();
    expect(stderr).to.include('second SIGTERM: aborting uploads in flight');
    // The upload needed over a second more: an abort that waited for it would have delivered it.
    expect(gateway.received).to.have.length(0);

    const ledger = await openLedger({ dir: stateDir });
    try {
      expect(ledger.get(inFlight)?.state).to.equal('uploading');
      expect(ledger.pending().map((entry) => entry.path)).to.include(inFlight);
      expect(ledger.entries().filter((entry) => entry.state === 'acknowledged')).to.deep.equal([]);
    } finally {
      await ledger.close();
    }

    // Arrives while no agent runs: the next one's initial scan must find it.
    await drop(join(watched, 'd.dat'), noise(1000, 9));
    const again = start();
    await until(() => jsonEvents(again.output().stdout).filter((event) => event.type === 'uploaded').length === 4, 'the next run delivered all four', 20_000);
    again.child.kill('SIGINT');
    expect((await again.exited).code, again.output().stderr).to.equal(0);
    expect(gateway.received.map((blob) => basename(blob.originalFilename)).sort()).to.deep.equal([...names, 'd.dat']);
    const after = await openLedger({ dir: stateDir });
    try {
      expect(after.pending()).to.deep.equal([]);
    } finally {
      await after.close();
    }
  });

  it('should abort what is still in flight when the grace period is over, keeping it pending', async () => {
    const agent = start('--grace', '0.3');
    await until(() => firstUploadStarted(agent.output().stdout) !== undefined, 'an upload started');
    const inFlight = firstUploadStarted(agent.output().stdout) ?? '';
    agent.child.kill('SIGINT');
    await agent.exited;
    expect(agent.output().stderr).to.include('grace period over: aborting uploads in flight');
    await sleep(100);
    expect(gateway.received.filter((blob) => blob.originalFilename === inFlight)).to.have.length(0);
    const ledger = await openLedger({ dir: stateDir });
    try {
      expect(ledger.get(inFlight)?.state).to.equal('uploading');
      expect(ledger.pending().map((entry) => entry.path)).to.include(inFlight);
      expect(ledger.entries().filter((entry) => entry.state === 'acknowledged')).to.deep.equal([]);
    } finally {
      await ledger.close();
    }
  });
});
