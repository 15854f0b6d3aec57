import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { fakeCli, isolateExitCode } from './cliHarness.js';

const password = 'batch-mode-password-5';

describe('haste-agent --once and --idle-exit', function () {
  this.timeout(60_000);
  isolateExitCode();
  let root: string;
  let watched: string;
  let stateDir: string;
  let gateway: RunningGateway | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-cli-batch-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await rm(root, { recursive: true, force: true });
  });

  const target = (g: RunningGateway): string[] => [watched, '--host', g.url, '--username', 'lab', '--state-dir', stateDir, '--settle-ms', '100'];

  const writeFiles = async (names: readonly string[]): Promise<Map<string, Buffer>> => {
    const files = new Map<string, Buffer>();
    for (const name of names) {
      const bytes = randomBytes(3000 + files.size * 101);
      await writeFile(join(watched, name), bytes);
      files.set(name, bytes);
    }
    return files;
  };

  const expectStored = async (g: RunningGateway, files: Map<string, Buffer>): Promise<void> => {
    expect(g.received).to.have.length(files.size);
    for (const [name, bytes] of files) {
      const blob = g.received.find((received) => received.originalFilename === join(watched, name));
      expect(blob, name).to.not.equal(undefined);
      expect((await readFile(blob!.storedPath!)).equals(bytes), `${name} byte-identical`).to.equal(true);
    }
  };

  it('should send the files in the folder and exit 0 by itself with a summary, without a signal', async () => {
    gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') });
    const files = await writeFiles(['a.bin', 'b.bin', 'c.bin']);
    const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
    await cli.run(...target(gateway), '--once');
    expect(process.exitCode ?? 0).to.equal(0);
    await expectStored(gateway, files);
    expect(cli.stderr.text).to.match(/^haste-agent: done; 3 acknowledged, 0 pending, 0 failed this run; sent 9\.1 KiB, 0 B saved by reduction$/m);
    expect(cli.listeners(), 'signal handlers left behind').to.equal(0);
  });

  it('should also send what arrives until the folder was idle for --idle-exit seconds', async () => {
    gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') });
    const files = await writeFiles(['early.bin']);
    const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
    const started = Date.now();
    const running = cli.run(...target(gateway), '--idle-exit', '4', '--log-format', 'json');
    // Later than the shortest batch wait (settle + 2 s), well within the idle time.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const late = randomBytes(5000);
    await writeFile(join(watched, 'late.bin'), late);
    files.set('late.bin', late);
    await running;
    expect(process.exitCode ?? 0).to.equal(0);
    expect(Date.now() - started, 'ran at least until idle after the late file').to.be.greaterThan(3000 + 4000);
    await expectStored(gateway, files);
    const records = cli.stderr.text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.at(-1)).to.include({ type: 'done', acknowledged: 2, pending: 0, failed: 0, uploaded: 2, sentBytes: files.get('early.bin')!.length + late.length });
  });

  it('should write only JSON lines on a terminal with --log-format json: status lines instead of the redrawn block', async () => {
    gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') });
    await writeFiles(['a.bin']);
    const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
    cli.stderr.isTTY = true;
    cli.stdout.isTTY = true;
    cli.stderr.columns = 60;
    await cli.run(...target(gateway), '--once', '--log-format', 'json', '--status-interval', '0.1');
    expect(process.exitCode ?? 0).to.equal(0);
    const lines = cli.output().trim().split('\n');
    expect(cli.output()).to.not.include('\x1b');
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((record) => record.type === 'status').length).to.be.at.least(1);
    expect(records.find((record) => record.type === 'uploaded')).to.include({ status: 200 });
    expect(records.at(-1)).to.include({ type: 'done', acknowledged: 1 });
  });

  it('should log the files an earlier run delivered as a summary of skips, not a line each', async () => {
    gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') });
    const files = await writeFiles(Array.from({ length: 40 }, (_, i) => `f${i}.bin`));
    await fakeCli({ env: { HASTE_PASSWORD: password } }).run(...target(gateway), '--once');
    expect(process.exitCode ?? 0).to.equal(0);
    const again = fakeCli({ env: { HASTE_PASSWORD: password } });
    await again.run(...target(gateway), '--once', '--log-format', 'json');
    expect(process.exitCode ?? 0).to.equal(0);
    await expectStored(gateway, files);
    const records = again.output().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.filter((record) => record.type === 'skipped'), 'one line per old file').to.deep.equal([]);
    const summaries = records.filter((record) => record.type === 'skipped-summary');
    expect(summaries.length).to.be.at.least(1);
    const bytes = [...files.values()].reduce((total, data) => total + data.length, 0);
    expect(summaries.reduce((total, record) => total + (record.files as number), 0)).to.equal(40);
    expect(summaries.reduce((total, record) => total + (record.bytes as number), 0)).to.equal(bytes);
    expect(summaries[0]).to.include({ reason: 'acknowledged in an earlier run' });
    expect(records.at(-1)).to.include({ type: 'done', uploaded: 0, skipped: 40 });

    // --verbose asks for every event: a line per file again.
    const verbose = fakeCli({ env: { HASTE_PASSWORD: password } });
    await verbose.run(...target(gateway), '--once', '--log-format', 'json', '--verbose');
    const lines = verbose.output().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const skippedPaths = lines.filter((record) => record.type === 'skipped').map((record) => record.path as string);
    expect(skippedPaths.sort()).to.deep.equal([...files.keys()].map((name) => join(watched, name)).sort());
    expect(lines.filter((record) => record.type === 'skipped-summary')).to.deep.equal([]);
  });

  it('should leave status agreeing with each run after more refused files than the ledger keeps in memory, and after they are sent', async function () {
    this.timeout(120_000);
    // Beyond the ledger's keepSettled (1,000), a compaction moves refused entries to the
    // archive; sent again, they are journalled anew, and only the compaction at exit keeps
    // status from counting them twice.
    const count = 1_100;
    const names = Array.from({ length: count }, (_, i) => `f${String(i).padStart(4, '0')}.bin`);
    for (const name of names) await writeFile(join(watched, name), randomBytes(20));
    const statusOf = async (): Promise<{ total: number; pending: number; counts: Record<string, number> }> => {
      const cli = fakeCli();
      await cli.run('status', '--state-dir', stateDir, '--json');
      return JSON.parse(cli.stdout.text) as { total: number; pending: number; counts: Record<string, number> };
    };

    gateway = await startGateway({ port: 0, username: 'lab', password, maxBodyBytes: 10 });
    const refused = fakeCli({ env: { HASTE_PASSWORD: password } });
    await refused.run(...target(gateway), '--once');
    expect(process.exitCode).to.equal(1);
    expect(refused.stderr.text).to.match(new RegExp(`done; 0 acknowledged, ${count} pending, ${count} failed this run`));
    expect(await statusOf()).to.deep.include({ total: count, pending: count });
    await gateway.close();
    process.exitCode = undefined;

    for (const name of names.slice(0, 3)) await unlink(join(watched, name));
    gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') });
    const sent = fakeCli({ env: { HASTE_PASSWORD: password } });
    await sent.run(...target(gateway), '--once');
    expect(sent.stderr.text).to.match(new RegExp(`done; ${count - 3} acknowledged, 0 pending, 3 failed this run`));
    expect(gateway.received).to.have.length(count - 3);
    const after = await statusOf();
    expect(after).to.deep.include({ total: count, pending: 0 });
    expect(after.counts).to.deep.include({ acknowledged: count - 3, failed: 3 });
  });

  it('should exit 1 when a file could not be delivered', async () => {
    // The tag is refused per file only for 5xx; a gateway that is not there fails each attempt.
    const files = await writeFiles(['a.bin']);
    const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
    await cli.run(watched, '--host', 'http://127.0.0.1:9', '--username', 'lab', '--state-dir', stateDir, '--settle-ms', '100', '--once', '--max-retries', '0');
    expect(files.size).to.equal(1);
    expect(process.exitCode).to.equal(1);
    expect(cli.stderr.text).to.match(/done; 0 acknowledged, 1 pending, 1 failed this run/);
  });

  it('should stop on a signal like any run, with the stopped summary', async () => {
    gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') });
    const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
    const running = cli.run(...target(gateway), '--idle-exit', '60');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    cli.signal('SIGTERM');
    await running;
    expect(process.exitCode ?? 0).to.equal(0);
    expect(cli.stderr.text).to.match(/haste-agent: stopped; 0 acknowledged, 0 pending, 0 failed this run/);
  });

  it('should reject a negative --idle-exit', async () => {
    const cli = fakeCli({ env: { HASTE_PASSWORD: password } });
    await cli.run(watched, '--host', 'localhost:1', '--username', 'lab', '--idle-exit', '-1');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.match(/idleExit.*must be a number >= 0, got "-1"/);
  });
});
