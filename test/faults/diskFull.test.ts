import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { openLedger } from '../../src/state/openLedger.js';
import { mountSmallDisk, type SmallDisk } from './diskKit.js';
import { fileContent, jsonEvents, reapAgents, seededRandom, sha256, spawnAgent, until } from './faultKit.js';

const FILES = 8;

describe('agent with a full disk under --state-dir', function () {
  this.timeout(90_000);
  let disk: SmallDisk | undefined;
  let root: string;
  let gateway: RunningGateway;

  before(async function () {
    const mounted = await mountSmallDisk('512k');
    if (typeof mounted === 'string') {
      console.warn(`      skipped: ${mounted}`);
      this.skip();
    }
    disk = mounted;
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-fault-disk-'));
    gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store') });
  });

  afterEach(async () => {
    await reapAgents();
    await gateway.close();
    await disk?.free();
    await rm(root, { recursive: true, force: true });
  });

  after(async () => {
    await disk?.remove();
  });

  it('should keep running while the state dir is full, say so in the status line, metrics and /healthz, and deliver every file once when space returns', async () => {
    const watched = join(root, 'watched');
    const stateDir = join(disk!.dir, 'state');
    await mkdir(watched);
    const random = seededRandom(7);
    const expected = new Map<string, string>();
    for (let n = 0; n < FILES; n += 1) {
      const data = fileContent(n, random);
      expected.set(join(watched, `f${n}.dat`), sha256(data));
      await writeFile(join(watched, `f${n}.dat`), data);
    }
    await disk!.fill();

    const agent = spawnAgent(
      [watched, '--host', gateway.url, '--username', 'lab', '--no-reduce', '--state-dir', stateDir, '--log-format', 'json', '--metrics-port', '0', '--status-interval', '0.5'],
      { HASTE_PASSWORD: 'pw' },
    );
    await agent.waitFor(/"type":"ledger-degraded"/);
    await agent.waitFor(/"type":"metrics"/);
    const metricsUrl = jsonEvents(agent.output().stderr).find((line) => line.type === 'metrics')!.url as string;
    const healthz = new URL('/healthz', metricsUrl);
    const scrape = async (name: string): Promise<number | undefined> => {
      const text = await (await fetch(metricsUrl)).text();
      const line = text.split('\n').find((row) => row.startsWith(`${name} `));
      return line === undefined ? undefined : Number(line.split(' ')[1]);
    };

    // The status line, /healthz and the metrics all say what is wrong, and nothing is sent meanwhile.
    await agent.waitFor(/ledger: cannot write \(ENOSPC\), retrying in \d+ s/);
    await until(async () => (await fetch(healthz)).status === 503, '/healthz answers 503');
    const sick = await fetch(healthz);
    expect(sick.status).to.equal(503);
    expect(await sick.text()).to.match(/^ledger cannot write \(ENOSPC\), retrying in \d+ s: .*no space left on device/);
    expect(await scrape('haste_ledger_degraded')).to.equal(1);
    expect(await scrape('haste_ledger_write_failures_total')).to.be.at.least(1);
    expect(gateway.received).to.have.length(0);
    expect(agent.child.exitCode).to.equal(null);

    await disk!.free();
    await until(() => new Set(gateway.received.map((blob) => blob.sha256)).size === FILES, 'every file reached the gateway', 60_000);
    await agent.waitFor(/"type":"ledger-recovered"/);
    await until(async () => (await fetch(healthz)).status === 200, '/healthz answers 200 again');
    expect(await (await fetch(healthz)).text()).to.equal('ok');
    expect(await scrape('haste_ledger_degraded')).to.equal(0);
    await until(() => jsonEvents(agent.output().stdout).filter((event) => event.type === 'uploaded').length === FILES, 'every upload is acknowledged');

    agent.child.kill('SIGINT');
    const { code } = await agent.exited;
    expect(code, agent.output().stderr).to.equal(0);
    // Each file once at the gateway, and acknowledged in the ledger.
    expect(gateway.received).to.have.length(FILES);
    expect(new Set(gateway.received.map((blob) => blob.sha256))).to.deep.equal(new Set(expected.values()));
    const ledger = await openLedger({ dir: stateDir });
    try {
      expect(ledger.repair, 'the journal stayed valid through the full disk').to.equal(undefined);
      expect(ledger.entries().map((entry) => [entry.path, entry.state]).sort()).to.deep.equal([...expected.keys()].sort().map((path) => [path, 'acknowledged']));
    } finally {
      await ledger.close();
    }
  });
});
