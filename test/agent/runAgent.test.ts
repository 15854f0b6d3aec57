import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { runAgent, type RunAgentOptions } from '../../src/agent/runAgent.js';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import { openLedger } from '../../src/state/openLedger.js';
import { drop, reduciblePng, runUntil, sha256 } from './agentTestKit.js';

describe('runAgent', () => {
  let root: string;
  let watched: string;
  let gateway: RunningGateway;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-run-agent-'));
    watched = join(root, 'watched');
    await mkdir(watched);
    gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store') });
  });

  afterEach(async () => {
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  });

  const base = (): RunAgentOptions => ({
    path: watched,
    host: gateway.url,
    username: 'lab',
    password: 'pw',
    watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } },
  });

  it('should deliver every file to the gateway, the unreduced ones byte-identical', async () => {
    const files = new Map<string, Buffer>();
    for (let i = 0; i < 4; i += 1) files.set(`f${i}.dat`, Buffer.from(`payload ${i} `.repeat(100 + i)));
    for (const [name, data] of files) await drop(watched, name, data);
    const events = await runUntil({ ...base(), strategy: 'none' }, files.size);
    expect(events.filter((e) => e.type === 'uploaded')).to.have.length(4);
    expect(gateway.received).to.have.length(4);
    for (const blob of gateway.received) {
      const name = blob.originalFilename.split('/').pop() ?? '';
      expect(blob.sha256).to.equal(sha256(files.get(name) ?? Buffer.alloc(0)));
      expect(blob.originalFilename).to.equal(join(watched, name));
    }
  });

  it('should reduce images when every upload slot is busy and send the smaller copy', async () => {
    const originals = new Map<string, Buffer>();
    for (let i = 0; i < 6; i += 1) originals.set(`img${i}.png`, await reduciblePng(i + 1));
    for (const [name, data] of originals) await drop(watched, name, data);
    const events = await runUntil({ ...base(), strategy: 'fifo', cores: 1, uploadSlots: 1 }, originals.size);
    const reduced = events.filter((e) => e.type === 'reduced' && e.reduced);
    expect(reduced.length).to.be.greaterThan(0);
    expect(gateway.received).to.have.length(6);
    for (const [name, data] of originals) {
      expect(await readFile(join(watched, name))).to.deep.equal(data);
    }
    const sent = gateway.received.reduce((sum, blob) => sum + blob.bytes, 0);
    const raw = [...originals.values()].reduce((sum, data) => sum + data.length, 0);
    expect(sent).to.be.lessThan(raw);
  });

  it('should not send again what a ledger says was acknowledged, and send what is new', async () => {
    const stateDir = join(root, 'state');
    await drop(watched, 'a.dat', Buffer.from('first'));
    await drop(watched, 'b.dat', Buffer.from('second'));
    let ledger = await openLedger({ dir: stateDir });
    await runUntil({ ...base(), strategy: 'none', ledger }, 2);
    await ledger.close();
    expect(gateway.received).to.have.length(2);

    ledger = await openLedger({ dir: stateDir });
    await drop(watched, 'c.dat', Buffer.from('third'));
    const events = await runUntil({ ...base(), strategy: 'none', ledger }, 3);
    expect(ledger.summary().counts.acknowledged).to.equal(3);
    await ledger.close();
    expect(events.filter((e) => e.type === 'skipped').map((e) => e.path).sort()).to.deep.equal([
      join(watched, 'a.dat'),
      join(watched, 'b.dat'),
    ]);
    expect(gateway.received.map((blob) => blob.originalFilename.split('/').pop())).to.have.members(['a.dat', 'b.dat', 'c.dat']);
  });

  it('should end the run with a GatewayError on bad credentials and keep the file pending', async () => {
    const ledger = await openLedger({ dir: join(root, 'state') });
    await drop(watched, 'a.dat', Buffer.from('data'));
    const error = await lastValueFrom(runAgent({ ...base(), password: 'wrong', strategy: 'none', ledger })).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(GatewayError);
    expect((error as GatewayError).status).to.equal(401);
    expect((error as GatewayError).message).to.include('credentials').and.not.include('wrong');
    expect(ledger.pending().map((entry) => entry.path)).to.deep.equal([join(watched, 'a.dat')]);
    await ledger.close();
  });

  it('should leave a backlog on disk: the first scan holds off while admitAhead files wait', async () => {
    // 300 files an hour old (settled at the first look, as at a restart), read far faster than one upload slot sends them.
    const sub = join(watched, 'plate');
    await mkdir(sub);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const path = join(sub, `f${String(i).padStart(3, '0')}.dat`);
        await writeFile(path, `file ${i}`);
        await utimes(path, anHourAgo, anHourAgo);
      }),
    );
    const events = await runUntil({ ...base(), strategy: 'none', uploadSlots: 1, admitAhead: 4, rescanIntervalMs: 0 }, 300);
    const waiting = events.flatMap((event) => (event.type === 'waiting' ? [event.files] : []));
    // Held at 4 waiting; the lstats already under way (at most 32) still arrive. Unheld, ~270 wait.
    expect(Math.max(0, ...waiting)).to.be.at.most(50);
    expect(events.filter((event) => event.type === 'uploaded')).to.have.length(300);
    expect(new Set(gateway.received.map((blob) => blob.originalFilename)).size).to.equal(300);
  });

  it('should validate its options before anything runs', () => {
    expect(() => runAgent({ ...base(), cores: 0 })).to.throw(TypeError, 'Expected `cores` to be an integer >= 1, got 0');
    expect(() => runAgent({ ...base(), uploadSlots: 1.5 })).to.throw(TypeError, '`uploadSlots`');
    expect(() => runAgent({ ...base(), path: '' })).to.throw(TypeError, '`path`');
    expect(() => runAgent({ ...base(), host: 'ftp://x' })).to.throw(TypeError, 'http');
  });
});

describe('runAgent and the reducer threads', function () {
  // Each case is a fresh process (this one has loaded sharp for other tests), running from source.
  this.timeout(30_000);
  const runAgentModule = fileURLToPath(new URL('../../src/agent/runAgent.ts', import.meta.url));

  /** Runs `body` in a child after the shared preamble; returns what it printed as JSON. */
  const inChild = (body: string[]): unknown => {
    const script = [
      "import { createRequire } from 'node:module';",
      "import { mkdtemp, rm, writeFile } from 'node:fs/promises';",
      "import { tmpdir } from 'node:os';",
      "import { join } from 'node:path';",
      "import { of, Subject } from 'rxjs';",
      `const { runAgent } = await import(${JSON.stringify(runAgentModule)});`,
      'const sharpLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((name) => /[\\/]sharp[\\/]/.test(name));',
      "const dir = await mkdtemp(join(tmpdir(), 'haste-warm-'));",
      'const stop = new Subject();',
      'const upload = (job) => of({ item: job.item, status: 200, bytes: job.bodySize ?? job.item.size, startedAt: 0, finishedAt: 0 });',
      'const seen = {};',
      ...body,
      'await rm(dir, { recursive: true, force: true });',
      'console.log(JSON.stringify(seen));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).to.equal('');
    return JSON.parse(child.stdout);
  };

  it('should not start them for a stream with no images, and start them as the first image is noticed, before it settles', () => {
    const seen = inChild([
      "await writeFile(join(dir, 'a.dat'), 'not an image');",
      'await new Promise((done, fail) => runAgent({ path: dir, host: "unused:1", username: "u", password: "p", upload, stop, rescanIntervalMs: 0,',
      '  watch: { awaitWriteFinish: { stabilityThreshold: 300, pollInterval: 50 }, onNoticed: (path) => { if (path.endsWith(".png")) seen.atNotice = sharpLoaded(); } } })',
      '  .subscribe({ error: fail, complete: done, next: (event) => {',
      "    if (event.type === 'uploaded' && event.path.endsWith('a.dat')) { seen.afterDat = sharpLoaded(); writeFile(join(dir, 'b.png'), 'fake png, sent as it is').catch(fail); }",
      "    if (event.type === 'seen' && event.path.endsWith('b.png')) seen.whenPngSeen = sharpLoaded();",
      "    if (event.type === 'uploaded' && event.path.endsWith('b.png')) stop.next();",
      '  } }));',
    ]);
    // The caller's own hook runs first, so at the notice the threads had not started yet.
    expect(seen).to.deep.equal({ afterDat: false, atNotice: false, whenPngSeen: true });
  });

  it('should start them with the agent when `include` lets only images through', () => {
    const seen = inChild([
      'await new Promise((done, fail) => runAgent({ path: dir, include: ["png", ".TIF"], host: "unused:1", username: "u", password: "p", upload, stop, rescanIntervalMs: 0,',
      '  watch: { onReady: () => { seen.whenReady = sharpLoaded(); stop.next(); } } }).subscribe({ error: fail, complete: done }));',
    ]);
    expect(seen).to.deep.equal({ whenReady: true });
  });
});
