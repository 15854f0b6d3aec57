import { expect } from 'chai';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ledger } from '../../src/state/Ledger.js';
import { openLedger } from '../../src/state/openLedger.js';
import { readLedgerSummary } from '../../src/state/readLedgerSummary.js';
import { mountSmallDisk, type SmallDisk } from '../faults/diskKit.js';
import { fileKey } from './ledgerTestKit.js';

const until = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('openLedger on a real disk that fills up (tmpfs)', function () {
  this.timeout(30_000);
  let disk: SmallDisk | undefined;
  let ledger: Ledger | undefined;

  before(async function () {
    const mounted = await mountSmallDisk('256k');
    if (typeof mounted === 'string') {
      console.warn(`      skipped: ${mounted}`);
      this.skip();
    }
    disk = mounted;
  });

  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
    await disk?.free();
  });

  after(async () => {
    await disk?.remove();
  });

  /** Bytes a failed append really left behind in the journal, before the ledger cut them off. */
  let leftBehind: number[] = [];
  const open = (name: string) =>
    openLedger({
      dir: join(disk!.dir, name),
      compactAfter: 10_000,
      writeRetry: { baseMs: 20, capMs: 100 },
      journalFile: (file) => ({
        ...file,
        append: async (text) => {
          const path = join(disk!.dir, name, 'journal.jsonl');
          const before = (await stat(path)).size;
          try {
            await file.append(text);
          } catch (error) {
            leftBehind.push((await stat(path)).size - before);
            throw error;
          }
        },
      }),
    });

  it('should wait for space, cut back the partial line the full disk left, and lose nothing', async () => {
    ledger = await open('partial');
    await ledger.record(fileKey('a'));
    await ledger.record(fileKey('b'));
    const journal = join(disk!.dir, 'partial', 'journal.jsonl');
    await disk!.fill();
    leftBehind = [];

    // One batch of ~6 KiB: the journal's page has room for part of it, so the append is cut short.
    const long = 'x'.repeat(900);
    const writes = ['c', 'd', 'e', 'f', 'g', 'h'].map((name) => ledger!.record({ ...fileKey(name), lastError: `${name} ${long}` }));
    let landed = false;
    void Promise.all(writes).then(() => {
      landed = true;
    });
    await until(() => ledger!.health().state === 'degraded', 'the ledger reports the full disk');
    expect(ledger.health()).to.deep.include({ state: 'degraded', code: 'ENOSPC' });
    expect(leftBehind[0], 'the full disk took part of a line').to.be.greaterThan(0);
    const text = await readFile(journal, 'utf8');
    expect(text.endsWith('\n'), 'no partial line stays in the journal').to.equal(true);
    expect((await readLedgerSummary(join(disk!.dir, 'partial'))).unreadable).to.equal(undefined);
    expect(landed).to.equal(false);

    await disk!.free();
    await Promise.all(writes);
    expect(ledger.health().state).to.equal('ok');
    expect(ledger.health().failedWrites).to.be.greaterThan(0);
    await ledger.close();

    ledger = await open('partial');
    expect(ledger.repair).to.equal(undefined);
    expect(ledger.entries().map((entry) => entry.path)).to.deep.equal(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((name) => fileKey(name).path));
  });

  it('should open on a disk that is already full and write once space returns', async () => {
    await disk!.fill();
    ledger = await open('fresh');
    expect(ledger.health().state).to.equal('ok');
    const write = ledger.record(fileKey('a'));
    await until(() => ledger!.health().state === 'degraded', 'the first write finds the disk full');
    await disk!.free();
    await write;
    expect(ledger.health().state).to.equal('ok');
    expect((await stat(join(disk!.dir, 'fresh', 'journal.jsonl'))).size).to.be.greaterThan(0);
  });

  it('should open a ledger with a journal to compact on a full disk, keeping the journal instead', async () => {
    ledger = await open('reopen');
    await ledger.record(fileKey('a'));
    await ledger.close();
    await disk!.fill();

    ledger = await open('reopen');
    expect(ledger.entries().map((entry) => entry.path)).to.deep.equal([fileKey('a').path]);
    const write = ledger.transition(fileKey('a'), 'acknowledged');
    await disk!.free();
    await write;
    await ledger.close();
    ledger = await open('reopen');
    expect(ledger.get(fileKey('a').path)?.state).to.equal('acknowledged');
  });
});
