import { expect } from 'chai';
import { appendFile, mkdir, mkdtemp, open, readdir, readFile, rename, rm, stat, symlink, unlink, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { defer, from, lastValueFrom, Subject, switchMap, toArray, type Observable } from 'rxjs';
import { runAgent } from '../../src/agent/runAgent.js';
import { supersededReason } from '../../src/agent/runAgentInternals.js';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import type { GatewayRequest } from '../../src/sinks/GatewayRequest.js';
import type { GatewayResponse } from '../../src/sinks/GatewayResponse.js';
import { createFetchPost } from '../../src/sinks/fetchPost.js';
import { openLedger } from '../../src/state/openLedger.js';
import { jsonErrors, jsonEvents, reapAgents, sha256, sleep, spawnAgent, until } from './faultKit.js';

const pngSignature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

async function drop(path: string, data: Buffer | string): Promise<void> {
  await writeFile(`${path}.tmp`, data);
  await rename(`${path}.tmp`, path);
}

async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

describe('agent given bad input', function () {
  // Real processes, real outages and big files take longer than the suite's default timeout.
  this.timeout(60_000);
  let root: string;
  let watched: string;
  let stateDir: string;
  let gateway: RunningGateway;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-fault-bad-'));
    watched = join(root, 'watched');
    stateDir = join(root, 'state');
    await mkdir(watched);
    gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store'), maxBodyBytes: 3 * 2 ** 30 });
  });

  afterEach(async () => {
    await reapAgents();
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  });

  const cli = (...extra: string[]): string[] => [watched, '--host', gateway.url, '--username', 'lab', '--state-dir', stateDir, '--log-format', 'json', ...extra];

  it('should send odd files byte for byte under their exact names and follow no symlink, in one run of the CLI', async () => {
    const outside = join(root, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.dat'), 'outside the watched folder');
    const files: Record<string, Buffer> = {
      'empty.dat': Buffer.alloc(0),
      'corrupt.png': Buffer.concat([pngSignature, Buffer.from('IHDR but then garbage '.repeat(50))]),
      'not-an-image.png': Buffer.from('plain text wearing a .png name\n'),
      'naïve 数据 ✓.dat': Buffer.from('unicode name'),
      'line\nbreak.dat': Buffer.from('newline in the name'),
    };
    for (const [name, data] of Object.entries(files)) await drop(join(watched, name), data);
    await mkdir(join(watched, 'x.png'));
    await drop(join(watched, 'x.png', 'inner.dat'), 'inside a folder named like an image');
    await symlink('loop-b', join(watched, 'loop-a'));
    await symlink('loop-a', join(watched, 'loop-b'));
    await symlink(join(outside, 'secret.dat'), join(watched, 'link-to-file.dat'));
    await symlink(outside, join(watched, 'link-to-folder'));

    const agent = spawnAgent(cli('--mode', 'fifo', '--upload-slots', '1'), { HASTE_PASSWORD: 'pw' });
    const expectedPaths = [...Object.keys(files).map((name) => join(watched, name)), join(watched, 'x.png', 'inner.dat')];
    await until(() => {
      const uploaded = new Set(jsonEvents(agent.output().stdout).filter((event) => event.type === 'uploaded').map((event) => event.path));
      return expectedPaths.every((path) => uploaded.has(path));
    }, 'every ordinary file was uploaded');
    // Give a wrongly followed symlink the chance to show up before judging.
    await sleep(700);
    agent.child.kill('SIGINT');
    const { code } = await agent.exited;
    expect(code, agent.output().stderr).to.equal(0);

    const byName = new Map(gateway.received.map((blob) => [blob.originalFilename, blob]));
    expect([...byName.keys()]).to.have.members(expectedPaths);
    for (const [name, data] of Object.entries(files)) {
      const blob = byName.get(join(watched, name));
      expect(blob?.sha256, name).to.equal(sha256(data));
      // The stored copy is byte-identical even where the reducer choked, under a one-segment name.
      expect(await readFile(blob?.storedPath ?? ''), name).to.deep.equal(data);
      expect(basename(blob?.storedPath ?? '')).to.not.match(/[\n/]/);
    }
    expect(gateway.received.map((blob) => blob.sha256)).to.not.include(sha256('outside the watched folder'));
    const events = jsonEvents(agent.output().stdout);
    expect(events.filter((event) => event.type === 'failed')).to.deep.equal([]);
  });

  it('should try to reduce a corrupt PNG and a non-image .png, then send each as it is', async () => {
    const slow = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'slow-store'), maxBytesPerSecond: 20_000 });
    try {
      const bad: Record<string, Buffer> = {};
      for (let n = 0; n < 4; n += 1) {
        bad[`corrupt-${n}.png`] = Buffer.concat([pngSignature, Buffer.from(`chunk ${n} `.repeat(600))]);
        bad[`text-${n}.png`] = Buffer.from(`not an image ${n} `.repeat(400));
      }
      for (const [name, data] of Object.entries(bad)) await drop(join(watched, name), data);
      const stop = new Subject<void>();
      const events: AgentEvent[] = [];
      const run = lastValueFrom(
        runAgent({ path: watched, host: slow.url, username: 'lab', password: 'pw', strategy: 'fifo', uploadSlots: 1, cores: 1, stop, rescanIntervalMs: 0 }).pipe(toArray()),
      );
      void run.then((all) => events.push(...all));
      await until(() => slow.received.length === Object.keys(bad).length, 'every bad image arrived', 30_000);
      stop.next();
      events.push(...(await run).filter((event) => !events.includes(event)));
      const tried = events.filter((event) => event.type === 'reduce-start').map((event) => basename(event.path));
      expect(tried.length, 'the reducer was tried on some of them').to.be.greaterThan(0);
      for (const event of events.filter((e): e is Extract<AgentEvent, { type: 'reduced' }> => e.type === 'reduced')) {
        expect(event.reduced, event.path).to.equal(false);
      }
      expect(events.filter((event) => event.type === 'failed')).to.deep.equal([]);
      for (const [name, data] of Object.entries(bad)) {
        const blob = slow.received.find((candidate) => basename(candidate.originalFilename) === name);
        expect(blob?.sha256, name).to.equal(sha256(data));
      }
    } finally {
      await slow.close();
    }
  });

  it('should send a 2 GB sparse file streaming, with the agent process staying small', async function () {
    const big = join(watched, 'sparse.bin');
    const handle = await open(big, 'w');
    await handle.truncate(2 * 2 ** 30);
    await handle.close();
    const quiet = await startGateway({ port: 0, username: 'lab', password: 'pw', maxBodyBytes: 3 * 2 ** 30 });
    try {
      const agent = spawnAgent(
        [watched, '--host', quiet.url, '--username', 'lab', '--state-dir', stateDir, '--log-format', 'json', '--no-reduce'],
        { HASTE_PASSWORD: 'pw' },
      );
      let peak = 0;
      await until(async () => {
        peak = Math.max(peak, (await agent.peakRssKib()) ?? 0);
        return jsonEvents(agent.output().stdout).some((event) => event.type === 'uploaded' || event.type === 'failed');
      }, 'the big file was sent', 60_000);
      peak = Math.max(peak, (await agent.peakRssKib()) ?? 0);
      agent.child.kill('SIGINT');
      const { code } = await agent.exited;
      expect(code, agent.output().stderr).to.equal(0);
      expect(quiet.received).to.have.length(1);
      expect(quiet.received[0]?.bytes).to.equal(2 * 2 ** 30);
      // Reading the file into memory would need more than 2 GiB; streaming needs a runtime's worth.
      expect(peak, 'peak RSS in KiB').to.be.greaterThan(0).and.below(400 * 1024);
      console.log(`      peak RSS of the agent sending 2 GiB: ${Math.round(peak / 1024)} MiB`);
    } finally {
      await quiet.close();
    }
  });

  it('should fail a file over the gateway\'s size limit with a clear 413, once, without retrying', async () => {
    const small = await startGateway({ port: 0, username: 'lab', password: 'pw', maxBodyBytes: 2 ** 20 });
    try {
      const handle = await open(join(watched, 'too-big.bin'), 'w');
      await handle.truncate(20 * 2 ** 20);
      await handle.close();
      const collected = await new Promise<AgentEvent[]>((resolve, reject) => {
        const seen: AgentEvent[] = [];
        const subscription = runAgent({ path: watched, host: small.url, username: 'lab', password: 'pw', reduce: false, rescanIntervalMs: 0 }).subscribe({
          next: (event) => {
            seen.push(event);
            if (event.type === 'failed' || event.type === 'uploaded') {
              subscription.unsubscribe();
              resolve(seen);
            }
          },
          error: reject,
        });
      });
      const failed = collected.filter((event) => event.type === 'failed');
      expect(failed).to.have.length(1);
      expect(failed[0]?.type === 'failed' ? [failed[0].status, failed[0].error] : []).to.deep.equal([
        413,
        `Gateway ${small.url} answered 413 for ${join(watched, 'too-big.bin')}: The body exceeds 1048576 bytes.`,
      ]);
      expect(collected.filter((event) => event.type === 'retried')).to.deep.equal([]);
      expect(small.received).to.deep.equal([]);
    } finally {
      await small.close();
    }
  });

  it('should record a file deleted before its upload as failed for good, never as sent', async () => {
    await drop(join(watched, 'doomed.dat'), 'here now, gone soon');
    await drop(join(watched, 'kept.dat'), 'stays');
    const ledger = await openLedger({ dir: stateDir, fsync: false });
    const realPost = createFetchPost();
    // Deleted between the agent taking it and the transport opening it.
    const deleting = (request: GatewayRequest): Observable<GatewayResponse> =>
      request.bodyPath.endsWith('doomed.dat') ? postAfter(unlink(request.bodyPath), request, realPost) : realPost(request);
    const stop = new Subject<void>();
    try {
      const run = lastValueFrom(
        runAgent({ path: watched, host: gateway.url, username: 'lab', password: 'pw', reduce: false, ledger, stop, post: deleting, rescanIntervalMs: 0 }).pipe(toArray()),
      );
      await until(() => gateway.received.length === 1, 'the other file arrived');
      await sleep(300);
      stop.next();
      const events = await run;
      const failed = events.filter((event) => event.type === 'failed');
      expect(failed.map((event) => event.path)).to.deep.equal([join(watched, 'doomed.dat')]);
      expect(failed[0]?.type === 'failed' ? failed[0].error : '').to.match(/doomed\.dat.*(ENOENT|no such file)/);
      const entry = ledger.get(join(watched, 'doomed.dat'));
      expect(entry?.state).to.equal('failed');
      expect(entry?.permanent).to.equal(true);
      expect(ledger.get(join(watched, 'kept.dat'))?.state).to.equal('acknowledged');
      expect(gateway.received.map((blob) => basename(blob.originalFilename))).to.deep.equal(['kept.dat']);
    } finally {
      await ledger.close();
    }
  });

  it('should not send a version that changed before it was sent, and send its new version', async () => {
    const path = join(watched, 'growing.dat');
    await drop(path, 'first version');
    const ledger = await openLedger({ dir: stateDir, fsync: false });
    const realPost = createFetchPost();
    let changed = false;
    // The instrument rewrites the file after the agent hashed it, just as the upload starts.
    const post = (request: GatewayRequest): Observable<GatewayResponse> => {
      if (!changed) {
        changed = true;
        return postAfter(appendFile(request.bodyPath, ' and more'), request, realPost);
      }
      return realPost(request);
    };
    const stop = new Subject<void>();
    try {
      const run = lastValueFrom(
        runAgent({
          path: watched,
          host: gateway.url,
          username: 'lab',
          password: 'pw',
          reduce: false,
          ledger,
          stop,
          post,
          rescanIntervalMs: 0,
          watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } },
        }).pipe(toArray()),
      );
      await until(() => ledger.get(path)?.state === 'acknowledged', 'the new version was acknowledged', 10_000);
      stop.next();
      const events = await run;
      // The body is opened once and checked against what was admitted: the changed version is
      // not sent at all, and it is skipped as superseded rather than failed.
      expect(events.filter((event) => event.type === 'failed')).to.deep.equal([]);
      const skipped = events.filter((event) => event.type === 'skipped');
      expect(skipped.map((event) => (event.type === 'skipped' ? event.reason : ''))).to.deep.equal([supersededReason]);
      const versions = ledger.entries().filter((entry) => entry.path === path);
      expect(versions.map((entry) => entry.state)).to.deep.equal(['failed', 'acknowledged']);
      // Only the settled version reached the gateway.
      expect(gateway.received.map((blob) => blob.sha256)).to.deep.equal([sha256('first version and more')]);
    } finally {
      await ledger.close();
    }
  });

  it('should keep files pending and exit non-zero with one line saying why on a wrong password', async () => {
    await drop(join(watched, 'a.dat'), 'a');
    await drop(join(watched, 'b.dat'), 'b');
    const agent = spawnAgent(cli('--no-reduce'), { HASTE_PASSWORD: 'wrong-password-123' });
    const { code } = await agent.exited;
    const { stdout, stderr } = agent.output();
    expect(code, stderr).to.equal(2);
    const why = jsonErrors(stderr);
    expect(why).to.have.length(1);
    expect(why[0]).to.match(/rejected the credentials of user "lab" \(401 Unauthorized\)/);
    expect(stdout + stderr).to.not.include('wrong-password-123');
    expect(gateway.received).to.have.length(0);
    const ledger = await openLedger({ dir: stateDir });
    try {
      expect(ledger.pending().map((entry) => basename(entry.path)).sort()).to.deep.equal(['a.dat', 'b.dat']);
    } finally {
      await ledger.close();
    }
  });

  it('should stop and exit non-zero on a tag the gateway does not accept', async () => {
    await drop(join(watched, 'a.dat'), 'a');
    const agent = spawnAgent(cli('--no-reduce', '--tag', 'nosuchtag'), { HASTE_PASSWORD: 'pw' });
    const { code } = await agent.exited;
    const { stderr } = agent.output();
    expect(code, stderr).to.equal(2);
    expect(jsonErrors(stderr).join('\n')).to.match(/does not accept tag "nosuchtag" \(412 Precondition Failed\)/);
    expect(gateway.received).to.have.length(0);
  });

  it('should stop and exit non-zero on 403 Forbidden, keeping the file pending', async () => {
    await drop(join(watched, 'a.dat'), 'a');
    let requests = 0;
    const forbidding = createServer((req, res) => {
      requests += 1;
      req.resume();
      res.writeHead(403, { 'Content-Type': 'text/plain' });
      res.end('Forbidden: this user may not write to this stream');
    });
    forbidding.listen(0, '127.0.0.1');
    await once(forbidding, 'listening');
    try {
      const agent = spawnAgent(cli('--no-reduce').map((arg) => (arg === gateway.url ? `127.0.0.1:${(forbidding.address() as AddressInfo).port}` : arg)), { HASTE_PASSWORD: 'pw' });
      const { code } = await agent.exited;
      const { stderr } = agent.output();
      expect(code, stderr).to.equal(2);
      expect(jsonErrors(stderr)).to.have.length(1);
      expect(jsonErrors(stderr)[0]).to.match(/answered 403 for .*a\.dat: Forbidden/);
      // Not retried: nothing else could succeed until a person fixes the permission.
      expect(requests).to.equal(1);
      const ledger = await openLedger({ dir: stateDir });
      try {
        expect(ledger.pending().map((entry) => basename(entry.path))).to.deep.equal(['a.dat']);
      } finally {
        await ledger.close();
      }
    } finally {
      await new Promise<void>((resolve) => {
        forbidding.close(() => resolve());
        forbidding.closeAllConnections();
      });
    }
  });

  it('should refuse a bad --stream-id or --retry-cap with exit 2 before sending anything', async () => {
    await drop(join(watched, 'a.dat'), 'a');
    for (const [flag, value, message] of [
      ['--stream-id', '../x', /--stream-id must be 1-128 letters/],
      ['--retry-cap', '-1', /--retry-cap: `retryCap` must be a number > 0/],
    ] as const) {
      const agent = spawnAgent(cli(flag, value), { HASTE_PASSWORD: 'pw' });
      const { code } = await agent.exited;
      expect(code, flag).to.equal(2);
      expect(agent.output().stderr).to.match(message);
    }
    expect(gateway.received).to.have.length(0);
  });

  it('should keep path traversal in X-HASTE-original_filename inside the store', async () => {
    const names = ['../../../escape-1.dat', '..%2F..%2Fescape-2.dat', '/etc/escape-3.dat', '..\\..\\escape-4.dat', '..'];
    for (const name of names) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${gateway.url}/stream/s1`, {
          method: 'POST',
          headers: {
            Authorization: `Basic ${Buffer.from('lab:pw').toString('base64')}`,
            'X-HASTE-original_filename': name,
            'X-HASTE-tag': 'vironova',
            'X-HASTE-unixtime': '1',
          },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end(`body of ${name}`);
      });
      expect(status, name).to.equal(200);
    }
    const store = join(root, 'store', 's1');
    const stored = await listTree(join(root, 'store'));
    expect(stored).to.have.length(names.length);
    for (const path of stored) expect(path.startsWith(`${store}/`), path).to.equal(true);
    const everything = await listTree(root);
    expect(everything.filter((path) => path.includes('escape') && !path.startsWith(store))).to.deep.equal([]);
    expect((await stat(store)).isDirectory()).to.equal(true);
  });
});

function postAfter(first: Promise<unknown>, request: GatewayRequest, post: (request: GatewayRequest) => Observable<GatewayResponse>): Observable<GatewayResponse> {
  return defer(() => from(first)).pipe(switchMap(() => post(request)));
}
