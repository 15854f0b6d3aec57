import { expect } from 'chai';
import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ledger } from '../../src/state/Ledger.js';
import type { LedgerRepair } from '../../src/state/LedgerRepair.js';
import { encodeLine } from '../../src/state/journal.js';
import { openLedger } from '../../src/state/openLedger.js';
import { readLedgerSummary } from '../../src/state/readLedgerSummary.js';
import { describeRepair, readRepairNote } from '../../src/state/repairNote.js';
import { fileKey, makeTempDir, removeDir } from './ledgerTestKit.js';

const JOURNAL = 'journal.jsonl';

describe('openLedger repairs', () => {
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

  const open = () => openLedger({ dir: dir!, fsync: false, compactAfter: 10_000, now: () => 1_700_000_000_000 });

  /** Three records in the journal (a, b, c); returns the byte offset where each line starts. */
  const threeLines = async (): Promise<number[]> => {
    ledger = await open();
    await ledger.record(fileKey('a.tif'));
    await ledger.record(fileKey('b.tif'));
    await ledger.record(fileKey('c.tif'));
    await ledger.close();
    ledger = undefined;
    const lines = (await readFile(join(dir!, JOURNAL), 'utf8')).split('\n');
    return [0, lines[0]!.length + 1, lines[0]!.length + lines[1]!.length + 2];
  };

  const paths = (): string[] => ledger!.entries().map((entry) => entry.path);

  it('should report nothing and write no note when the ledger reads back whole', async () => {
    await threeLines();
    ledger = await open();
    expect(ledger.repair).to.equal(undefined);
    expect(await readdir(dir!)).to.not.include('repair.json');
  });

  it('should report a last line cut short with its line number and byte offset', async () => {
    const starts = await threeLines();
    const { size } = await stat(join(dir!, JOURNAL));
    await truncate(join(dir!, JOURNAL), size - 20);

    ledger = await open();
    expect(paths()).to.deep.equal([fileKey('a.tif').path, fileKey('b.tif').path]);
    const repair = ledger.repair as LedgerRepair;
    expect(repair).to.include({ dir: dir!, dropped: 1, at: 1_700_000_000_000 });
    expect(repair.damage).to.have.length(1);
    expect(repair.damage[0]).to.include({ file: JOURNAL, line: 3, offset: starts[2], length: size - 20 - starts[2]!, reason: 'cut short' });
    expect(describeRepair(repair)).to.contain(`dropped 1 record (journal.jsonl line 3 (byte ${starts[2]}`).and.contain('cut short');
  });

  it('should report garbage appended after the last record, line by line', async () => {
    const starts = await threeLines();
    const { size } = await stat(join(dir!, JOURNAL));
    await appendFile(join(dir!, JOURNAL), 'garbage\n\u0000\u0000\u0000 more garbage');

    ledger = await open();
    expect(paths()).to.have.length(3);
    const repair = ledger.repair as LedgerRepair;
    expect(repair.dropped).to.equal(2);
    expect(repair.damage[0]).to.include({ file: JOURNAL, line: 4, offset: size, length: 7, reason: 'checksum mismatch' });
    expect(repair.damage[0]!.excerpt).to.equal('"garbage"');
    expect(repair.damage[1]).to.include({ file: JOURNAL, line: 5, offset: size + 8, reason: 'cut short' });
    expect(starts).to.have.length(3);
  });

  it('should report a flipped byte in the middle and keep the records after it', async () => {
    const starts = await threeLines();
    const bytes = await readFile(join(dir!, JOURNAL));
    bytes[starts[1]! + 40]! ^= 0x04;
    await writeFile(join(dir!, JOURNAL), bytes);

    ledger = await open();
    expect(paths()).to.deep.equal([fileKey('a.tif').path, fileKey('c.tif').path]);
    const repair = ledger.repair as LedgerRepair;
    expect(repair.dropped).to.equal(1);
    expect(repair.damage[0]).to.include({ file: JOURNAL, line: 2, offset: starts[1], length: starts[2]! - starts[1]! - 1, reason: 'checksum mismatch' });
  });

  it('should report a snapshot entry that is not a ledger record', async () => {
    ledger = await open();
    const entry = await ledger.record(fileKey('a.tif'));
    await ledger.close();
    ledger = undefined;
    await writeFile(join(dir!, 'snapshot.json'), encodeLine({ version: 1, lastSeq: 1, entries: [entry, { path: 'half an entry' }] }));
    await writeFile(join(dir!, JOURNAL), '');

    ledger = await open();
    expect(paths()).to.deep.equal([fileKey('a.tif').path]);
    expect(ledger.repair?.damage).to.deep.equal([
      { file: 'snapshot.json', line: 2, offset: 0, length: 24, reason: 'not a ledger record', excerpt: JSON.stringify('{"path":"half an entry"}') },
    ]);
  });

  it('should keep a note of the last repair for status, and not report the same damage twice', async () => {
    await threeLines();
    await appendFile(join(dir!, JOURNAL), 'garbage\n');
    ledger = await open();
    const repair = ledger.repair;
    expect(repair?.dropped).to.equal(1);
    await ledger.close();

    ledger = await open();
    expect(ledger.repair).to.equal(undefined);
    expect(await readRepairNote(dir!)).to.deep.equal(repair);
    const summary = await readLedgerSummary(dir!);
    expect(summary.lastRepair).to.deep.equal(repair);
    expect(summary.unreadable).to.equal(undefined);
  });

  it('should show damage not yet repaired in the summary without touching the files', async () => {
    await threeLines();
    await appendFile(join(dir!, JOURNAL), 'garbage\n');
    const before = await readFile(join(dir!, JOURNAL));
    const summary = await readLedgerSummary(dir!);
    expect(summary.unreadable?.dropped).to.equal(1);
    expect(summary.unreadable?.damage[0]).to.include({ line: 4, reason: 'checksum mismatch' });
    expect(summary.lastRepair).to.equal(undefined);
    expect(await readFile(join(dir!, JOURNAL))).to.deep.equal(before);
  });
});
