import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { filter, firstValueFrom, VirtualAction, VirtualTimeScheduler } from 'rxjs';
import type { JournalFile } from '../../src/state/durableWrites.js';
import type { Ledger } from '../../src/state/Ledger.js';
import type { LedgerHealth } from '../../src/state/LedgerHealth.js';
import { openLedger } from '../../src/state/openLedger.js';
import { fileKey, makeTempDir, removeDir } from './ledgerTestKit.js';

/** Resolves once the ledger has failed its `attempt`-th try of the current spell and is waiting to retry. */
const failedAttempt = (ledger: Ledger, attempt: number): Promise<LedgerHealth> =>
  firstValueFrom(ledger.healthChanges.pipe(filter((health) => health.state === 'degraded' && health.attempt === attempt)));

const ioError = (code: string): Error => Object.assign(new Error(`${code}: simulated, write`), { code });

/**
 * A journal whose next `failures` appends write half their text and then fail with `code`, the
 * way a write that runs out of space leaves part of itself behind.
 */
function failingJournal(code: string): { wrap: (file: JournalFile) => JournalFile; failures: number; appends: number } {
  const control = {
    failures: 0,
    appends: 0,
    wrap: (file: JournalFile): JournalFile => ({
      ...file,
      append: async (text: string) => {
        control.appends += 1;
        if (control.failures === 0) return file.append(text);
        control.failures -= 1;
        await file.append(text.slice(0, Math.floor(text.length / 2)));
        throw ioError(code);
      },
    }),
  };
  return control;
}

describe('openLedger when the disk cannot be written', () => {
  let dir: string | undefined;
  let ledger: Ledger | undefined;
  let scheduler: VirtualTimeScheduler;

  beforeEach(async () => {
    dir = await makeTempDir();
    scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  });

  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
    await removeDir(dir);
  });

  const journalText = (): Promise<string> => readFile(join(dir!, 'journal.jsonl'), 'utf8');

  it('should retry an EIO write with backoff 1 s, 2 s, 4 s in virtual time, keeping later writes waiting in order', async () => {
    const journal = failingJournal('EIO');
    ledger = await openLedger({ dir: dir!, fsync: false, compactAfter: 10_000, scheduler, journalFile: journal.wrap });
    const seen: LedgerHealth[] = [];
    ledger.healthChanges.subscribe((health) => seen.push(health));
    await ledger.record(fileKey('before'));
    const goodText = await journalText();

    journal.failures = 3;
    const landed: string[] = [];
    const first = ledger.record(fileKey('a')).then(() => landed.push('a'));
    const second = ledger.record(fileKey('b')).then(() => landed.push('b'));
    await failedAttempt(ledger, 1);
    expect(ledger.health()).to.deep.include({ state: 'degraded', code: 'EIO', attempt: 1, retryInMs: 1000, since: 0, failedWrites: 1 });
    // The half line the failed append left was cut off at once.
    expect(await journalText()).to.equal(goodText);
    expect(landed).to.deep.equal([]);

    scheduler.flush();
    await failedAttempt(ledger, 2);
    expect(scheduler.now()).to.equal(1000);
    expect(ledger.health()).to.deep.include({ state: 'degraded', attempt: 2, retryInMs: 2000, since: 0, failedWrites: 2 });
    scheduler.flush();
    await failedAttempt(ledger, 3);
    expect(scheduler.now()).to.equal(3000);
    expect(ledger.health()).to.deep.include({ state: 'degraded', attempt: 3, retryInMs: 4000, failedWrites: 3 });
    expect(landed).to.deep.equal([]);

    scheduler.flush();
    await Promise.all([first, second]);
    expect(scheduler.now()).to.equal(7000);
    expect(landed).to.deep.equal(['a', 'b']);
    expect(ledger.health()).to.deep.equal({ state: 'ok', failedWrites: 3 });
    expect(seen.map((health) => health.state)).to.deep.equal(['ok', 'degraded', 'degraded', 'degraded', 'ok']);

    await ledger.close();
    ledger = await openLedger({ dir: dir!, fsync: false });
    expect(ledger.repair, 'the journal stayed valid').to.equal(undefined);
    expect(ledger.entries().map((entry) => entry.path)).to.deep.equal(['before', 'a', 'b'].map((name) => fileKey(name).path));
  });

  it('should wait out a full disk (ENOSPC) and a failing fsync alike', async () => {
    const journal = failingJournal('ENOSPC');
    let syncFailures = 1;
    ledger = await openLedger({
      dir: dir!,
      compactAfter: 10_000,
      scheduler,
      writeRetry: { baseMs: 500, capMs: 500 },
      journalFile: (file) => {
        const wrapped = journal.wrap(file);
        return {
          ...wrapped,
          sync: async () => {
            if (syncFailures-- > 0) throw ioError('EIO');
            await file.sync();
          },
        };
      },
    });
    journal.failures = 1;
    const write = ledger.record(fileKey('a'));
    await failedAttempt(ledger, 1);
    expect(ledger.health()).to.deep.include({ state: 'degraded', code: 'ENOSPC', retryInMs: 500 });
    scheduler.flush();
    await failedAttempt(ledger, 2);
    // The append went through but its fsync failed: written again after the cap of 500 ms.
    expect(ledger.health()).to.deep.include({ state: 'degraded', code: 'EIO', attempt: 2, retryInMs: 500 });
    scheduler.flush();
    await write;
    expect(scheduler.now()).to.equal(1000);
    expect((await journalText()).split('\n').filter(Boolean)).to.have.length(1);
  });

  it('should still give up for good on an error that waiting cannot fix', async () => {
    const journal = failingJournal('EBADF');
    ledger = await openLedger({ dir: dir!, fsync: false, scheduler, journalFile: journal.wrap });
    journal.failures = 1;
    const error = await ledger.record(fileKey('a')).then(
      () => expect.fail('expected a rejection'),
      (reason: Error) => reason,
    );
    expect(error.message).to.contain('could not be written').and.contain('EBADF');
    expect(ledger.health().state).to.equal('ok');
    expect(await ledger.record(fileKey('b')).catch((reason: Error) => reason.message)).to.contain('could not be written');
  });

  it('should close promptly while degraded, rejecting the writes that never landed and leaving the journal valid', async () => {
    const journal = failingJournal('ENOSPC');
    ledger = await openLedger({ dir: dir!, fsync: false, compactAfter: 10_000, scheduler, journalFile: journal.wrap });
    await ledger.record(fileKey('before'));
    journal.failures = 100;
    const write = ledger.record(fileKey('a')).then(
      () => 'landed',
      (error: Error) => error.message,
    );
    await failedAttempt(ledger, 1);
    const appendsBefore = journal.appends;
    // No virtual time passes: close does not sit out the backoff.
    await ledger.close();
    expect(journal.appends).to.equal(appendsBefore + 1);
    expect(await write).to.contain('ENOSPC');

    ledger = await openLedger({ dir: dir!, fsync: false });
    expect(ledger.repair).to.equal(undefined);
    expect(ledger.entries().map((entry) => entry.path)).to.deep.equal([fileKey('before').path]);
  });

  it('should reject invalid retry settings at once', () => {
    expect(() => openLedger({ dir: dir!, writeRetry: { baseMs: 0 } })).to.throw(TypeError, /writeRetry/);
    expect(() => openLedger({ dir: dir!, writeRetry: { baseMs: 100, capMs: 50 } })).to.throw(TypeError, /baseMs <= capMs/);
  });
});
