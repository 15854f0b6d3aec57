import { expect } from 'chai';
import { lstat, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, from, lastValueFrom, of, Subject, toArray, VirtualTimeScheduler } from 'rxjs';
import { createDelivery } from '../../src/agent/createDelivery.js';
import type { FileItem } from '../../src/model/FileItem.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { UploadJob } from '../../src/model/UploadJob.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import { openLedger } from '../../src/state/openLedger.js';
import type { Ledger } from '../../src/state/Ledger.js';
import { fileItemOf } from '../../src/sources/watchDirectoryInternals.js';
import { sha256 } from './agentTestKit.js';

describe('createDelivery', () => {
  let dir: string;
  let ledger: Ledger | undefined;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-delivery-'));
    ledger = undefined;
  });

  afterEach(async () => {
    await ledger?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const fileWith = async (name: string, content: string): Promise<FileItem> => {
    const path = join(dir, name);
    await writeFile(path, content);
    return fileItemOf(path, await lstat(path), 0);
  };
  const ok = (job: UploadJob): UploadResult => ({ item: job.item, status: 200, bytes: job.bodySize ?? job.item.size, startedAt: 0, finishedAt: 0 });

  it('should admit each version once, numbered from 0, and say it was seen', async () => {
    const delivery = createDelivery();
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const a = await fileWith('a.dat', 'aaa');
    const b = await fileWith('b.dat', 'bb');
    const admitted = await lastValueFrom(from([a, a, b, { ...a, index: 7 }]).pipe(delivery.admit, toArray()));
    expect(admitted.map((item) => [item.path, item.index])).to.deep.equal([
      [a.path, 0],
      [b.path, 1],
    ]);
    expect(events.map((event) => [event.type, 'path' in event ? event.path : undefined])).to.deep.equal([
      ['seen', a.path],
      ['seen', b.path],
    ]);
  });

  it('should skip a version an earlier run had acknowledged, and record a new one as seen', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const a = await fileWith('a.dat', 'acknowledged before');
    await ledger.record({ path: a.path, size: a.size, mtimeMs: a.mtimeMs, hash: sha256('acknowledged before'), state: 'acknowledged', lastError: null });
    const b = await fileWith('b.dat', 'new');
    const delivery = createDelivery({ ledger });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const admitted = await lastValueFrom(from([a, b]).pipe(delivery.admit, toArray()));
    expect(admitted.map((item) => item.path)).to.deep.equal([b.path]);
    expect(events.map((event) => event.type)).to.deep.equal(['skipped', 'seen']);
    expect(ledger.get(b.path)?.state).to.equal('seen');
  });

  it('should leave a version an earlier run delivered to the ledger, not to the versions remembered: found again, skipped again', async () => {
    // A restart's walk over a million old files must not churn through the versions remembered
    // (rememberVersions 1 here: remembering each skipped file would push the one sent out).
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const old = await fileWith('old.dat', 'acknowledged before');
    // With its device and inode, as an earlier run records it: recognised without being read.
    await ledger.record({ path: old.path, size: old.size, mtimeMs: old.mtimeMs, dev: old.dev!, ino: old.ino!, hash: sha256('acknowledged before'), state: 'acknowledged', lastError: null });
    const delivery = createDelivery({ ledger, rememberVersions: 1 });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const [sent] = await lastValueFrom(of(await fileWith('new.dat', 'new')).pipe(delivery.admit, toArray()));
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: sent! }));
    expect(await lastValueFrom(from([old, sent!, old]).pipe(delivery.admit, toArray()))).to.deep.equal([]);
    expect(events.map((event) => [event.type, 'path' in event ? event.path : undefined])).to.deep.equal([
      ['seen', sent!.path],
      ['skipped', old.path],
      // new.dat, found again, is still remembered: dropped without an event.
      ['skipped', old.path],
    ]);
  });

  it('should acknowledge only after a 2xx, label the body with its hash, and remove the reduced copy', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger });
    const [item] = await lastValueFrom(of(await fileWith('a.dat', 'original bytes')).pipe(delivery.admit, toArray()));
    const copy = join(dir, 'a.copy');
    await writeFile(copy, 'copy');
    const sent: UploadJob[] = [];
    const upload = delivery.uploadWith((job) => {
      sent.push(job);
      expect(ledger!.get(item!.path)?.state).to.equal('uploading');
      return of(ok(job));
    });
    await firstValueFrom(upload({ item: item!, bodyPath: copy, bodySize: 4 }));
    expect(sent[0]?.bodySha256).to.equal(sha256('copy'));
    expect(ledger.get(item!.path)?.state).to.equal('acknowledged');
    expect(await readdir(dir)).to.not.include('a.copy');
  });

  it('should not acknowledge a refusal or a file that changed while it was sent', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger });
    const [refused, changing] = await lastValueFrom(from([await fileWith('r.dat', 'r'), await fileWith('c.dat', 'c')]).pipe(delivery.admit, toArray()));
    const upload = delivery.uploadWith((job) => {
      if (job.item.path === refused!.path) return of(new GatewayError('busy', { status: 503, path: job.item.path, item: job.item }));
      return from(writeFile(job.item.path, 'rewritten while sent').then(() => ok(job)));
    });
    expect(await firstValueFrom(upload({ item: refused! }))).to.be.instanceOf(GatewayError);
    const outcome = await firstValueFrom(upload({ item: changing! }));
    expect(outcome).to.be.instanceOf(GatewayError);
    expect((outcome as GatewayError).message).to.contain('changed or vanished while it was being sent');
    expect(ledger.get(refused!.path)?.state).to.equal('failed');
    expect(ledger.get(changing!.path)?.state).to.equal('failed');
  });

  it('should fail a pending entry whose file is gone, for good, with an event', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    await ledger.record({ path: join(dir, 'gone.dat'), size: 1, mtimeMs: 1, hash: sha256('x'), state: 'seen', lastError: null });
    const delivery = createDelivery({ ledger });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    await delivery.forgetVanished();
    expect(events.map((event) => event.type)).to.deep.equal(['failed']);
    expect(ledger.get(join(dir, 'gone.dat'))).to.include({ state: 'failed', permanent: true });
  });

  it('should recognise a file the ledger has, unchanged by device, inode, size and mtime, without reading it', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const first = createDelivery({ ledger });
    const a0 = await fileWith('a.dat', 'first content');
    await utimes(a0.path, 1_700_000_000, 1_700_000_000);
    const a = fileItemOf(a0.path, await lstat(a0.path), 0);
    const [admitted] = await lastValueFrom(of(a).pipe(first.admit, toArray()));
    expect(ledger.get(a.path)).to.include({ dev: a.dev, ino: a.ino, hash: sha256('first content') });
    await firstValueFrom(first.uploadWith((job) => of(ok(job)))({ item: admitted! }));

    // Same size and, put back, the same mtime: only a read would tell. A restart does not read it.
    await writeFile(a.path, 'other content');
    await utimes(a.path, 1_700_000_000, 1_700_000_000);
    const again = fileItemOf(a.path, await lstat(a.path), 0);
    expect([again.dev, again.ino, again.size, again.mtimeMs]).to.deep.equal([a.dev, a.ino, a.size, a.mtimeMs]);
    const second = createDelivery({ ledger });
    const events: AgentEvent[] = [];
    second.events$.subscribe((event) => events.push(event));
    expect(await lastValueFrom(of(again).pipe(second.admit, toArray()))).to.deep.equal([]);
    expect(events.map((event) => event.type)).to.deep.equal(['skipped']);

    // Another inode (the file replaced by a new one): read, hashed and admitted.
    await rm(a.path);
    await writeFile(a.path, 'first content');
    const replaced = fileItemOf(a.path, await lstat(a.path), 0);
    const third = createDelivery({ ledger });
    expect(await lastValueFrom(of({ ...replaced, mtimeMs: a.mtimeMs, size: a.size, ino: (a.ino ?? 0) + 1 }).pipe(third.admit, toArray()))).to.have.length(0);
    expect(await lastValueFrom(of(replaced).pipe(third.admit, toArray()))).to.have.length(1);
  });

  it('should take a file again once it fell out of the versions remembered (the latest done with), and the ledger recognises it as sent by this run', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger, rememberVersions: 2 });
    const a = await fileWith('a.dat', 'aaa');
    const [admitted] = await lastValueFrom(of(a).pipe(delivery.admit, toArray()));
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: admitted! }));
    const others = [await fileWith('b.dat', 'b'), await fileWith('c.dat', 'c')];
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const later = await lastValueFrom(from([others[0]!, a]).pipe(delivery.admit, toArray()));
    expect(later.map((item) => item.path)).to.deep.equal([others[0]!.path]); // a still remembered: dropped silently
    expect(events.filter((event) => 'path' in event && event.path === a.path)).to.deep.equal([]);
    // Two other versions sent later, a walk finds a again.
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: later[0]! }));
    const [c] = await lastValueFrom(of(others[1]!).pipe(delivery.admit, toArray()));
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: c! }));
    events.length = 0;
    expect(await lastValueFrom(of(a).pipe(delivery.admit, toArray()))).to.deep.equal([]);
    // Acknowledged by this run, not an earlier one: dropped as a remembered version is, no `skipped`.
    expect(events).to.deep.equal([]);
    // The next run's delivery says it was delivered before.
    const next = createDelivery({ ledger });
    next.events$.subscribe((event) => events.push(event));
    expect(await lastValueFrom(of(a).pipe(next.admit, toArray()))).to.deep.equal([]);
    expect(events.map((event) => [event.type, event.type === 'skipped' ? event.reason : undefined])).to.deep.equal([['skipped', 'acknowledged in an earlier run']]);
  });

  it('should not send again in the same run a version the gateway refused (413), however long ago it was forgotten, and send it in the next', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger, rememberVersions: 1 });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const big = await fileWith('big.dat', 'too large for the gateway');
    const tooLarge = (job: UploadJob) => of(new GatewayError('413 Payload Too Large', { status: 413, path: job.item.path, item: job.item }));
    const [admitted] = await lastValueFrom(of(big).pipe(delivery.admit, toArray()));
    expect(await firstValueFrom(delivery.uploadWith(tooLarge)({ item: admitted! }))).to.be.instanceOf(GatewayError);
    // Two other files sent: big.dat is forgotten as taken.
    for (const name of ['b.dat', 'c.dat']) {
      const [other] = await lastValueFrom(of(await fileWith(name, name)).pipe(delivery.admit, toArray()));
      await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: other! }));
    }
    events.length = 0;
    // A walk finds it again, twice.
    expect(await lastValueFrom(from([big, big]).pipe(delivery.admit, toArray()))).to.deep.equal([]);
    expect(events).to.deep.equal([]);
    expect(ledger.get(big.path)).to.include({ state: 'failed', attempts: 1 });
    expect(ledger.get(big.path)?.permanent).to.not.equal(true);
    // Still pending: the next run takes it (the gateway's limit may have been raised).
    const next = createDelivery({ ledger });
    expect((await lastValueFrom(of(big).pipe(next.admit, toArray()))).map((item) => item.path)).to.deep.equal([big.path]);
  });

  it('should not send a refused version again in the same run once the ledger has archived it, and at the next start send it, or fail it for good if it is gone', async () => {
    // keepSettled 0: every compaction moves refused entries out of memory, as a gateway refusing
    // every file for days makes the default one do.
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false, keepSettled: 0 });
    const delivery = createDelivery({ ledger, rememberVersions: 1 });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const tooLarge = (job: UploadJob) => of(new GatewayError('413 Payload Too Large', { status: 413, path: job.item.path, item: job.item }));
    const big = await fileWith('big.dat', 'too large for the gateway');
    const bare = await fileWith('bare.dat', 'too large, found without device and inode');
    const { dev: _dev, ino: _ino, ...withoutIdentity } = bare;
    for (const item of [big, withoutIdentity as FileItem]) {
      const [admitted] = await lastValueFrom(of(item).pipe(delivery.admit, toArray()));
      await firstValueFrom(delivery.uploadWith(tooLarge)({ item: admitted! }));
    }
    const [other] = await lastValueFrom(of(await fileWith('c.dat', 'c')).pipe(delivery.admit, toArray()));
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: other! }));
    await ledger.compact();
    expect(ledger.entries()).to.deep.equal([]);
    expect(ledger.summary()).to.deep.include({ pending: 2 });
    events.length = 0;
    // A walk finds both again: neither is taken.
    expect(await lastValueFrom(from([big, withoutIdentity as FileItem, big]).pipe(delivery.admit, toArray()))).to.deep.equal([]);
    expect(events).to.deep.equal([]);

    // The next start: bare.dat was removed meanwhile; big.dat is taken again.
    await rm(bare.path);
    const next = createDelivery({ ledger });
    next.events$.subscribe((event) => events.push(event));
    await next.forgetVanished();
    expect(events.map((event) => [event.type, 'path' in event ? event.path : undefined])).to.deep.equal([['failed', bare.path]]);
    expect(ledger.get(bare.path)).to.include({ state: 'failed', permanent: true });
    expect((await lastValueFrom(of(big).pipe(next.admit, toArray()))).map((item) => item.path)).to.deep.equal([big.path]);
    expect(ledger.summary()).to.deep.include({ pending: 1 });
  });

  it('should not send a version again that this run acknowledged and forgot, even with `resend`, nor one from a source without device and inode', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger, rememberVersions: 1, resend: true });
    const a = await fileWith('a.dat', 'aaa');
    const bare = await fileWith('bare.dat', 'no identity');
    const { dev: _dev, ino: _ino, ...withoutIdentity } = bare;
    for (const item of [a, withoutIdentity as FileItem, await fileWith('b.dat', 'b'), await fileWith('c.dat', 'c')]) {
      const [admitted] = await lastValueFrom(of(item).pipe(delivery.admit, toArray()));
      await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: admitted! }));
    }
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    expect(await lastValueFrom(from([a, withoutIdentity as FileItem]).pipe(delivery.admit, toArray()))).to.deep.equal([]);
    expect(events).to.deep.equal([]);
    expect(ledger.get(a.path)?.attempts).to.equal(1);
    // A later resend run sends them again, as asked.
    const next = createDelivery({ ledger, resend: true });
    expect(await lastValueFrom(from([a, withoutIdentity as FileItem]).pipe(next.admit, toArray()))).to.have.length(2);
  });

  it('should admit no more than `admitAhead` files ahead of the uploads, and the next as each upload ends', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger, admitAhead: 2 });
    const files = [await fileWith('a.dat', 'a'), await fileWith('b.dat', 'b'), await fileWith('c.dat', 'c'), await fileWith('d.dat', 'd')];
    const admitted: FileItem[] = [];
    const found = new Subject<FileItem>();
    found.pipe(delivery.admit).subscribe((item) => admitted.push(item));
    for (const file of files) found.next(file);
    // Found again by a walk while it waits: still taken once.
    found.next(files[3]!);
    await until(() => admitted.length === 2);
    await new Promise((done) => setTimeout(done, 50));
    expect(admitted.map((item) => item.path)).to.deep.equal([files[0]!.path, files[1]!.path]);
    expect(ledger.get(files[2]!.path)).to.equal(undefined); // not recorded while it waits
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: admitted[1]! }));
    await until(() => admitted.length === 3);
    expect(admitted[2]!.path).to.equal(files[2]!.path);
    // A refused upload ends too, and lets the last one in.
    await firstValueFrom(delivery.uploadWith((job) => of(new GatewayError('no', { status: 500, path: job.item.path })))({ item: admitted[0]! }));
    await until(() => admitted.length === 4);
    found.complete();
    expect(admitted.map((item) => item.index)).to.deep.equal([0, 1, 2, 3]);
  });

  it('should report how many files wait for admission when the count changes, at most every 250 ms, and nothing while files pass at once', async () => {
    const scheduler = new VirtualTimeScheduler();
    const delivery = createDelivery({ admitAhead: 1, scheduler });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const waitingReports = (): unknown[] => events.filter((event) => event.type === 'waiting');
    const files = [await fileWith('a.dat', 'a'), await fileWith('b.dat', 'bb'), await fileWith('c.dat', 'ccc')];
    const admitted: FileItem[] = [];
    const found = new Subject<FileItem>();
    found.pipe(delivery.admit).subscribe((item) => admitted.push(item));
    found.next(files[0]!);
    scheduler.flush();
    expect(waitingReports()).to.deep.equal([]); // a passed at once: nothing waits, nothing scheduled
    found.next(files[1]!);
    found.next(files[2]!);
    scheduler.flush();
    expect(waitingReports()).to.deep.equal([{ type: 'waiting', at: 250, files: 2, bytes: 5 }]);
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: admitted[0]! }));
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: admitted[1]! }));
    // Two changes within one report's wait: one report, of where the count ended.
    scheduler.flush();
    expect(waitingReports()).to.deep.equal([
      { type: 'waiting', at: 250, files: 2, bytes: 5 },
      { type: 'waiting', at: 500, files: 0, bytes: 0 },
    ]);
    found.complete();
    expect(admitted.map((item) => item.path)).to.deep.equal(files.map((file) => file.path));
  });

  it('should say it is backlogged once admitAhead files wait, and not once half as many do', async () => {
    const delivery = createDelivery({ admitAhead: 2 });
    const backlogged: boolean[] = [];
    delivery.backlogged$.subscribe((value) => backlogged.push(value));
    const files: FileItem[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) files.push(await fileWith(`${name}.dat`, name));
    const admitted: FileItem[] = [];
    const found = new Subject<FileItem>();
    found.pipe(delivery.admit).subscribe((item) => admitted.push(item));
    // a and b are admitted at once; c waits (1 waiting), d makes 2: backlogged.
    for (const file of files.slice(0, 3)) found.next(file);
    await until(() => admitted.length === 2);
    expect(backlogged).to.deep.equal([false]);
    found.next(files[3]!);
    found.next(files[4]!);
    expect(backlogged).to.deep.equal([false, true]); // and e (3 waiting) says nothing new
    const send = (item: FileItem) => firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item }));
    await send(admitted[0]!); // c goes in: 2 wait, still backlogged
    await until(() => admitted.length === 3);
    expect(backlogged).to.deep.equal([false, true]);
    await send(admitted[1]!); // d goes in: 1 waits, half of admitAhead
    await until(() => admitted.length === 4);
    expect(backlogged).to.deep.equal([false, true, false]);
    found.next(files[5]!); // 2 wait again
    expect(backlogged).to.deep.equal([false, true, false, true]);
    // A late subscriber hears the current value.
    expect(await firstValueFrom(delivery.backlogged$)).to.equal(true);
    found.complete();
  });

  it('should report the last count of files waiting at once when admission is unsubscribed', async () => {
    const scheduler = new VirtualTimeScheduler();
    const delivery = createDelivery({ admitAhead: 1, scheduler });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const found = new Subject<FileItem>();
    const subscription = found.pipe(delivery.admit).subscribe();
    found.next(await fileWith('a.dat', 'a'));
    found.next(await fileWith('b.dat', 'bb'));
    scheduler.flush();
    found.next(await fileWith('c.dat', 'ccc'));
    subscription.unsubscribe();
    expect(events.filter((event) => event.type === 'waiting')).to.deep.equal([
      { type: 'waiting', at: 250, files: 1, bytes: 2 },
      { type: 'waiting', at: 250, files: 2, bytes: 5 },
    ]);
    scheduler.flush();
    expect(events.filter((event) => event.type === 'waiting')).to.have.length(2);
  });

  it('should hand an upload the bytes of a small original read at admission, up to 8 MiB of them at once', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger });
    // 130 files of 64 KiB: the first 128 fill the 8 MiB, the last two are read again when sent.
    const contents = Array.from({ length: 130 }, (_, i) => Buffer.alloc(64 * 1024, i));
    const files: FileItem[] = [];
    for (const [i, content] of contents.entries()) {
      await writeFile(join(dir, `f${i}.dat`), content);
      files.push(fileItemOf(join(dir, `f${i}.dat`), await lstat(join(dir, `f${i}.dat`)), 0));
    }
    const big = await fileWith('big.dat', 'x'.repeat(64 * 1024 + 1));
    const admitted = await lastValueFrom(from([...files, big]).pipe(delivery.admit, toArray()));
    const jobs: UploadJob[] = [];
    for (const item of admitted) await firstValueFrom(delivery.uploadWith((job) => (jobs.push(job), of(ok(job))))({ item }));
    const brought = jobs.map((job) => job.bodyBytes !== undefined);
    expect(brought.filter(Boolean)).to.have.length(128);
    expect(brought.slice(128)).to.deep.equal([false, false, false]);
    for (const [i, job] of jobs.slice(0, 128).entries()) {
      expect(job.bodyBytes!.equals(contents[i]!), `f${i}`).to.equal(true);
      expect(job.bodySha256).to.equal(sha256(contents[i]!));
    }
    // Uploaded, their bytes are let go: the next small file brings its own again.
    const later = await fileWith('later.dat', 'later');
    const [next] = await lastValueFrom(of(later).pipe(delivery.admit, toArray()));
    await firstValueFrom(delivery.uploadWith((job) => (jobs.push(job), of(ok(job))))({ item: next! }));
    expect(jobs.at(-1)!.bodyBytes?.toString()).to.equal('later');
    // Held until sent, so in memory of its own: a slice of Node's shared pool would hold a whole slab.
    expect(jobs.at(-1)!.bodyBytes!.buffer.byteLength).to.equal('later'.length);
  });

  it('should let the next file in when one is skipped at admission, as acknowledged before', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const a = await fileWith('a.dat', 'acknowledged before');
    await ledger.record({ path: a.path, size: a.size, mtimeMs: a.mtimeMs, hash: sha256('acknowledged before'), state: 'acknowledged', lastError: null });
    const b = await fileWith('b.dat', 'new');
    const delivery = createDelivery({ ledger, admitAhead: 1 });
    const admitted = await firstValueFrom(from([a, b]).pipe(delivery.admit, toArray()));
    expect(admitted.map((item) => item.path)).to.deep.equal([b.path]);
  });

  it('should skip a file an earlier run delivered without waiting its turn, and without letting an extra file in', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const old = await fileWith('old.dat', 'acknowledged before');
    await ledger.record({ ...old, hash: sha256('acknowledged before'), state: 'acknowledged', lastError: null });
    const delivery = createDelivery({ ledger, admitAhead: 1 });
    const events: AgentEvent[] = [];
    delivery.events$.subscribe((event) => events.push(event));
    const [a, c] = [await fileWith('a.dat', 'a'), await fileWith('c.dat', 'c')];
    const admitted: FileItem[] = [];
    const found = new Subject<FileItem>();
    found.pipe(delivery.admit).subscribe((item) => admitted.push(item));
    found.next(a);
    found.next(c);
    found.next(old); // behind c, which waits for a: skipped at once all the same
    expect(events.filter((event) => event.type === 'skipped').map((event) => event.path)).to.deep.equal([old.path]);
    await until(() => admitted.length === 1);
    await new Promise((done) => setTimeout(done, 50));
    expect(admitted.map((item) => item.path)).to.deep.equal([a.path]);
    await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: admitted[0]! }));
    await until(() => admitted.length === 2);
    expect(admitted[1]!.path).to.equal(c.path);
  });

  it('should never forget a version that still waits, however many others come after it', async () => {
    ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    const delivery = createDelivery({ ledger, rememberVersions: 1, admitAhead: 1 });
    const files = [await fileWith('a.dat', 'a'), await fileWith('b.dat', 'b'), await fileWith('c.dat', 'c')];
    const admitted: FileItem[] = [];
    const found = new Subject<FileItem>();
    found.pipe(delivery.admit).subscribe((item) => admitted.push(item));
    for (const file of files) found.next(file);
    // A walk finds all three again while b and c wait and a is being sent.
    for (const file of files) found.next(file);
    await until(() => admitted.length === 1);
    for (let sent = 0; sent < 3; sent += 1) {
      await until(() => admitted.length === sent + 1);
      await firstValueFrom(delivery.uploadWith((job) => of(ok(job)))({ item: admitted[sent]! }));
    }
    await new Promise((done) => setTimeout(done, 50));
    expect(admitted.map((item) => item.path)).to.deep.equal(files.map((file) => file.path));
  });

  it('should refuse an `admitAhead` that is not a whole number >= 1', () => {
    expect(() => createDelivery({ admitAhead: 0 })).to.throw(TypeError, 'Expected `admitAhead` to be an integer >= 1, got 0');
  });
});

async function until(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5000) throw new Error('timed out waiting for the condition');
    await new Promise((done) => setTimeout(done, 5));
  }
}
