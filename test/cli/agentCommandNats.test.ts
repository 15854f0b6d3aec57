import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ObjectInfo } from '@nats-io/obj';
import { objectDigestOf } from '../../src/sinks/objectDigestOf.js';
import { openNatsBucket, type NatsBucket } from '../../src/sinks/openNatsBucket.js';
import { requireNatsServer, startNats, type NatsFixture } from '../nats/natsServerKit.js';
import { fakeCli, isolateExitCode, waitFor, type FakeCli } from './cliHarness.js';

const natsPassword = 'n4ts-secret-never-shown';

describe('registerAgentCommand with --nats (real nats-server)', function () {
  this.timeout(60_000);
  isolateExitCode();
  let nats: NatsFixture;
  let root: string;
  let watched: string;
  let stateDir: string;
  let reader: NatsBucket | undefined;

  before(async function () {
    nats = await startNats(requireNatsServer(this), { auth: { user: 'lab', password: natsPassword } });
  });
  after(async () => {
    await nats?.stop();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-cli-nats-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
  });
  afterEach(async () => {
    await reader?.close();
    reader = undefined;
    await rm(root, { recursive: true, force: true });
  });

  const env = { NATS_USER: 'lab', NATS_PASSWORD: natsPassword };
  const openReader = async (bucket: string): Promise<NatsBucket> => {
    reader = await openNatsBucket({ servers: nats.urls, bucket, credentials: { user: 'lab', password: natsPassword } });
    return reader;
  };
  const objects = async (bucket: NatsBucket): Promise<ObjectInfo[]> => (await bucket.store.list()).filter((info) => !info.deleted);
  const stop = async (cli: FakeCli, running: Promise<unknown>): Promise<void> => {
    await waitFor(() => cli.listeners() > 0, 'the signal handler');
    cli.signal('SIGINT');
    await running;
  };

  it('should store every file once in the bucket, digests equal, and exit 0 after SIGINT', async () => {
    const files = new Map<string, Buffer>();
    for (const name of ['a.dat', 'deeper/b.dat', 'c.dat']) {
      const bytes = randomBytes(5000 + files.size * 999);
      await mkdir(join(watched, name, '..'), { recursive: true });
      await writeFile(join(watched, name), bytes);
      files.set(name, bytes);
    }
    const cli = fakeCli({ env });
    const running = cli.run(watched, '--nats', nats.urls, '--bucket', 'clirun', '--stream-id', 'run1', '--state-dir', stateDir, '--no-reduce');
    const bucket = await (async () => {
      await waitFor(() => / uploaded /.test(cli.stdout.text), 'a first upload');
      return openReader('clirun');
    })();
    await waitFor(() => cli.stdout.text.split('\n').filter((line) => / uploaded /.test(line)).length >= files.size, 'every upload');
    await stop(cli, running);
    expect(process.exitCode ?? 0).to.equal(0);
    const stored = await objects(bucket);
    expect(stored.map((info) => info.name).sort()).to.deep.equal([...files.keys()].map((name) => `run1/${name}`).sort());
    for (const [name, bytes] of files) {
      const info = stored.find((candidate) => candidate.name === `run1/${name}`)!;
      expect(info.digest, name).to.equal(objectDigestOf(createHash('sha256').update(bytes).digest('hex')));
    }
    expect(cli.stderr.text).to.match(/stopped; 3 acknowledged, 0 pending, 0 failed this run\n$/);
    expect(cli.output()).to.not.include(natsPassword);
  });

  it('should store nothing again when a run without the first run\'s ledger sends the same file to the same stream', async () => {
    await writeFile(join(watched, 'one.dat'), randomBytes(3000));
    // As after a crash between the put and the ledger's record: the second run knows nothing of the first.
    const args = (state: string): string[] => [watched, '--nats', nats.urls, '--bucket', 'again', '--stream-id', 's1', '--state-dir', state, '--no-reduce'];
    const first = fakeCli({ env });
    const running = first.run(...args(stateDir));
    await waitFor(() => / uploaded /.test(first.stdout.text), 'the upload');
    await stop(first, running);
    const bucket = await openReader('again');
    const before = await objects(bucket);
    expect(before).to.have.length(1);
    const second = fakeCli({ env });
    const again = second.run(...args(join(root, 'other-state')));
    await waitFor(() => / uploaded /.test(second.stdout.text), 'the second run\'s acknowledgement');
    await stop(second, again);
    expect(second.stderr.text).to.match(/stopped; 1 acknowledged, 0 pending, 0 failed this run\n$/);
    const after = await objects(bucket);
    expect(after.map((info) => [info.name, info.revision])).to.deep.equal(before.map((info) => [info.name, info.revision]));
  });

  it('should exit 2 and name the user, never the password, when NATS refuses the credentials', async () => {
    await writeFile(join(watched, 'one.dat'), 'x');
    const cli = fakeCli({ env: { NATS_USER: 'lab', NATS_PASSWORD: 'wrong-one' } });
    await cli.run(watched, '--nats', nats.urls, '--state-dir', stateDir);
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.match(/refused the credentials \(user "lab" and its password\)/);
    expect(cli.output()).to.not.include('wrong-one');
  });

  it('should read the NATS password from --nats-password-file', async () => {
    await writeFile(join(root, 'pw'), `${natsPassword}\n`);
    await writeFile(join(watched, 'one.dat'), 'x');
    const cli = fakeCli({ env: { NATS_USER: 'lab' } });
    const running = cli.run(watched, '--nats', nats.urls, '--bucket', 'pwfile', '--nats-password-file', join(root, 'pw'), '--state-dir', stateDir);
    await waitFor(() => / uploaded /.test(cli.stdout.text), 'the upload');
    await stop(cli, running);
    expect(process.exitCode ?? 0).to.equal(0);
  });

  it('should exit 2 when both --host and --nats are given, or a NATS user has no password', async () => {
    const both = fakeCli({ env });
    await both.run(watched, '--nats', nats.urls, '--host', 'localhost:1', '--state-dir', stateDir);
    expect(process.exitCode).to.equal(2);
    expect(both.stderr.text).to.equal('haste-agent: give either --host (a HASTE gateway) or --nats (a NATS bucket), not both\n');
    process.exitCode = undefined;
    const nopw = fakeCli({ env: { NATS_USER: 'lab' } });
    await nopw.run(watched, '--nats', nats.urls, '--state-dir', stateDir);
    expect(process.exitCode).to.equal(2);
    expect(nopw.stderr.text).to.match(/missing the NATS password/);
  });

  it('should retry files while the bucket is full, showing why, and store them once room is made', async () => {
    const bucketName = 'tiny';
    await writeFile(join(watched, 'big.dat'), randomBytes(600_000));
    await writeFile(join(watched, 'big2.dat'), randomBytes(600_000));
    const cli = fakeCli({ env });
    const running = cli.run(watched, '--nats', nats.urls, '--bucket', bucketName, '--bucket-max-bytes', '1000000', '--state-dir', stateDir, '--no-reduce', '--retry-cap', '0.3');
    await waitFor(() => /retried|retry/.test(cli.stdout.text) && /is full/.test(cli.stdout.text), 'a retry of a full bucket', 20_000);
    const bucket = await openReader(bucketName);
    const stored = await objects(bucket);
    expect(stored).to.have.length(1);
    // A consumer takes the first object away: the second goes in on a later retry.
    await bucket.store.delete(stored[0]!.name);
    await waitFor(() => cli.stdout.text.split('\n').filter((line) => / uploaded /.test(line)).length >= 2, 'the second upload', 20_000);
    await stop(cli, running);
    expect(process.exitCode ?? 0).to.equal(0);
    expect((await objects(bucket)).map((info) => info.name)).to.have.length(1);
  });
});
