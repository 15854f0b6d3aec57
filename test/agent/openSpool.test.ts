import { expect } from 'chai';
import { access, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom } from 'rxjs';
import { openSpool } from '../../src/agent/openSpool.js';
import { openLedger } from '../../src/state/openLedger.js';
import { fileItem, microscopyPixels, writeGreyPng } from '../reducers/reducerFixtures.js';

describe('openSpool', function () {
  // Worker threads load sharp on start.
  this.timeout(20_000);
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-spool-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should try each PNG setting on the first files with pngEffort auto, and fix it when named', async () => {
    const input = join(dir, 'input');
    await mkdir(input);
    const items = [];
    for (let index = 0; index < 3; index++) {
      const file = join(input, `frame${index}.png`);
      await writeGreyPng(file, microscopyPixels(64, index + 1), 64, 64);
      items.push(await fileItem(file, index));
    }
    const auto = await openSpool({ pngEffort: 'auto', bandwidth: () => 1e6 });
    const fixed = await openSpool({ pngEffort: 'small' });
    try {
      const efforts = [];
      for (const item of items) efforts.push((await firstValueFrom(auto.reduce(item))).settings?.pngEffort);
      expect(efforts).to.deep.equal(['fast', 'default', 'small']);
      expect((await firstValueFrom(fixed.reduce(items[0]!))).settings).to.include({ pngEffort: 'small' });
    } finally {
      await auto.close();
      await fixed.close();
    }
  });

  it('should refuse a `warmAtOpen` that is not a boolean, before it makes a folder', async () => {
    let error: unknown;
    await openSpool({ warmAtOpen: 'yes' as never, reducer: { spoolDir: join(dir, 'never') } }).catch((caught: unknown) => (error = caught));
    expect(error).to.be.instanceOf(TypeError);
    expect((error as Error).message).to.equal('Expected `warmAtOpen` to be a boolean, got yes');
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('should make a temporary folder without a ledger and remove it on close', async () => {
    const spool = await openSpool();
    await access(spool.dir);
    await spool.close();
    const gone = await access(spool.dir).then(() => false, () => true);
    expect(gone).to.equal(true);
  });

  it('should empty the ledger spool of an earlier run, and keep the folder on close', async () => {
    const ledger = await openLedger({ dir: join(dir, 'state'), fsync: false });
    try {
      await mkdir(join(ledger.dir, 'spool'), { recursive: true });
      await writeFile(join(ledger.dir, 'spool', '3-left-over.png'), 'stale');
      const spool = await openSpool({ ledger });
      expect(spool.dir).to.equal(join(ledger.dir, 'spool'));
      expect((await readdir(spool.dir)).filter((name) => !name.startsWith('.'))).to.deep.equal([]);
      await spool.close();
      await access(spool.dir);
    } finally {
      await ledger.close();
    }
  });

  it('should send a file that is not a png or tif back unreduced, with the reason', async () => {
    const spool = await openSpool();
    try {
      const reduction = await firstValueFrom(spool.reduce({ path: join(dir, 'notes.csv'), size: 10, mtimeMs: 0, index: 0 }));
      expect(reduction).to.include({ reduced: false, bytesOut: 10, reason: 'not an image the reducer knows' });
    } finally {
      await spool.close();
    }
  });
});
