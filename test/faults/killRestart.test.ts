import { expect } from 'chai';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { openLedger } from '../../src/state/openLedger.js';
import { fileContent, jsonEvents, reapAgents, seededRandom, sha256, sleep, spawnAgent, until } from './faultKit.js';

const FILES = 200;
const KILLS = 5;

describe('agent under kill -9', function () {
  // Real processes, real outages and big files take longer than the suite's default timeout.
  this.timeout(90_000);
  let root: string;
  let watched: string;
  let stateDir: string;
  let gateway: RunningGateway;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-fault-kill-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
    gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store') });
  });

  afterEach(async () => {
    await reapAgents();
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  });

  it('should deliver every file exactly once to the store and acknowledge each once, across 5 kill -9 restarts', async () => {
    const seed = Number(process.env.HASTE_FAULT_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const expected = new Map<string, string>();
    // Half up front, half while the agent runs and is killed, so new arrivals race the restarts.
    const write = async (n: number): Promise<void> => {
      const data = fileContent(n, random);
      const name = `f${String(n).padStart(3, '0')}.dat`;
      expected.set(name, sha256(data));
      await writeFile(join(watched, `${name}.tmp`), data);
      await rename(join(watched, `${name}.tmp`), join(watched, name));
    };
    for (let n = 0; n < FILES / 2; n += 1) await write(n);

    const args = [watched, '--host', gateway.url, '--username', 'lab', '--no-reduce', '--upload-slots', '2', '--state-dir', stateDir, '--verbose', '--log-format', 'json'];
    const env = { HASTE_PASSWORD: 'pw' };
    let next = FILES / 2;
    const killedAt: number[] = [];
    for (let round = 0; round < KILLS; round += 1) {
      const agent = spawnAgent(args, env);
      // Kill at a random moment once it is working: right at the first upload, or up to ~0.8 s later.
      // Startup re-hashes and skips what is done; aim the kill at the uploads when there are any.
      await Promise.race([agent.waitFor(/"upload-start"/, 60_000).catch(() => undefined), sleep(4000)]);
      const delay = Math.floor(random() * 800);
      const writing = (async () => {
        const batch = Math.min(FILES - next, FILES / 2 / KILLS);
        for (let i = 0; i < batch; i += 1) await write(next++);
      })();
      await sleep(delay);
      agent.child.kill('SIGKILL');
      const { signal } = await agent.exited;
      await writing;
      expect(signal, agent.output().stderr).to.equal('SIGKILL');
      killedAt.push(new Set(gateway.received.map((blob) => blob.sha256)).size);
    }
    while (next < FILES) await write(next++);

    const last = spawnAgent(args, env);
    const wanted = new Set(expected.values());
    // Done when every file was either delivered by this run or skipped as delivered by an earlier one.
    await until(
      () => {
        const done = new Set(
          jsonEvents(last.output().stdout)
            .filter((event) => event.type === 'uploaded' || event.type === 'skipped')
            .map((event) => basename(event.path ?? '')),
        );
        return [...expected.keys()].every((name) => done.has(name));
      },
      'every file was uploaded or skipped',
      40_000,
    );
    last.child.kill('SIGINT');
    const { code } = await last.exited;
    expect(code, last.output().stderr).to.equal(0);

    const stored = gateway.received.filter((blob) => blob.storedPath !== null);
    const storedHashes = stored.map((blob) => blob.sha256);
    expect(new Set(storedHashes).size, 'no blob stored twice').to.equal(storedHashes.length);
    expect([...wanted].filter((hash) => !storedHashes.includes(hash)), 'files missing from the store').to.deep.equal([]);
    const repeats = gateway.received.filter((blob) => blob.duplicate).length;
    // A kill between the gateway's 2xx and the ledger write legitimately sends a file again;
    // the content hash header lets the gateway drop it.
    console.log(`      seed ${seed}: distinct files at each kill ${killedAt.join(', ')}; ${repeats} repeat(s) dropped by the gateway`);

    const ledger = await openLedger({ dir: stateDir });
    try {
      const entries = ledger.entries();
      for (const [name, hash] of expected) {
        const versions = entries.filter((entry) => entry.path.endsWith(`/${name}`));
        expect(versions, name).to.have.length(1);
        expect(versions[0]?.state, name).to.equal('acknowledged');
        expect(versions[0]?.hash, name).to.equal(hash);
      }
      expect(ledger.pending()).to.deep.equal([]);
    } finally {
      await ledger.close();
    }
  });
});
