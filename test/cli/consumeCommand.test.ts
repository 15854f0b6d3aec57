import { expect } from 'chai';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { headers } from '@nats-io/transport-node';
import { openNatsBucket, type NatsBucket } from '../../src/sinks/openNatsBucket.js';
import { requireNatsServer, startNats, type NatsFixture } from '../nats/natsServerKit.js';
import { fakeCli, isolateExitCode, waitFor, type FakeCli } from './cliHarness.js';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('registerConsumeCommand (real nats-server)', function () {
  this.timeout(60_000);
  isolateExitCode();
  let nats: NatsFixture;
  let root: string;
  let out: string;
  let bucket: NatsBucket;
  let name: string;

  before(async function () {
    nats = await startNats(requireNatsServer(this));
  });
  after(async () => {
    await nats?.stop();
  });
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-consume-'));
    out = join(root, 'out');
    name = `c${Date.now()}`;
    bucket = await openNatsBucket({ servers: nats.urls, bucket: name });
  });
  afterEach(async () => {
    await bucket.store.destroy().catch(() => undefined);
    await bucket.close();
    await rm(root, { recursive: true, force: true });
  });

  const put = async (objectName: string, bytes: Uint8Array): Promise<void> => {
    const h = headers();
    h.set('X-HASTE-tag', 'lab');
    h.set('X-HASTE-original_filename', `/data/${objectName}`);
    h.set('X-HASTE-reduced', 'false');
    await bucket.store.putBlob({ name: objectName, headers: h }, bytes);
  };
  const delivered = (cli: FakeCli): string[] => cli.stdout.text.split('\n').filter((line) => line.startsWith('delivered '));
  const stop = async (cli: FakeCli, running: Promise<unknown>): Promise<void> => {
    await waitFor(() => cli.listeners() > 0, 'the signal handler');
    cli.signal('SIGINT');
    await running;
  };

  it('should write every object once into the folder at its name, a 24 MB one too, and follow new ones', async () => {
    const objects = new Map<string, Buffer>([
      ['run1/a.dat', randomBytes(1000)],
      ['run1/deep/b.dat', randomBytes(24 * 1024 * 1024)],
      ['run1/empty.dat', Buffer.alloc(0)],
    ]);
    for (const [objectName, bytes] of objects) await put(objectName, bytes);
    const cli = fakeCli();
    const running = cli.run('consume', out, '--nats', nats.urls, '--bucket', name);
    await waitFor(() => delivered(cli).length >= 3, 'the stored objects', 30_000);
    const later = randomBytes(5000);
    await put('run1/later.dat', later);
    objects.set('run1/later.dat', later);
    await waitFor(() => delivered(cli).length >= 4, 'the new object');
    await stop(cli, running);
    expect(process.exitCode ?? 0).to.equal(0);
    expect(delivered(cli)).to.have.length(4);
    for (const [objectName, bytes] of objects) {
      expect(sha256(await readFile(join(out, objectName))), objectName).to.equal(sha256(bytes));
    }
  });

  it('should continue after a restart without repeating or missing an object', async () => {
    for (let i = 0; i < 5; i += 1) await put(`s/${i}.dat`, randomBytes(100 + i));
    const first = fakeCli();
    const running = first.run('consume', out, '--nats', nats.urls, '--bucket', name, '--durable', 'writer');
    await waitFor(() => delivered(first).length >= 5, 'the first five');
    await stop(first, running);
    for (let i = 5; i < 8; i += 1) await put(`s/${i}.dat`, randomBytes(100 + i));
    const second = fakeCli();
    const again = second.run('consume', out, '--nats', nats.urls, '--bucket', name, '--durable', 'writer');
    await waitFor(() => delivered(second).length >= 3, 'the three stored meanwhile');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await stop(second, again);
    expect(delivered(second).map((line) => line.split(' ')[1])).to.deep.equal(['s/5.dat', 's/6.dat', 's/7.dat']);
  });

  it('should run --exec once per object with its path and headers, and retry an object whose command fails', async () => {
    await put('s/one.dat', Buffer.from('one'));
    await put('s/two.dat', Buffer.from('two'));
    const log = join(root, 'exec.log');
    const flag = join(root, 'fail-once');
    await writeFile(flag, '');
    const command = `if [ "$HASTE_OBJECT_NAME" = s/two.dat ] && [ -e '${flag}' ]; then rm '${flag}'; exit 3; fi; echo "$HASTE_OBJECT_NAME $HASTE_OBJECT_SHA256 $HASTE_TAG $HASTE_ORIGINAL_FILENAME $(cat "$HASTE_OBJECT_PATH")" >> '${log}'`;
    const cli = fakeCli();
    const running = cli.run('consume', out, '--nats', nats.urls, '--bucket', name, '--exec', command);
    await waitFor(() => delivered(cli).length >= 2, 'both objects', 30_000);
    await stop(cli, running);
    expect(cli.stdout.text).to.match(/failed s\/two\.dat: the command exited with 3; again in 5 s/);
    expect((await readFile(log, 'utf8')).trim().split('\n')).to.deep.equal([
      `s/one.dat ${sha256(Buffer.from('one'))} lab /data/s/one.dat one`,
      `s/two.dat ${sha256(Buffer.from('two'))} lab /data/s/two.dat two`,
    ]);
  });

  it('should refuse an object name that would leave the folder, and skip deleted objects', async () => {
    await put('../escape.dat', Buffer.from('x'));
    await put('s/gone.dat', Buffer.from('y'));
    await bucket.store.delete('s/gone.dat');
    await put('s/kept.dat', Buffer.from('z'));
    const cli = fakeCli();
    const running = cli.run('consume', out, '--nats', nats.urls, '--bucket', name);
    await waitFor(() => delivered(cli).length >= 1, 'the kept object');
    await stop(cli, running);
    expect(cli.stdout.text).to.match(/skipped \.\.\/escape\.dat: refusing object name/);
    expect(cli.stdout.text).to.match(/skipped s\/gone\.dat: deleted/);
    expect(await readFile(join(out, 's', 'kept.dat'), 'utf8')).to.equal('z');
    expect(await readFile(join(root, 'escape.dat')).catch(() => undefined)).to.equal(undefined);
  });

  it('should exit 2 without --nats', async () => {
    const cli = fakeCli();
    await cli.run('consume', out);
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent consume: missing --nats (or NATS_URL): the servers to consume from\n');
  });
});
