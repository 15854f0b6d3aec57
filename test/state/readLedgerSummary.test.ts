import { expect } from 'chai';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ledger } from '../../src/state/Ledger.js';
import { openLedger } from '../../src/state/openLedger.js';
import { readLedgerSummary } from '../../src/state/readLedgerSummary.js';
import { fileKey, makeTempDir, removeDir, steppingClock } from './ledgerTestKit.js';

describe('readLedgerSummary', () => {
  let dir: string | undefined;
  let ledger: Ledger | undefined;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await ledger?.close();
    await removeDir(dir);
  });

  it('should read an empty summary for a missing directory', async () => {
    const summary = await readLedgerSummary(join(dir!, 'never-created'));
    expect(summary).to.deep.equal({
      total: 0,
      counts: { seen: 0, reducing: 0, reduced: 0, uploading: 0, acknowledged: 0, failed: 0 },
      pending: 0,
    });
  });

  it('should match the open ledger and name the running agent while it holds the lock', async () => {
    ledger = await openLedger({ dir: dir!, fsync: false, now: steppingClock() });
    await ledger.record(fileKey('a'));
    await ledger.record({ ...fileKey('b'), state: 'failed', lastError: 'HTTP 503' });
    await ledger.record({ ...fileKey('c'), state: 'acknowledged' });
    expect(await readLedgerSummary(dir!)).to.deep.equal({ ...ledger.summary(), runningPid: process.pid });

    const expected = ledger.summary();
    await ledger.close();
    ledger = undefined;
    // A torn tail (a crash mid-append) is ignored here too, and nothing is written; with no agent
    // running it is reported as unreadable, since the next open will drop it.
    await appendFile(join(dir!, 'journal.jsonl'), '0123456789abcdef {"seq":99,"ent');
    const { unreadable, ...rest } = await readLedgerSummary(dir!);
    expect(rest).to.deep.equal(expected);
    expect(unreadable?.dropped).to.equal(1);
    expect(unreadable?.damage[0]).to.include({ file: 'journal.jsonl', line: 4, reason: 'cut short', length: 31 });
  });
});
