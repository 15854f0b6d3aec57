import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Ledger } from '../../src/state/Ledger.js';
import type { LedgerState } from '../../src/state/LedgerEntry.js';
import { LedgerLockedError } from '../../src/state/LedgerLockedError.js';
import { openLedger } from '../../src/state/openLedger.js';
import { readLockPid } from '../../src/state/ledgerLock.js';
import { fileKey, makeTempDir, removeDir, steppingClock } from './ledgerTestKit.js';

const JOURNAL = 'journal.jsonl';
const reduction = { reducer: 'reduceImage', settings: { threshold: 0.1 }, outputHash: 'f'.repeat(64), bytesSaved: 40, cpuMs: 12 };

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: Error) => error,
  );
}

describe('openLedger', () => {
  let dir: string | undefined;
  let ledger: Ledger | undefined;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
    await removeDir(dir);
  });

  /** Opens with a big compactAfter, so lines stay in the journal for the crash tests. */
  const openJournalOnly = (extra: { now?: () => number } = {}) =>
    openLedger({ dir: dir!, fsync: false, compactAfter: 10_000, ...extra });

  it('should read back after reopening everything that was written', async () => {
    ledger = await openLedger({ dir: dir!, now: steppingClock() });
    await ledger.record(fileKey('a.tif'));
    await ledger.record({ ...fileKey('b.tif'), state: 'reduced', reduction });
    await ledger.transition(fileKey('a.tif'), 'uploading');
    await ledger.transition(fileKey('a.tif'), 'acknowledged');
    const before = ledger.entries();
    await ledger.close();

    ledger = await openLedger({ dir: dir! });
    expect(ledger.entries()).to.deep.equal(before);
    expect(ledger.get(fileKey('a.tif').path)).to.include({ state: 'acknowledged', attempts: 1 });
    expect(ledger.get(fileKey('b.tif').path)?.reduction).to.deep.equal(reduction);
  });

  it('should keep entries identical whether they come from the journal or the snapshot', async () => {
    ledger = await openLedger({ dir: dir!, fsync: false, compactAfter: 3, now: steppingClock() });
    for (const name of ['a', 'b', 'c', 'd', 'e']) {
      await ledger.record(fileKey(name));
    }
    await ledger.flush();
    const journalLines = (await readFile(join(dir!, JOURNAL), 'utf8')).split('\n').filter(Boolean);
    expect(journalLines).to.have.length(2); // 3 compacted away, 2 since
    const before = ledger.entries();
    await ledger.close();
    ledger = await openJournalOnly();
    expect(ledger.entries()).to.deep.equal(before);
  });

  it('should wait for eight times as many journal lines as the ledger holds entries before the next snapshot', async () => {
    // A snapshot writes every entry; taken every `compactAfter` lines, a growing ledger would
    // write more per record the larger it gets. Taken after eight lines an entry, it costs each
    // record a constant share (an eighth of an entry).
    ledger = await openLedger({ dir: dir!, fsync: false, compactAfter: 3 });
    const names = Array.from({ length: 10 }, (_, i) => `f${i}`);
    for (const name of names) await ledger.record(fileKey(name));
    await ledger.compact();
    const journalLines = async () => (await readFile(join(dir!, JOURNAL), 'utf8')).split('\n').filter(Boolean).length;
    for (let round = 0; round < 7; round += 1) {
      for (const name of names) await ledger.record({ ...fileKey(name), attempts: round + 1 });
    }
    await ledger.flush();
    expect(await journalLines()).to.equal(70); // 70 < 80: no snapshot yet, though 70 > 3
    for (const name of names) await ledger.record({ ...fileKey(name), attempts: 8 });
    await ledger.flush();
    expect(await journalLines()).to.equal(0); // the 80th line paid for the snapshot
    for (const name of names.slice(0, 9)) await ledger.transition(fileKey(name), 'uploading');
    await ledger.flush();
    expect(await journalLines()).to.equal(9); // 9 < 80: no snapshot yet, though 9 > 3
  });

  it('should journal a change of state as a short line naming the whole one, and read it back identically', async () => {
    ledger = await openJournalOnly({ now: steppingClock() });
    await ledger.record(fileKey('a.tif'));
    await ledger.transition(fileKey('a.tif'), 'reducing');
    await ledger.transition(fileKey('a.tif'), 'reduced', { reduction });
    await ledger.transition(fileKey('a.tif'), 'uploading');
    await ledger.transition(fileKey('a.tif'), 'failed', { lastError: 'HTTP 503', permanent: false });
    await ledger.transition(fileKey('a.tif'), 'uploading');
    await ledger.transition(fileKey('a.tif'), 'acknowledged', { lastError: null });
    await ledger.flush();
    const lines = (await readFile(join(dir!, JOURNAL), 'utf8')).split('\n').filter(Boolean);
    expect(lines).to.have.length(7);
    expect(lines[0]).to.contain('"entry":');
    for (const line of lines.slice(1)) {
      expect(line).to.contain('"of":1,').and.not.contain(fileKey('a.tif').path);
    }
    const shortest = Math.max(...lines.slice(1).filter((line) => !line.includes('reduction')).map((line) => Buffer.byteLength(line)));
    expect(shortest).to.be.below(Buffer.byteLength(lines[0]!) / 2);
    const before = ledger.entries();
    await ledger.close();
    ledger = await openJournalOnly();
    expect(ledger.entries()).to.deep.equal(before);
    expect(ledger.get(fileKey('a.tif').path)).to.include({ state: 'acknowledged', attempts: 2 });
    expect(ledger.get(fileKey('a.tif').path)).to.not.have.property('lastError');
    expect(ledger.get(fileKey('a.tif').path)?.reduction).to.deep.equal(reduction);
  });

  it('should write an entry whole again after a compaction, so no short line names a line the snapshot covers', async () => {
    ledger = await openJournalOnly({ now: steppingClock() });
    await ledger.record(fileKey('a.tif'));
    await ledger.compact();
    await ledger.transition(fileKey('a.tif'), 'uploading');
    await ledger.transition(fileKey('a.tif'), 'acknowledged');
    await ledger.flush();
    const lines = (await readFile(join(dir!, JOURNAL), 'utf8')).split('\n').filter(Boolean);
    expect(lines).to.have.length(2);
    expect(lines[0]).to.contain('"entry":').and.contain('"uploading"');
    expect(lines[1]).to.contain('"of":2,');
    const before = ledger.entries();
    await ledger.close();
    ledger = await openJournalOnly();
    expect(ledger.entries()).to.deep.equal(before);
  });

  it('should report the short lines of a damaged whole line as damage and keep the state before them', async () => {
    ledger = await openJournalOnly();
    await ledger.record(fileKey('a.tif'));
    await ledger.record(fileKey('b.tif'));
    await ledger.transition(fileKey('b.tif'), 'uploading');
    await ledger.transition(fileKey('a.tif'), 'uploading');
    await ledger.close();
    const journal = join(dir!, JOURNAL);
    const lines = (await readFile(journal, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('b.tif', 'x.tif'); // b's whole line fails its check
    await writeFile(journal, lines.join('\n'));

    const reopened = await openJournalOnly();
    ledger = reopened;
    expect(reopened.entries().map((e) => [e.path, e.state])).to.deep.equal([[fileKey('a.tif').path, 'uploading']]);
    expect(reopened.repair?.damage.map((d) => [d.line, d.reason])).to.deep.equal([
      [2, 'checksum mismatch'],
      [3, 'not a ledger record'],
    ]);
  });

  it('should ignore a torn last line and keep appending after it', async () => {
    ledger = await openJournalOnly();
    await ledger.record(fileKey('a.tif'));
    await ledger.record(fileKey('b.tif'));
    await ledger.transition(fileKey('b.tif'), 'uploading');
    await ledger.close();
    const journal = join(dir!, JOURNAL);
    const { size } = await stat(journal);
    await truncate(journal, size - 20); // cut the last append mid-line, as a crash would

    ledger = await openJournalOnly();
    expect(ledger.get(fileKey('a.tif').path)?.state).to.equal('seen');
    expect(ledger.get(fileKey('b.tif').path)?.state).to.equal('seen');
    await ledger.record(fileKey('c.tif'));
    await ledger.close();

    ledger = await openJournalOnly();
    expect(ledger.entries().map((e) => e.path)).to.deep.equal(['a.tif', 'b.tif', 'c.tif'].map((n) => fileKey(n).path));
  });

  it('should skip a line whose checksum does not match and apply the lines after it', async () => {
    ledger = await openJournalOnly();
    await ledger.record(fileKey('a.tif'));
    await ledger.record(fileKey('b.tif'));
    await ledger.record(fileKey('c.tif'));
    await ledger.close();
    const journal = join(dir!, JOURNAL);
    const lines = (await readFile(journal, 'utf8')).split('\n');
    lines[1] = lines[1]!.replace('b.tif', 'x.tif');
    await writeFile(journal, lines.join('\n'));

    ledger = await openJournalOnly();
    expect(ledger.entries().map((e) => e.path)).to.deep.equal([fileKey('a.tif').path, fileKey('c.tif').path]);
  });

  it('should ignore a snapshot temp file left by a compaction that crashed before its rename', async () => {
    ledger = await openJournalOnly();
    await ledger.record(fileKey('a.tif'));
    await ledger.close();
    await writeFile(join(dir!, 'snapshot.json.tmp'), '{"half a snap');

    ledger = await openJournalOnly();
    expect(ledger.entries().map((e) => e.path)).to.deep.equal([fileKey('a.tif').path]);
    expect(await readdir(dir!)).to.not.include('snapshot.json.tmp');
  });

  it('should not replay journal lines a snapshot already covers (crash before the journal truncation)', async () => {
    ledger = await openJournalOnly();
    await ledger.record(fileKey('a.tif'));
    await ledger.transition(fileKey('a.tif'), 'uploading');
    await ledger.close();
    const oldJournal = await readFile(join(dir!, JOURNAL), 'utf8');

    ledger = await openJournalOnly();
    await ledger.transition(fileKey('a.tif'), 'acknowledged');
    await ledger.compact();
    await ledger.close();
    await writeFile(join(dir!, JOURNAL), oldJournal);

    ledger = await openJournalOnly();
    expect(ledger.get(fileKey('a.tif').path)).to.include({ state: 'acknowledged', attempts: 1 });
  });

  it('should refuse to open over a corrupt snapshot rather than forget what was sent', async () => {
    ledger = await openJournalOnly();
    await ledger.record(fileKey('a.tif'));
    await ledger.compact();
    await ledger.close();
    ledger = undefined;
    const snapshot = join(dir!, 'snapshot.json');
    await writeFile(snapshot, (await readFile(snapshot, 'utf8')).replace('a.tif', 'b.tif'));

    const error = await rejection(openJournalOnly());
    expect(error.message).to.contain('snapshot').and.contain('corrupt');
    // The failed open must not keep the lock.
    expect(await readdir(dir!)).to.not.include('ledger.lock');
  });

  it('should record state transitions, counting upload attempts', async () => {
    ledger = await openJournalOnly({ now: steppingClock(5_000) });
    const key = fileKey('a.tif');
    const seen = await ledger.record(key);
    expect(seen).to.deep.equal({ ...key, state: 'seen', attempts: 0, createdAt: 5_001, updatedAt: 5_001 });
    const states: LedgerState[] = ['reducing', 'reduced', 'uploading', 'failed', 'uploading', 'acknowledged'];
    for (const state of states) {
      await ledger.transition(key, state, state === 'reduced' ? { reduction } : {});
    }
    expect(ledger.getByKey(key)).to.deep.equal({
      ...key,
      state: 'acknowledged',
      attempts: 2,
      reduction,
      createdAt: 5_001,
      updatedAt: 5_007,
    });
  });

  it('should store errors redacted, keep them across transitions and clear them on null', async () => {
    ledger = await openJournalOnly({ now: steppingClock() });
    const key = fileKey('a.tif');
    await ledger.record(key);
    const error = new Error('POST https://agent:s3cret@gateway.example/stream failed, Authorization: Bearer abcdefghijkl');
    const failed = await ledger.transition(key, 'failed', { lastError: error });
    expect(failed.lastError).to.equal(
      'Error: POST https://***@gateway.example/stream failed, Authorization: ***',
    );
    expect(failed.lastError).to.not.contain('s3cret').and.not.contain('abcdefghijkl');
    expect((await ledger.transition(key, 'uploading')).lastError).to.equal(failed.lastError);
    expect((await ledger.transition(key, 'acknowledged', { lastError: null })).lastError).to.equal(undefined);
  });

  it('should redact tokens, passwords and proxy credentials in error text and causes', async () => {
    ledger = await openJournalOnly();
    const key = fileKey('a.tif');
    await ledger.record({ ...key, lastError: 'GET https://gw.example/x?api_key=K3Y&x=1 failed; password: hunter2' });
    expect(ledger.getByKey(key)?.lastError).to.equal('GET https://gw.example/x?api_key=***&x=1 failed; password: ***');
    const cause = Object.assign(new Error('connect ECONNREFUSED via http://u:pw@proxy:8080'), { code: 'ECONNREFUSED' });
    await ledger.transition(key, 'failed', { lastError: new Error('fetch failed', { cause }) });
    expect(ledger.getByKey(key)?.lastError).to.equal(
      'Error: fetch failed; cause: connect ECONNREFUSED via http://***@proxy:8080 (ECONNREFUSED)',
    );
    await ledger.close();
    expect(await readFile(join(dir!, JOURNAL), 'utf8')).to.not.match(/K3Y|hunter2|u:pw/);
  });

  it('should treat the same path with new content as a new entry and return the newest from get', async () => {
    ledger = await openJournalOnly({ now: steppingClock() });
    await ledger.record(fileKey('a.tif', 0));
    await ledger.transition(fileKey('a.tif', 0), 'acknowledged');
    await ledger.record(fileKey('a.tif', 1));
    expect(ledger.entries()).to.have.length(2);
    expect(ledger.get(fileKey('a.tif').path)).to.include({ size: 101, state: 'seen' });
    expect(ledger.isAcknowledged(fileKey('a.tif').path, 100, fileKey('a.tif', 0).mtimeMs)).to.equal(true);
    expect(ledger.isAcknowledged(fileKey('a.tif').path, 101, fileKey('a.tif', 1).mtimeMs)).to.equal(false);
    expect(ledger.isAcknowledgedByHash(fileKey('a.tif', 0).hash)).to.equal(true);
    expect(ledger.isAcknowledgedByHash(fileKey('a.tif', 1).hash)).to.equal(false);
  });

  it('should list as pending everything not acknowledged, not permanently failed and not superseded', async () => {
    ledger = await openJournalOnly({ now: steppingClock() });
    await ledger.record(fileKey('seen'));
    await ledger.record({ ...fileKey('uploading'), state: 'uploading' });
    await ledger.record({ ...fileKey('retry'), state: 'failed', lastError: 'HTTP 503' });
    await ledger.record({ ...fileKey('hopeless'), state: 'failed', permanent: true, lastError: 'HTTP 401' });
    await ledger.record({ ...fileKey('done'), state: 'acknowledged' });
    await ledger.record(fileKey('rewritten', 0));
    await ledger.record(fileKey('rewritten', 1));
    expect(ledger.pending().map((e) => [e.path, e.size])).to.deep.equal([
      [fileKey('seen').path, 100],
      [fileKey('uploading').path, 100],
      [fileKey('retry').path, 100],
      [fileKey('rewritten').path, 101],
    ]);
    const summary = ledger.summary();
    expect(summary).to.deep.include({
      total: 7,
      counts: { seen: 3, reducing: 0, reduced: 0, uploading: 1, acknowledged: 1, failed: 2 },
      pending: 4,
      oldestPending: { path: fileKey('seen').path, state: 'seen', createdAt: 1_001 },
    });
    expect(summary.lastError).to.deep.equal({ path: fileKey('hopeless').path, message: 'HTTP 401', at: 1_004 });
  });

  it('should drop the permanent flag when a failed entry moves on', async () => {
    ledger = await openJournalOnly();
    await ledger.record({ ...fileKey('a'), state: 'failed', permanent: true });
    expect(ledger.pending()).to.deep.equal([]);
    const retried = await ledger.transition(fileKey('a'), 'uploading');
    expect(retried.permanent).to.equal(undefined);
    expect(ledger.pending()).to.have.length(1);
  });

  it('should resolve concurrent writes in call order and persist them all', async () => {
    ledger = await openLedger({ dir: dir!, compactAfter: 7 });
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => ledger!.record(fileKey(`f${i}`)).then(() => order.push(i))),
    );
    expect(order).to.deep.equal(Array.from({ length: 30 }, (_, i) => i));
    await ledger.close();
    ledger = await openJournalOnly();
    expect(ledger.entries()).to.have.length(30);
  });

  it('should reject malformed writes and a transition of an unknown file', async () => {
    ledger = await openJournalOnly();
    expect((await rejection(ledger.record({ ...fileKey('a'), hash: 'nope' }))).message).to.equal(
      'Expected `hash` to be 64 lowercase hex digits, got "nope"',
    );
    expect(await rejection(ledger.record({ ...fileKey('a'), size: -1 }))).to.be.instanceOf(TypeError);
    expect(await rejection(ledger.record({ ...fileKey('a'), state: 'lost' as LedgerState }))).to.be.instanceOf(TypeError);
    expect((await rejection(ledger.transition(fileKey('a'), 'uploading'))).message).to.contain('No ledger entry for /data/in/a');
    expect(ledger.entries()).to.deep.equal([]);
  });

  it('should throw a TypeError at once on invalid options', () => {
    expect(() => openLedger({ dir: '' })).to.throw(TypeError, 'Expected `dir` to be a non-empty string, got ""');
    expect(() => openLedger({ dir: dir!, compactAfter: 0 })).to.throw(TypeError, 'Expected `compactAfter` to be an integer >= 1, got 0');
  });

  it('should refuse writes after close, release the lock and close idempotently', async () => {
    ledger = await openJournalOnly();
    const pendingWrite = ledger.record(fileKey('a'));
    const closing = ledger.close();
    await pendingWrite; // queued before close, so it still lands
    expect((await rejection(ledger.record(fileKey('b')))).message).to.contain('closed');
    await closing;
    await ledger.close();
    expect(await readdir(dir!)).to.not.include('ledger.lock');
    ledger = await openJournalOnly();
    expect(ledger.entries().map((e) => e.path)).to.deep.equal([fileKey('a').path]);
  });

  it('should refuse a second open of the same directory, naming the holder pid', async () => {
    ledger = await openJournalOnly();
    const error = await rejection(openJournalOnly());
    expect(error).to.be.instanceOf(LedgerLockedError);
    expect((error as LedgerLockedError).pid).to.equal(process.pid);
    expect(error.message).to.contain(`process ${process.pid}`).and.contain('ledger.lock');
    // The refused open must leave the holder's lock alone.
    expect(await readLockPid(join(dir!, 'ledger.lock'))).to.equal(process.pid);
  });

  it('should take over a stale lock whose process is dead', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(join(dir!, 'ledger.lock'), `${dead}\n`);
    ledger = await openJournalOnly();
    expect(await readLockPid(join(dir!, 'ledger.lock'))).to.equal(process.pid);
  });

  it('should take over a lock naming our own pid that this process does not hold (container restart as pid 1)', async () => {
    await writeFile(join(dir!, 'ledger.lock'), `${process.pid}\n`);
    ledger = await openJournalOnly();
    await ledger.record(fileKey('a'));
    expect(await readLockPid(join(dir!, 'ledger.lock'))).to.equal(process.pid);
  });

  it('should hand out frozen entries so callers cannot change the ledger behind its back', async () => {
    ledger = await openJournalOnly();
    const entry = await ledger.record({ ...fileKey('a'), state: 'reduced', reduction });
    expect(Object.isFrozen(entry)).to.equal(true);
    expect(Object.isFrozen(entry.reduction?.settings)).to.equal(true);
    expect(ledger.get(entry.path)).to.equal(entry);
  });

  it('should reject an entry that cannot be written as JSON without recording it', async () => {
    ledger = await openJournalOnly();
    const bad = { ...reduction, settings: { big: 1n } };
    expect(await rejection(ledger.record({ ...fileKey('a'), reduction: bad }))).to.be.instanceOf(TypeError);
    expect(ledger.entries()).to.deep.equal([]);
  });

  it('should keep every acknowledged write after being killed with SIGKILL at a random moment', async function () {
    this.timeout(15_000);
    const child = fileURLToPath(new URL('./ledgerCrashChild.ts', import.meta.url));
    const order: LedgerState[] = ['seen', 'uploading', 'acknowledged'];
    for (let run = 0; run < 5; run += 1) {
      const runDir = join(dir!, `run${run}`);
      const printed = await new Promise<string>((resolve, reject) => {
        const proc = spawn(process.execPath, ['--import', 'tsx', child, runDir], {
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        let err = '';
        let timer: NodeJS.Timeout | undefined;
        const guard = setTimeout(() => proc.kill('SIGKILL'), 8_000);
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          // From the first acknowledgement printed, so a loaded machine cannot kill it before any.
          if (timer === undefined && out.startsWith('ready\n') && out.split('\n').length > 2) {
            timer = setTimeout(() => proc.kill('SIGKILL'), Math.floor(Math.random() * 200));
          }
        });
        proc.stderr.on('data', (chunk: Buffer) => {
          err += chunk.toString();
        });
        proc.on('error', reject);
        proc.on('close', (_code, signal) => {
          clearTimeout(guard);
          clearTimeout(timer);
          if (signal !== 'SIGKILL' || !out.startsWith('ready\n')) {
            reject(new Error(`child ended with ${signal}: ${err}`));
          } else {
            resolve(out);
          }
        });
      });
      // Only whole lines: the kill may cut the last print.
      const acknowledged = printed
        .split('\n')
        .slice(1, -1)
        .map((line) => JSON.parse(line) as { path: string; state: LedgerState });
      expect(acknowledged.length, `run ${run} printed nothing`).to.be.greaterThan(0);

      const reopened = await openLedger({ dir: runDir, fsync: false });
      try {
        for (const { path, state } of acknowledged) {
          const entry = reopened.get(path);
          expect(entry, `${path} lost in run ${run}`).to.not.equal(undefined);
          expect(order.indexOf(entry!.state), `${path} went back from ${state} in run ${run}`).to.be.at.least(order.indexOf(state));
        }
        const paths = reopened.entries().map((e) => e.path);
        expect(new Set(paths).size).to.equal(paths.length);
      } finally {
        await reopened.close();
      }
    }
  });
});
