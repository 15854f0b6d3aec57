import { expect } from 'chai';
import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { Ledger, LedgerKey } from '../../src/state/Ledger.js';
import type { LedgerEntry } from '../../src/state/LedgerEntry.js';
import { openLedger } from '../../src/state/openLedger.js';
import { readLedgerSummary } from '../../src/state/readLedgerSummary.js';
import { fileKey, makeTempDir, removeDir, steppingClock } from './ledgerTestKit.js';

/** A key with the device and inode an admission records. */
const withIdentity = (name: string, ino: number, version = 0) => ({ ...fileKey(name, version), dev: 2049, ino });

async function collect(entries: AsyncIterable<LedgerEntry>): Promise<LedgerEntry[]> {
  const all: LedgerEntry[] = [];
  for await (const entry of entries) all.push(entry);
  return all;
}

/** What a delivery records for a file the gateway refused (a 413): failed, not for good. */
async function refuse(ledger: Ledger, key: LedgerKey): Promise<void> {
  await ledger.record({ ...key, state: 'seen' });
  await ledger.transition(key, 'uploading');
  await ledger.transition(key, 'failed', { lastError: '413: too large' });
}

async function deliver(ledger: Ledger, key: LedgerKey): Promise<void> {
  await ledger.record({ ...key, state: 'seen' });
  await ledger.transition(key, 'uploading');
  await ledger.transition(key, 'acknowledged');
}

describe('openLedger: the archive of settled entries', () => {
  let dir: string | undefined;
  let ledger: Ledger | undefined;
  const names = Array.from({ length: 10 }, (_, i) => `f${i}.tif`);

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await ledger?.close();
    ledger = undefined;
    await removeDir(dir);
  });

  const open = (keepSettled = 2) => openLedger({ dir: dir!, fsync: false, keepSettled, now: steppingClock() });

  it('should keep only the newest settled entries in memory and find the archived ones by key and by path', async () => {
    ledger = await open();
    for (const name of names.slice(0, 8)) await deliver(ledger, fileKey(name));
    await ledger.record(fileKey('f8.tif'));
    await ledger.record({ ...fileKey('f9.tif'), state: 'failed', permanent: true, lastError: 'gone' });
    await ledger.compact();

    // In memory: the pending f8, and the two most recently settled (f7, f9).
    expect(ledger.entries().map((entry) => entry.path).sort()).to.deep.equal(['/data/in/f7.tif', '/data/in/f8.tif', '/data/in/f9.tif']);
    for (const name of names.slice(0, 7)) {
      expect(ledger.getByKey(fileKey(name))).to.include({ state: 'acknowledged', attempts: 1 });
      expect(ledger.get(fileKey(name).path)).to.include({ state: 'acknowledged' });
      expect(ledger.isAcknowledged(fileKey(name).path, fileKey(name).size, fileKey(name).mtimeMs)).to.equal(true);
    }
    expect(Object.isFrozen(ledger.getByKey(fileKey('f0.tif')))).to.equal(true);
    // By hash, only what is in memory: the archive has no index by hash.
    expect(ledger.isAcknowledgedByHash(fileKey('f7.tif').hash)).to.equal(true);
    expect(ledger.isAcknowledgedByHash(fileKey('f0.tif').hash)).to.equal(false);
    expect((await collect(ledger.archivedEntries())).map((entry) => entry.path).sort()).to.deep.equal(names.slice(0, 7).map((name) => `/data/in/${name}`));
    expect(ledger.pending().map((entry) => entry.path)).to.deep.equal(['/data/in/f8.tif']);
    const summary = ledger.summary();
    expect(summary.total).to.equal(10);
    expect(summary.counts).to.include({ acknowledged: 8, seen: 1, failed: 1 });
    expect(summary.lastError).to.include({ path: '/data/in/f9.tif', message: 'gone' });
  });

  it('should read the same after a restart, and give the same summary to a reader beside it', async () => {
    ledger = await open();
    for (const name of names) await deliver(ledger, fileKey(name));
    await ledger.compact();
    const summary = ledger.summary();
    await ledger.close();

    ledger = await open();
    expect(ledger.entries()).to.have.length(2);
    expect(ledger.getByKey(fileKey('f0.tif'))).to.include({ state: 'acknowledged' });
    expect(ledger.summary()).to.deep.equal(summary);
    expect(await readLedgerSummary(dir!)).to.deep.include({ total: 10, counts: summary.counts, pending: 0 });
  });

  it('should store each archived entry as a tuple without its path (the key has it) and read entries archived before as objects', async () => {
    ledger = await open();
    for (const name of names.slice(0, 4)) await deliver(ledger, fileKey(name));
    await ledger.compact();
    const archived = await collect(ledger.archivedEntries());
    await ledger.close();
    ledger = undefined;
    const db = new ClassicLevel<string, string>(join(dir!, 'archive'));
    await db.open();
    const stored = JSON.parse((await db.get('p/data/in/f0.tif'))!) as unknown[];
    expect(stored[0]).to.be.an('array').that.does.not.include('/data/in/f0.tif');
    // As archives written before tuples have them: an object with its path, and one without.
    await db.put('p/data/in/f1.tif', JSON.stringify([archived.find((entry) => entry.path === '/data/in/f1.tif')]));
    const { path: _path, ...withoutPath } = archived.find((entry) => entry.path === '/data/in/f0.tif')!;
    await db.put('p/data/in/f0.tif', JSON.stringify([withoutPath]));
    await db.close();
    ledger = await open();
    expect(await collect(ledger.archivedEntries())).to.deep.equal(archived);
    expect(ledger.getByKey(fileKey('f1.tif'))).to.include({ path: '/data/in/f1.tif', state: 'acknowledged' });
    expect(ledger.getByKey(fileKey('f0.tif'))).to.include({ path: '/data/in/f0.tif', state: 'acknowledged' });
  });

  it('should count an archived entry once while it is sent again, and archive its new state', async () => {
    ledger = await open(0);
    for (const name of names.slice(0, 3)) await deliver(ledger, fileKey(name));
    await ledger.compact();
    expect(ledger.entries()).to.have.length(0);

    // A resend: the archived f0 moves on, in memory.
    await ledger.record({ ...fileKey('f0.tif'), state: 'seen' });
    expect(ledger.getByKey(fileKey('f0.tif'))).to.include({ state: 'seen', attempts: 1 });
    expect(ledger.pending().map((entry) => entry.path)).to.deep.equal(['/data/in/f0.tif']);
    expect(ledger.summary()).to.deep.include({ total: 3, pending: 1 });
    expect(ledger.summary().counts).to.include({ acknowledged: 2, seen: 1 });

    await ledger.compact(); // f0 is pending: it stays in memory, the archive keeps its old state
    expect(ledger.summary().counts).to.include({ acknowledged: 2, seen: 1 });
    await ledger.close();
    ledger = await open(0);
    expect(ledger.summary()).to.deep.include({ total: 3, pending: 1 });

    await ledger.transition(fileKey('f0.tif'), 'uploading');
    await ledger.transition(fileKey('f0.tif'), 'acknowledged');
    await ledger.compact();
    expect(ledger.entries()).to.have.length(0);
    expect(ledger.getByKey(fileKey('f0.tif'))).to.include({ state: 'acknowledged', attempts: 2 });
    expect(ledger.summary()).to.deep.include({ total: 3, pending: 0 });
    expect(ledger.summary().counts).to.include({ acknowledged: 3, seen: 0 });
  });

  it('should treat a newer version in memory as superseding an archived one, and the reverse', async () => {
    ledger = await open(0);
    await deliver(ledger, fileKey('a.tif', 0));
    await ledger.compact();
    await ledger.record(fileKey('a.tif', 1)); // new content at the same path
    expect(ledger.get('/data/in/a.tif')).to.include({ size: 101, state: 'seen' });
    expect(ledger.pending()).to.have.length(1);

    await ledger.record(fileKey('b.tif', 0)); // pending, then superseded by a version that is archived
    await deliver(ledger, fileKey('b.tif', 1));
    await ledger.compact();
    expect(ledger.get('/data/in/b.tif')).to.include({ size: 101, state: 'acknowledged' });
    expect(ledger.pending().map((entry) => entry.path)).to.deep.equal(['/data/in/a.tif']);
  });

  it('should recognise an unchanged file by device, inode, size and mtime, archived or not', async () => {
    ledger = await open(0);
    await deliver(ledger, withIdentity('a.tif', 11));
    await ledger.record(withIdentity('b.tif', 12));
    await ledger.compact();
    const identity = (key: ReturnType<typeof withIdentity>) => ({ path: key.path, size: key.size, mtimeMs: key.mtimeMs, dev: key.dev, ino: key.ino });
    expect(ledger.findUnchanged(identity(withIdentity('a.tif', 11)))).to.include({ state: 'acknowledged', ino: 11, dev: 2049 });
    expect(ledger.findUnchanged(identity(withIdentity('b.tif', 12)))).to.include({ state: 'seen', ino: 12 });
    // Another inode (the file replaced), another size or mtime (rewritten): not recognised.
    expect(ledger.findUnchanged(identity(withIdentity('a.tif', 99)))).to.equal(undefined);
    expect(ledger.findUnchanged({ ...identity(withIdentity('a.tif', 11)), dev: 7 })).to.equal(undefined);
    expect(ledger.findUnchanged(identity(withIdentity('a.tif', 11, 1)))).to.equal(undefined);
    // An entry recorded without an identity is never recognised, nor a file found without one.
    await deliver(ledger, fileKey('c.tif'));
    expect(ledger.findUnchanged({ ...identity(withIdentity('c.tif', 0)), dev: 0 })).to.equal(undefined);
    const { path, size, mtimeMs } = fileKey('c.tif');
    expect(ledger.findUnchanged({ path, size, mtimeMs })).to.equal(undefined);
  });

  it('should come back whole from a crash between the archive write and the snapshot', async () => {
    ledger = await open(0);
    for (const name of names.slice(0, 4)) await deliver(ledger, fileKey(name));
    await ledger.flush();
    await ledger.close();
    // What a crash after the archive write but before the snapshot's rename leaves: the old
    // snapshot and journal, which still hold the archived entries, beside the archive.
    const before = join(dir!, '..', `${dir!.split('/').at(-1)}-before`);
    await cp(dir!, before, { recursive: true });
    ledger = await open(0); // opening compacts: everything moves to the archive
    expect(ledger.entries()).to.have.length(0);
    await ledger.close();
    for (const file of ['snapshot.json', 'journal.jsonl']) {
      await rm(join(dir!, file), { force: true });
      if ((await readdir(before)).includes(file)) await cp(join(before, file), join(dir!, file));
    }
    await rm(before, { recursive: true, force: true });

    ledger = await open(0);
    expect(ledger.summary()).to.deep.include({ total: 4, pending: 0 });
    expect(ledger.summary().counts.acknowledged).to.equal(4);
    expect(ledger.getByKey(fileKey('f3.tif'))).to.include({ state: 'acknowledged' });
    expect(await readLedgerSummary(dir!)).to.deep.include({ total: 4 });
  });

  it('should keep memory to the files in flight however many were sent', async () => {
    ledger = await open(5);
    for (let i = 0; i < 300; i += 1) await deliver(ledger, fileKey(`n${i}`));
    await ledger.record(fileKey('waiting'));
    await ledger.compact();
    expect(ledger.entries().length).to.be.at.most(6);
    expect(ledger.summary()).to.deep.include({ total: 301, pending: 1 });
    expect(ledger.getByKey(fileKey('n0'))).to.include({ state: 'acknowledged' });
  });

  it('should keep memory to the files in flight however many the gateway refuses, and count the refused ones pending', async () => {
    ledger = await open(5);
    for (let i = 0; i < 300; i += 1) await refuse(ledger, fileKey(`r${String(i).padStart(3, '0')}`));
    await deliver(ledger, fileKey('sent'));
    await ledger.compact();
    expect(ledger.entries().length).to.be.at.most(6);
    // Refused: failed, not for good, and pending for a later run wherever it is held.
    const summary = ledger.summary();
    expect(summary).to.deep.include({ total: 301, pending: 300 });
    expect(summary.counts).to.include({ failed: 300, acknowledged: 1 });
    expect(summary.oldestPending).to.deep.include({ path: '/data/in/r000', state: 'failed' });
    expect(ledger.getByKey(fileKey('r000'))).to.include({ state: 'failed', attempts: 1, lastError: '413: too large' });
    expect(ledger.getByKey(fileKey('r000'))?.permanent).to.not.equal(true);
    const archived = await collect(ledger.archivedPending());
    const inMemory = ledger.pending();
    expect(archived.length + inMemory.length).to.equal(300);
    expect(archived.length).to.be.at.least(295);
    // Oldest first, each once.
    expect(archived.map((entry) => entry.path)).to.deep.equal([...archived.map((entry) => entry.path)].sort());
    expect(new Set([...archived, ...inMemory].map((entry) => entry.path)).size).to.equal(300);
    // The same after a restart, and to a reader beside it.
    await ledger.close();
    expect(await readLedgerSummary(dir!)).to.deep.include({ total: 301, pending: 300 });
    expect((await readLedgerSummary(dir!)).oldestPending).to.deep.include({ path: '/data/in/r000' });
    ledger = await open(5);
    expect(ledger.summary()).to.deep.include({ total: 301, pending: 300 });
    expect(ledger.summary().oldestPending).to.deep.include({ path: '/data/in/r000' });
  });

  it('should stop listing an archived refused entry once memory holds it again, and once it is delivered or superseded', async () => {
    ledger = await open(0);
    for (const name of ['a', 'b', 'c', 'd']) await refuse(ledger, fileKey(name));
    await ledger.compact();
    expect(ledger.entries()).to.have.length(0);
    expect((await collect(ledger.archivedPending())).map((entry) => entry.path)).to.deep.equal(['/data/in/a', '/data/in/b', '/data/in/c', '/data/in/d']);
    expect(ledger.summary()).to.deep.include({ pending: 4 });

    // A later run sends a again (in memory now, counted once), b is rewritten (a new version
    // supersedes the refused one), c is acknowledged, and d is left as it was.
    await ledger.transition(fileKey('a'), 'uploading');
    await ledger.record(fileKey('b', 1));
    await deliver(ledger, fileKey('c'));
    expect((await collect(ledger.archivedPending())).map((entry) => entry.path)).to.deep.equal(['/data/in/d']);
    expect(ledger.pending().map((entry) => entry.path).sort()).to.deep.equal(['/data/in/a', '/data/in/b']);
    expect(ledger.summary()).to.deep.include({ pending: 3 });

    await ledger.compact(); // c's new state goes to the archive: no longer pending there
    expect(ledger.summary()).to.deep.include({ pending: 3 });
    expect(ledger.summary().oldestPending).to.deep.include({ path: '/data/in/a' });
    await ledger.transition(fileKey('a'), 'acknowledged');
    await ledger.transition(fileKey('d'), 'failed', { lastError: 'gone', permanent: true });
    await ledger.compact();
    expect((await collect(ledger.archivedPending())).map((entry) => entry.path)).to.deep.equal([]);
    expect(ledger.summary()).to.deep.include({ total: 5, pending: 1 });
    expect(ledger.summary().oldestPending).to.deep.include({ path: '/data/in/b', state: 'seen' });
    await ledger.close();
    expect(await readLedgerSummary(dir!)).to.deep.include({ total: 5, pending: 1 });
  });

  it('should give the same summary once closed, with archived refused entries sent again in memory', async () => {
    ledger = await open(0);
    for (const name of ['a', 'b']) await refuse(ledger, fileKey(name));
    await ledger.compact();
    await deliver(ledger, fileKey('a')); // sent again by a later run, and acknowledged
    const before = ledger.summary();
    expect(before).to.deep.include({ total: 2, pending: 1 });
    expect(before.counts).to.include({ acknowledged: 1, failed: 1 });
    await ledger.close();
    expect(ledger.summary()).to.deep.equal(before);
  });

  it('should refuse a keepSettled that is not an integer >= 0, and a dev or ino that is not', async () => {
    expect(() => openLedger({ dir: dir!, keepSettled: -1 })).to.throw(TypeError, 'keepSettled');
    ledger = await open();
    const error = await ledger.record({ ...fileKey('a'), ino: -1 }).then(
      () => undefined,
      (reason: Error) => reason,
    );
    expect(error).to.be.instanceOf(TypeError);
    expect(error?.message).to.contain('`ino`');
  });
});
