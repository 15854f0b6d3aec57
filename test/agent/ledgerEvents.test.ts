import { expect } from 'chai';
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ledgerEvents } from '../../src/agent/ledgerEvents.js';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import type { JournalFile } from '../../src/state/durableWrites.js';
import type { Ledger } from '../../src/state/Ledger.js';
import type { LedgerHealth } from '../../src/state/LedgerHealth.js';
import type { LedgerRepair } from '../../src/state/LedgerRepair.js';
import { openLedger } from '../../src/state/openLedger.js';
import { drop, runUntil } from './agentTestKit.js';

const dir = '/var/lib/haste-agent';
const ok = (failedWrites: number): LedgerHealth => ({ state: 'ok', failedWrites });
const degraded = (attempt: number, retryInMs: number): LedgerHealth => ({
  state: 'degraded',
  code: 'ENOSPC',
  error: 'no space',
  since: 0,
  attempt,
  retryInMs,
  failedWrites: attempt,
});

/** Just what ledgerEvents reads of a ledger. */
const fakeLedger = (healthChanges: Observable<LedgerHealth>, repair?: LedgerRepair): Ledger =>
  ({ dir, repair, healthChanges }) as unknown as Ledger;

describe('ledgerEvents', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should emit nothing while the ledger stays healthy', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const health = cold<LedgerHealth>('o---', { o: ok(0) });
      expectObservable(ledgerEvents(fakeLedger(health), () => testScheduler.now())).toBe('----');
      expectSubscriptions(health.subscriptions).toBe('^---');
    });
  });

  it('should report each failed write and the recovery, with how long writes were held up', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const health = cold<LedgerHealth>('o-a--b----o|', { o: ok(0), a: degraded(1, 1000), b: degraded(2, 2000) });
      const now = (): number => testScheduler.now();
      expectObservable(ledgerEvents(fakeLedger(health), now)).toBe('--a--b----r|', {
        a: { type: 'ledger-degraded', at: 2, path: dir, code: 'ENOSPC', error: 'no space', attempt: 1, retryInMs: 1000, failedWrites: 1 },
        b: { type: 'ledger-degraded', at: 5, path: dir, code: 'ENOSPC', error: 'no space', attempt: 2, retryInMs: 2000, failedWrites: 2 },
        r: { type: 'ledger-recovered', at: 10, path: dir, downMs: 8, failedWrites: 0 },
      });
    });
  });

  it('should warn of a repair first, then follow the health', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const repair: LedgerRepair = {
        at: 0,
        dir,
        dropped: 1,
        damage: [{ file: 'journal.jsonl', line: 3, offset: 412, length: 57, reason: 'cut short', excerpt: '"x"' }],
      };
      const health = cold<LedgerHealth>('o-a', { o: ok(0), a: degraded(1, 1000) });
      expectObservable(ledgerEvents(fakeLedger(health, repair), () => testScheduler.now())).toBe('r-a', {
        r: {
          type: 'ledger-repaired',
          at: 0,
          path: dir,
          dropped: 1,
          message:
            `ledger in ${dir} was damaged: dropped 1 record (journal.jsonl line 3 (byte 412, 57 bytes, cut short)); ` +
            'a file whose latest record was dropped goes back to its previous state and may be sent again',
        },
        a: { type: 'ledger-degraded', at: 2, path: dir, code: 'ENOSPC', error: 'no space', attempt: 1, retryInMs: 1000, failedWrites: 1 },
      });
    });
  });

  it('should pass an error of the health stream through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const health = cold<LedgerHealth>('o-#', { o: ok(0) });
      expectObservable(ledgerEvents(fakeLedger(health), () => testScheduler.now())).toBe('--#');
    });
  });
});

describe('runAgent with a ledger that cannot write', function () {
  this.timeout(30_000);
  let root: string;
  let watched: string;
  let gateway: RunningGateway;
  let ledger: Ledger | undefined;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-ledger-events-'));
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

  const base = { host: '', username: 'lab', password: 'pw', rescanIntervalMs: 0, reduce: false, watch: { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } } };

  it('should start nothing new while the ledger cannot write, then deliver and record every file once', async () => {
    let broken = true;
    const failing = (file: JournalFile): JournalFile => ({
      ...file,
      append: async (text) => {
        if (broken) throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        await file.append(text);
      },
    });
    ledger = await openLedger({ dir: join(root, 'state'), fsync: false, writeRetry: { baseMs: 50, capMs: 100 }, journalFile: failing });
    for (const name of ['a.dat', 'b.dat', 'c.dat']) await drop(watched, name, `payload of ${name}`);

    const events: AgentEvent[] = [];
    const run = runUntil({ ...base, host: gateway.url, path: watched, ledger }, 3).then((all) => events.push(...all));
    const current = ledger;
    const deadline = Date.now() + 10_000;
    while (current.health().state !== 'degraded' || current.health().failedWrites < 4) {
      if (Date.now() > deadline) throw new Error('the ledger never reported the failing writes');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(gateway.received, 'nothing is sent while the ledger cannot record it').to.have.length(0);
    broken = false;
    await run;

    const types = events.map((event) => event.type);
    expect(types).to.include('ledger-degraded');
    expect(types.indexOf('ledger-recovered')).to.be.greaterThan(types.lastIndexOf('ledger-degraded'));
    expect(types.indexOf('ledger-recovered'), 'no upload before the ledger recovered').to.be.lessThan(types.indexOf('uploaded'));
    expect(gateway.received.map((blob) => blob.originalFilename).sort()).to.deep.equal(['a.dat', 'b.dat', 'c.dat'].map((name) => join(watched, name)));
    expect(ledger.entries().map((entry) => entry.state)).to.deep.equal(['acknowledged', 'acknowledged', 'acknowledged']);
  });

  it('should warn about a damaged ledger as the first event of the run', async () => {
    const stateDir = join(root, 'state');
    ledger = await openLedger({ dir: stateDir, fsync: false, compactAfter: 10_000 });
    await ledger.close();
    await appendFile(join(stateDir, 'journal.jsonl'), 'garbage\n');
    ledger = await openLedger({ dir: stateDir, fsync: false });
    await drop(watched, 'a.dat', 'payload');
    const events = await runUntil({ ...base, host: gateway.url, path: watched, ledger }, 1);
    expect(events[0]).to.include({ type: 'ledger-repaired', path: stateDir, dropped: 1 });
    expect((events[0] as { message: string }).message).to.contain('journal.jsonl line 1 (byte 0, 7 bytes, checksum mismatch)');
  });
});
