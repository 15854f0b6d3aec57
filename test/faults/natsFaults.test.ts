import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ObjectInfo } from '@nats-io/obj';
import { objectDigestOf } from '../../src/sinks/objectDigestOf.js';
import { openNatsBucket, type NatsBucket } from '../../src/sinks/openNatsBucket.js';
import { openLedger } from '../../src/state/openLedger.js';
import { requireNatsServer, startNats, type NatsFixture } from '../nats/natsServerKit.js';
import { fileContent, jsonEvents, reapAgents, seededRandom, sha256, sleep, spawnAgent, until } from './faultKit.js';

const FILES = 200;
const KILLS = 5;

/** The bucket's current objects, by name; retried while a cluster that lost a node settles (its first requests time out). */
async function objectsOf(bucket: NatsBucket): Promise<Map<string, ObjectInfo>> {
  let list: ObjectInfo[] | undefined;
  await until(async () => {
    list = await bucket.store.list().catch(() => undefined);
    return list !== undefined;
  }, 'a listing of the bucket', 60_000);
  return new Map(list!.filter((info) => !info.deleted).map((info) => [info.name, info]));
}

/** Every file of `expected` is in the bucket once, under `<stream>/<name>`, with the original's digest, and nothing else is. */
function expectStoredOnce(objects: Map<string, ObjectInfo>, stream: string, expected: Map<string, string>): void {
  expect([...objects.keys()].sort(), 'one object per file, no other').to.deep.equal([...expected.keys()].map((name) => `${stream}/${name}`).sort());
  for (const [name, hash] of expected) expect(objects.get(`${stream}/${name}`)?.digest, name).to.equal(objectDigestOf(hash));
}

describe('NATS sink under faults (real nats-server)', function () {
  this.timeout(240_000);
  let binary = '';
  let root: string;
  let watched: string;
  let stateDir: string;
  let nats: NatsFixture | undefined;
  let reader: NatsBucket | undefined;

  before(function () {
    binary = requireNatsServer(this);
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-fault-nats-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
  });
  afterEach(async () => {
    await reapAgents();
    await reader?.close().catch(() => undefined);
    reader = undefined;
    await nats?.stop();
    nats = undefined;
    await rm(root, { recursive: true, force: true });
  });

  /** Writes file n (atomically, by rename) and records its digest. */
  const writer = (expected: Map<string, string>, random: () => number) => async (n: number): Promise<void> => {
    const data = fileContent(n, random);
    const name = `f${String(n).padStart(3, '0')}.dat`;
    expected.set(name, sha256(data));
    await writeFile(join(watched, `.${name}.tmp`), data);
    await rename(join(watched, `.${name}.tmp`), join(watched, name));
  };

  /** Waits until the agent reported every file as uploaded or skipped. */
  const untilAllDone = (stdout: () => string, expected: Map<string, string>, timeoutMs: number): Promise<void> =>
    until(
      () => {
        const done = new Set(
          jsonEvents(stdout())
            .filter((event) => event.type === 'uploaded' || event.type === 'skipped')
            .map((event) => basename(event.path ?? '')),
        );
        return [...expected.keys()].every((name) => done.has(name));
      },
      'every file uploaded or skipped',
      timeoutMs,
    );

  it('should store every file once with its digest across 5 kill -9 restarts of the agent', async () => {
    nats = await startNats(binary);
    const seed = Number(process.env.HASTE_FAULT_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const expected = new Map<string, string>();
    const write = writer(expected, random);
    for (let n = 0; n < FILES / 2; n += 1) await write(n);
    const args = [watched, '--nats', nats.urls, '--bucket', 'kills', '--stream-id', 'k', '--no-reduce', '--upload-slots', '2', '--state-dir', stateDir, '--verbose', '--log-format', 'json'];
    let next = FILES / 2;
    for (let round = 0; round < KILLS; round += 1) {
      const agent = spawnAgent(args);
      await Promise.race([agent.waitFor(/"upload-start"/, 60_000).catch(() => undefined), sleep(4000)]);
      const writing = (async () => {
        const batch = Math.min(FILES - next, FILES / 2 / KILLS);
        for (let i = 0; i < batch; i += 1) await write(next++);
      })();
      await sleep(Math.floor(random() * 800));
      agent.child.kill('SIGKILL');
      const { signal } = await agent.exited;
      await writing;
      expect(signal, agent.output().stderr).to.equal('SIGKILL');
    }
    while (next < FILES) await write(next++);
    const last = spawnAgent(args);
    await untilAllDone(() => last.output().stdout, expected, 60_000);
    last.child.kill('SIGINT');
    expect((await last.exited).code, last.output().stderr).to.equal(0);

    reader = await openNatsBucket({ servers: nats.urls, bucket: 'kills' });
    expectStoredOnce(await objectsOf(reader), 'k', expected);
    const ledger = await openLedger({ dir: stateDir });
    try {
      expect(ledger.pending()).to.deep.equal([]);
      for (const name of expected.keys()) {
        expect(ledger.entries().filter((entry) => entry.path.endsWith(`/${name}`)).map((entry) => entry.state), name).to.deep.equal(['acknowledged']);
      }
    } finally {
      await ledger.close();
    }
    console.log(`      seed ${seed}`);
  });

  it('should store every file once with its digest when the bucket\'s leader is killed -9 mid-run, and the agent too (3-node cluster, R3)', async () => {
    nats = await startNats(binary, { nodes: 3 });
    reader = await openNatsBucket({ servers: nats.urls, bucket: 'leader', replicas: 3 });
    const random = seededRandom(Number(process.env.HASTE_FAULT_SEED ?? 12));
    const expected = new Map<string, string>();
    const write = writer(expected, random);
    const args = [watched, '--nats', nats.urls, '--bucket', 'leader', '--stream-id', 'l', '--no-reduce', '--upload-slots', '2', '--state-dir', stateDir, '--verbose', '--log-format', 'json', '--retry-cap', '2'];
    const first = spawnAgent(args);
    for (let n = 0; n < FILES / 2; n += 1) await write(n);
    await until(() => jsonEvents(first.output().stdout).filter((event) => event.type === 'uploaded').length >= 50, '50 files stored', 60_000);
    const leader = (await reader.store.status()).streamInfo.cluster?.leader;
    const victim = nats.nodes.find((node) => node.name === leader);
    expect(victim, `leader ${leader}`).to.not.equal(undefined);
    await victim!.kill();
    for (let n = FILES / 2; n < FILES * 0.75; n += 1) await write(n);
    // The agent meets the leader's loss with puts in flight; then it dies too, and its successor
    // has to open the bucket while the cluster is still settling.
    await sleep(2000);
    first.child.kill('SIGKILL');
    await first.exited;
    const agent = spawnAgent(args);
    for (let n = FILES * 0.75; n < FILES; n += 1) await write(n);
    await untilAllDone(() => `${first.output().stdout}\n${agent.output().stdout}`, expected, 120_000);
    agent.child.kill('SIGINT');
    expect((await agent.exited).code, agent.output().stderr).to.equal(0);
    const retries = jsonEvents(`${first.output().stdout}\n${agent.output().stdout}`).filter((event) => event.type === 'retried').length;
    console.log(`      leader ${leader} killed; ${retries} retries`);
    expectStoredOnce(await objectsOf(reader), 'l', expected);
    // And the bytes read back equal the originals (through a surviving node).
    const sample = [...expected.keys()].slice(-3);
    for (const name of sample) {
      // The first reads after a leader's loss may time out while the cluster settles (FACTS: 6-11 s).
      let got: Uint8Array | null = null;
      await until(async () => {
        got = await reader!.store.getBlob(`l/${name}`).catch(() => null);
        return got !== null;
      }, `a read of ${name}`, 60_000);
      expect(sha256(Buffer.from(got!)), name).to.equal(expected.get(name));
    }
  });

  it('should hand each object on once when the consumer is killed -9 and restarted', async () => {
    nats = await startNats(binary);
    reader = await openNatsBucket({ servers: nats.urls, bucket: 'consumed' });
    const random = seededRandom(7);
    const expected = new Map<string, string>();
    const put = async (n: number): Promise<void> => {
      const data = fileContent(n, random);
      const name = `s/f${String(n).padStart(3, '0')}.dat`;
      expected.set(name, sha256(data));
      await reader!.store.putBlob({ name }, data);
    };
    const out = join(root, 'out');
    const journal = join(out, '.haste-consume', 'haste-consume.journal');
    const args = ['consume', out, '--nats', nats.urls, '--bucket', 'consumed'];
    const OBJECTS = 120;
    const printed: string[] = [];
    const delivered = (stdout: string): string[] => stdout.split('\n').filter((line) => line.startsWith('delivered ')).map((line) => line.split(' ')[1]!);
    let next = 0;
    for (; next < 40; next += 1) await put(next);
    const journaled = async (): Promise<string[]> =>
      (await readFile(journal, 'utf8').catch(() => '')).split('\n').filter((line) => line !== '').map((line) => (JSON.parse(line) as { name: string }).name);
    for (let round = 0; round < 3; round += 1) {
      const before = (await journaled()).length;
      const consumer = spawnAgent(args);
      // New objects arrive while it runs, so it always has one to hand on (a fast consumer had
      // handed on everything before, and waited for an object that came only after the wait).
      const putting = (async () => {
        for (let i = 0; i < 20; i += 1) await put(next++);
      })();
      // Killed once it has handed on at least one object of this round (its journal says so).
      await until(async () => (await journaled()).length > before, 'an object handed on', 60_000);
      await sleep(200 + Math.floor(random() * 600));
      consumer.child.kill('SIGKILL');
      await consumer.exited;
      await putting;
      printed.push(...delivered(consumer.output().stdout));
    }
    while (next < OBJECTS) await put(next++);
    const last = spawnAgent(args);
    await until(async () => (await journaled()).length >= OBJECTS, 'every object written', 60_000);
    await sleep(500);
    last.child.kill('SIGINT');
    expect((await last.exited).code, last.output().stderr).to.equal(0);
    printed.push(...delivered(last.output().stdout));
    const names = await journaled();
    expect(names.length, 'each object written once').to.equal(OBJECTS);
    expect(new Set(names)).to.deep.equal(new Set(expected.keys()));
    expect(printed.length, 'no object reported written twice').to.equal(new Set(printed).size);
    for (const [name, hash] of expected) expect(sha256(await readFile(join(out, name))), name).to.equal(hash);
  });
});
