import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defer, of, Subject, tap, type Observable } from 'rxjs';
import { runAgent, type RunAgentOptions } from '../../src/agent/runAgent.js';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import type { GatewayRequest } from '../../src/sinks/GatewayRequest.js';
import type { GatewayResponse } from '../../src/sinks/GatewayResponse.js';
import { createFetchPost } from '../../src/sinks/fetchPost.js';
import type { Ledger } from '../../src/state/Ledger.js';
import { hashFile } from '../../src/state/hashFile.js';
import { openLedger } from '../../src/state/openLedger.js';
import { drop, reduciblePng, runUntil, sha256 } from './agentTestKit.js';

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('runAgent', () => {
  let root: string;
  let watched: string;
  let gateway: RunningGateway;
  let ledger: Ledger | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-guarantees-'));
    watched = join(root, 'watched');
    await mkdir(watched);
    gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store') });
    ledger = undefined;
  });

  afterEach(async () => {
    await ledger?.close();
    await gateway.close();
    await rm(root, { recursive: true, force: true });
  });

  const base = (): RunAgentOptions => ({
    path: watched,
    host: gateway.url,
    username: 'lab',
    password: 'pw',
    rescanIntervalMs: 0,
    watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } },
  });

  /** The real transport, remembering each request's headers. */
  function recordingPost(requests: GatewayRequest[]): (request: GatewayRequest) => Observable<GatewayResponse> {
    const post = createFetchPost();
    return (request) => {
      requests.push(request);
      return post(request);
    };
  }

  it('should send X-HASTE-content-sha256 of the bytes sent: the original raw, the reduced copy reduced', async () => {
    const originals = new Map<string, Buffer>();
    for (let i = 0; i < 6; i += 1) originals.set(`img${i}.png`, await reduciblePng(i + 1));
    for (const [name, data] of originals) await drop(watched, name, data);
    const requests: GatewayRequest[] = [];
    const events = await runUntil({ ...base(), strategy: 'fifo', cores: 1, uploadSlots: 1, post: recordingPost(requests) }, originals.size);
    expect(events.filter((event) => event.type === 'reduced' && event.reduced).length, 'some were reduced').to.be.greaterThan(0);
    expect(requests).to.have.length(6);
    let reducedSeen = 0;
    for (const blob of gateway.received) {
      const name = blob.originalFilename.split('/').pop() ?? '';
      const request = requests.find((candidate) => candidate.headers['X-HASTE-original_filename'] === blob.originalFilename);
      // The gateway verified the header against the bytes it got (a mismatch is a 400).
      expect(request?.headers['X-HASTE-content-sha256'], name).to.equal(blob.sha256);
      if (blob.sha256 !== sha256(originals.get(name) ?? '')) reducedSeen += 1;
    }
    expect(reducedSeen, 'some hashes are those of reduced copies').to.be.greaterThan(0);
  });

  for (const withLedger of [false, true]) {
    it(`should hash from disk the copy of a reducer that does not give its hash (${withLedger ? 'with' : 'without'} a ledger)`, async () => {
      if (withLedger) ledger = await openLedger({ dir: join(root, 'state'), fsync: false });
      await drop(watched, 'log.dat', 'abcdefgh'.repeat(64));
      const spool = join(root, 'custom-spool');
      await mkdir(spool);
      // Keeps the first half: a reduction the agent cannot know the hash of.
      const reduceFile = (item: FileItem): Observable<Reduction> =>
        defer(async () => {
          const outputPath = join(spool, 'half.dat');
          await writeFile(outputPath, (await readFile(item.path)).subarray(0, item.size / 2));
          return { item, reduced: true, outputPath, bytesIn: item.size, bytesOut: item.size / 2, cpuMs: 1 };
        });
      const requests: GatewayRequest[] = [];
      await runUntil({ ...base(), ...(ledger ? { ledger } : {}), strategy: 'fifo', reduceFile, post: recordingPost(requests) }, 1);

      expect(gateway.received.map((blob) => blob.sha256)).to.deep.equal([sha256('abcdefgh'.repeat(32))]);
      expect(requests.map((request) => request.headers['X-HASTE-content-sha256'])).to.deep.equal([sha256('abcdefgh'.repeat(32))]);
    });
  }

  it('should let the gateway drop a repeat of a file it already stored in the stream', async () => {
    await drop(watched, 'a.dat', 'same bytes');
    // A first agent sent it, and crashed before its ledger heard the 2xx.
    await runUntil({ ...base(), reduce: false, streamId: 'resumed' }, 1);
    await runUntil({ ...base(), reduce: false, streamId: 'resumed' }, 1);
    expect(gateway.received.map((blob) => blob.duplicate)).to.deep.equal([false, true]);
    expect(gateway.received.filter((blob) => blob.storedPath !== null)).to.have.length(1);
  });

  it('should acknowledge a file only after the gateway answered 2xx', async () => {
    ledger = await openLedger({ dir: join(root, 'state'), fsync: false });
    const current = ledger;
    await drop(watched, 'a.dat', 'payload');
    const states: string[] = [];
    const post = createFetchPost();
    const observing = (request: GatewayRequest): Observable<GatewayResponse> =>
      post(request).pipe(
        tap(() => {
          // The answer is in, but the agent has not handled it yet.
          states.push(current.get(join(watched, 'a.dat'))?.state ?? 'none');
        }),
      );
    await runUntil({ ...base(), reduce: false, ledger, post: observing }, 1);
    expect(states).to.deep.equal(['uploading']);
    expect(ledger.get(join(watched, 'a.dat'))?.state).to.equal('acknowledged');
  });

  it('should find files a watcher missed on the next walk, and take each version once', async () => {
    // ignoreInitial makes the watcher blind to what is already there: only the walk can find it.
    await drop(watched, 'early.dat', 'was there first');
    await mkdir(join(watched, 'sub'));
    await drop(join(watched, 'sub'), 'deep.dat', 'in a subfolder');
    const options: RunAgentOptions = { ...base(), reduce: false, rescanIntervalMs: 100, watch: { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } } };
    const stop = new Subject<void>();
    const events: AgentEvent[] = [];
    const done = new Promise<void>((resolve, reject) => {
      runAgent({ ...options, stop }).subscribe({ next: (event) => events.push(event), error: reject, complete: resolve });
    });
    // Old enough for the walk (it leaves files younger than 2 s for later, as they may be growing).
    await waitUntil(() => gateway.received.length === 2, 'both files were found by a walk', 8_000);
    await drop(watched, 'late.dat', 'seen by the watcher and by later walks');
    await waitUntil(() => gateway.received.length === 3, 'the new file arrived');
    // Several walks later, nothing was sent twice.
    await new Promise((resolve) => setTimeout(resolve, 2600));
    stop.next();
    await done;
    expect(gateway.received.map((blob) => blob.originalFilename).sort()).to.deep.equal(
      [join(watched, 'early.dat'), join(watched, 'late.dat'), join(watched, 'sub', 'deep.dat')].sort(),
    );
    expect(events.filter((event) => event.type === 'seen')).to.have.length(3);
  });

  it('should mark a pending file that vanished while the agent was down as failed for good, with the reason', async () => {
    const stateDir = join(root, 'state');
    ledger = await openLedger({ dir: stateDir, fsync: false });
    const gone = join(watched, 'gone.dat');
    await ledger.record({ path: gone, size: 4, mtimeMs: 1, hash: sha256('gone'), state: 'uploading' });
    await drop(watched, 'here.dat', 'here');
    const events = await runUntil({ ...base(), reduce: false, ledger }, 2);
    const failed = events.filter((event) => event.type === 'failed');
    expect(failed.map((event) => event.path)).to.deep.equal([gone]);
    expect(failed[0]?.type === 'failed' ? failed[0].error : '').to.match(/no longer exists/);
    expect(ledger.get(gone)?.state).to.equal('failed');
    expect(ledger.get(gone)?.permanent).to.equal(true);
    expect(ledger.pending()).to.deep.equal([]);
    expect(ledger.get(join(watched, 'here.dat'))?.state).to.equal('acknowledged');
  });

  it('should send again what an earlier run left pending or in flight, and with resend what it acknowledged', async () => {
    const stateDir = join(root, 'state');
    ledger = await openLedger({ dir: stateDir, fsync: false });
    for (const name of ['acked.dat', 'inflight.dat', 'seen.dat']) await drop(watched, name, name);
    const info = async (name: string) => {
      const path = join(watched, name);
      const stats = await stat(path);
      return { path, size: stats.size, mtimeMs: stats.mtimeMs, hash: await hashFile(path) };
    };
    await ledger.record({ ...(await info('acked.dat')), state: 'acknowledged' });
    await ledger.record({ ...(await info('inflight.dat')), state: 'uploading' });
    await ledger.record({ ...(await info('seen.dat')), state: 'seen' });
    const events = await runUntil({ ...base(), reduce: false, ledger }, 3);
    expect(events.filter((event) => event.type === 'skipped').map((event) => event.path)).to.deep.equal([join(watched, 'acked.dat')]);
    expect(gateway.received.map((blob) => blob.originalFilename).sort()).to.deep.equal([join(watched, 'inflight.dat'), join(watched, 'seen.dat')]);

    await runUntil({ ...base(), reduce: false, ledger, resend: true }, 3);
    expect(gateway.received).to.have.length(5);
  });

  it('should delete originals only after their acknowledgement, and never on a refusal', async () => {
    await drop(watched, 'a.dat', 'a');
    await drop(watched, 'b.dat', 'b');
    const existedAtAnswer: boolean[] = [];
    const post = createFetchPost();
    const observing = (request: GatewayRequest): Observable<GatewayResponse> =>
      post(request).pipe(
        tap(() => {
          existedAtAnswer.push(existsSync(request.bodyPath));
        }),
      );
    await runUntil({ ...base(), reduce: false, deleteAfterUpload: true, post: observing }, 2);
    // Still there when the 2xx arrived: deleting comes after the acknowledgement, never before.
    expect(existedAtAnswer).to.deep.equal([true, true]);
    expect(await readdir(watched)).to.deep.equal([]);
    expect(gateway.received).to.have.length(2);

    await drop(watched, 'c.dat', 'c');
    const refused = await new Promise<unknown>((resolve) => {
      runAgent({ ...base(), password: 'wrong', reduce: false, deleteAfterUpload: true }).subscribe({ error: resolve, complete: () => resolve(undefined) });
    });
    expect(refused).to.be.instanceOf(Error);
    expect(await readFile(join(watched, 'c.dat'), 'utf8')).to.equal('c');
  });

  it('should clear the spool of an earlier run at start and each reduced copy after its acknowledgement', async () => {
    const stateDir = join(root, 'state');
    ledger = await openLedger({ dir: stateDir, fsync: false });
    await mkdir(join(stateDir, 'spool'), { recursive: true });
    await writeFile(join(stateDir, 'spool', 'left-over.png'), 'from a crashed run');
    const originals = new Map<string, Buffer>();
    for (let i = 0; i < 6; i += 1) originals.set(`img${i}.png`, await reduciblePng(i + 11));
    for (const [name, data] of originals) await drop(watched, name, data);
    const events = await runUntil({ ...base(), strategy: 'fifo', cores: 1, uploadSlots: 1, ledger }, originals.size);
    expect(events.filter((event) => event.type === 'reduced' && event.reduced).length).to.be.greaterThan(0);
    expect(await readdir(join(stateDir, 'spool'))).to.deep.equal([]);
    for (const [name, data] of originals) expect(await readFile(join(watched, name)), name).to.deep.equal(data);
  });

  it('should remove a reduced copy whose upload failed, since the next run reduces the original again', async () => {
    const stateDir = join(root, 'state');
    ledger = await openLedger({ dir: stateDir, fsync: false });
    for (let i = 0; i < 6; i += 1) await drop(watched, `img${i}.png`, await reduciblePng(i + 21));
    const refusing = (): Observable<GatewayResponse> => of({ status: 400, text: 'refused', bytesSent: 0 });
    const events = await runUntil({ ...base(), strategy: 'fifo', cores: 1, uploadSlots: 1, ledger, post: refusing }, 6);
    expect(events.filter((event) => event.type === 'reduced' && event.reduced).length).to.be.greaterThan(0);
    expect(events.filter((event) => event.type === 'failed')).to.have.length(6);
    expect(await readdir(join(stateDir, 'spool'))).to.deep.equal([]);
    expect(ledger.pending()).to.have.length(6);
  });
});
