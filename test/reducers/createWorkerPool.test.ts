import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { firstValueFrom, lastValueFrom, merge, toArray } from 'rxjs';
import sharp from 'sharp';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import { createWorkerPool } from '../../src/reducers/createWorkerPool.js';
import { startWorkerPool } from '../../src/reducers/startWorkerPool.js';
import { reduceImage } from '../../src/reducers/reduceImage.js';
import { normaliseReduceImageOptions } from '../../src/reducers/reduceImageInternals.js';
import { FIXTURE_DIR, fileItem, microscopyPixels, writeGreyPng } from './reducerFixtures.js';

/**
 * A stand-in reducer worker: answers at once, throws for paths ending in "throw", exits for
 * paths ending in "exit", and reports a reducer error for paths ending in "reject".
 */
const STUB_WORKER = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, item }) => {
  if (item.path.endsWith('throw')) throw new Error('boom');
  if (item.path.endsWith('exit')) process.exit(3);
  if (item.path.endsWith('reject')) return parentPort.postMessage({ id, error: 'bad options' });
  parentPort.postMessage({ id, reduction: { item, reduced: true, bytesIn: item.size, bytesOut: 1, cpuMs: 1 } });
});
`;

function stubItem(name: string, index = 0): FileItem {
  return { path: `/nowhere/${name}`, size: 100, mtimeMs: 0, index };
}

describe('createWorkerPool', () => {
  let dir: string;
  let spoolDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'haste-worker-pool-'));
    spoolDir = path.join(dir, 'spool');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function images(count: number): Promise<FileItem[]> {
    const items: FileItem[] = [];
    for (let i = 0; i < count; i++) {
      const file = path.join(dir, `frame${i}.png`);
      await writeGreyPng(file, microscopyPixels(128, i + 1), 128, 128);
      items.push(await fileItem(file, i));
    }
    return items;
  }

  it('should reduce several files on two real workers, each result matching its file', async () => {
    const items = await images(4);
    const pool = createWorkerPool({ size: 2, reducerOptions: { spoolDir } });
    try {
      const reductions = await lastValueFrom(
        merge(...items.map((item) => pool.reduce(item))).pipe(toArray()),
      );
      expect(reductions.map((r) => r.item.index).sort()).to.deep.equal([0, 1, 2, 3]);
      for (const reduction of reductions) {
        expect(reduction.reduced, reduction.reason).to.equal(true);
        expect(reduction.bytesOut).to.be.lessThan(reduction.bytesIn);
        expect(reduction.outputPath).to.equal(path.join(spoolDir, `${reduction.item.index}-frame${reduction.item.index}.png`));
        const { data } = await sharp(reduction.outputPath).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
        const original = microscopyPixels(128, reduction.item.index + 1);
        expect(data[64 * 128 + 64]).to.equal(original[64 * 128 + 64]);
      }
    } finally {
      await pool.close();
    }
  });

  it('should pass back the media type and settings of a reduction unchanged', async () => {
    const item = await fileItem(path.join(FIXTURE_DIR, 'grey16.png'), 5);
    const direct = await reduceImage(item, { spoolDir: path.join(dir, 'direct') });
    const pool = createWorkerPool({ reducerOptions: { spoolDir } });
    try {
      const reduction = await firstValueFrom(pool.reduce(item));

      expect(reduction.reduced, reduction.reason).to.equal(true);
      expect(reduction.mediaType).to.equal('image/png');
      expect(reduction.settings).to.deep.equal(direct.settings);
      expect(reduction.settings).to.include({ bitDepth: 16, threshold: 30 * 257 });
      expect(reduction.outputSha256).to.equal(direct.outputSha256);
    } finally {
      await pool.close();
    }
  });

  it('should reduce a file with the PNG setting given for it, over the pool setting', async () => {
    const [item] = await images(1);
    const pool = createWorkerPool({ reducerOptions: { spoolDir, compressionLevel: 1 } });
    try {
      const pooled = await firstValueFrom(pool.reduce(item!));
      const small = await firstValueFrom(pool.reduce(item!, 'small'));

      expect(pooled.settings).to.include({ compressionLevel: 1, encoder: 'sharp' });
      expect(small.settings).to.include({ pngEffort: 'small', compressionLevel: 9, encoder: 'zlib' });
      expect(() => pool.reduce(item!, 'max' as never)).to.throw(
        TypeError,
        'Expected `pngEffort` to be one of fast, default, small, got max',
      );
    } finally {
      await pool.close();
    }
  });

  it('should skip a queued request that was unsubscribed and still serve the ones after it', async () => {
    const [first, skipped, last] = await images(3);
    const pool = createWorkerPool({ size: 1, reducerOptions: { spoolDir } });
    try {
      const firstResult = firstValueFrom(pool.reduce(first!));
      const received: Reduction[] = [];
      pool.reduce(skipped!).subscribe((r) => received.push(r)).unsubscribe();
      const lastResult = await firstValueFrom(pool.reduce(last!));

      expect((await firstResult).item.index).to.equal(0);
      expect(lastResult.item.index).to.equal(2);
      expect(received).to.deep.equal([]);
      expect((await readdir(spoolDir)).sort()).to.deep.equal(['0-frame0.png', '2-frame2.png']);
    } finally {
      await pool.close();
    }
  });

  it('should report an unreadable file as not reduced without harming the worker', async () => {
    const [good] = await images(1);
    const junk = path.join(dir, 'junk.png');
    const pool = createWorkerPool({ reducerOptions: { spoolDir } });
    try {
      await writeFile(junk, 'not a png');
      const bad = await firstValueFrom(pool.reduce(await fileItem(junk, 5)));
      expect(bad.reduced).to.equal(false);
      expect(bad.reason).to.match(/^Cannot decode /);
      expect((await firstValueFrom(pool.reduce(good!))).reduced).to.equal(true);
    } finally {
      await pool.close();
    }
  });

  it('should let the process exit once reductions are done, without close()', async function () {
    this.timeout(15000);
    const [item] = await images(1);
    const script = [
      `import { createWorkerPool } from ${JSON.stringify(fileURLToPath(new URL('../../src/reducers/createWorkerPool.ts', import.meta.url)))};`,
      `const pool = createWorkerPool({ size: 2, reducerOptions: { spoolDir: ${JSON.stringify(spoolDir)} } });`,
      `pool.reduce(${JSON.stringify(item)}).subscribe((r) => console.log(r.reduced));`,
    ].join('\n');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', script],
      { timeout: 10000, cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    expect(stdout.trim()).to.equal('true');
  });

  it('should throw a TypeError for a size that is not an integer >= 1', () => {
    expect(() => createWorkerPool({ size: 0 })).to.throw(TypeError, 'Expected `size` to be an integer >= 1, got 0');
    expect(() => createWorkerPool({ size: 1.5 })).to.throw(TypeError, 'Expected `size` to be an integer >= 1, got 1.5');
  });

  it('should throw a TypeError for invalid reducer options', () => {
    expect(() => createWorkerPool({ reducerOptions: { tolerance: -1 } })).to.throw(
      TypeError,
      'Expected `tolerance` to be a number from 0 to 256, got -1',
    );
  });

  describe('with stand-in workers', () => {
    let spawned: Worker[];
    let exited: number;
    const spawn = (): Worker => {
      const worker = new Worker(STUB_WORKER, { eval: true });
      worker.on('exit', () => exited++);
      spawned.push(worker);
      return worker;
    };
    const start = (size: number) => startWorkerPool(size, normaliseReduceImageOptions({ spoolDir: '/nowhere' }), spawn);

    beforeEach(() => {
      spawned = [];
      exited = 0;
    });

    it('should start workers only on demand and never more than size', async () => {
      const pool = start(2);
      try {
        expect(spawned).to.have.length(0);
        const results = await lastValueFrom(
          merge(...['a', 'b', 'c', 'd', 'e'].map((name, i) => pool.reduce(stubItem(name, i)))).pipe(toArray()),
        );
        expect(results.map((r) => r.item.index).sort()).to.deep.equal([0, 1, 2, 3, 4]);
        expect(spawned).to.have.length(2);
      } finally {
        await pool.close();
      }
    });

    it('should end every worker on close() and refuse work afterwards', async () => {
      const pool = start(2);
      await lastValueFrom(merge(pool.reduce(stubItem('a')), pool.reduce(stubItem('b'))).pipe(toArray()));
      expect(spawned).to.have.length(2);

      await pool.close();

      expect(exited).to.equal(2);
      let error: unknown;
      await firstValueFrom(pool.reduce(stubItem('c'))).catch((e: unknown) => {
        error = e;
      });
      expect((error as Error).message).to.equal('Worker pool is closed');
    });

    it('should error requests still queued or running when the pool is closed', async () => {
      const pool = start(1);
      const errors: string[] = [];
      pool.reduce(stubItem('a')).subscribe({ error: (e: Error) => errors.push(e.message) });
      pool.reduce(stubItem('b')).subscribe({ error: (e: Error) => errors.push(e.message) });
      await pool.close();
      expect(errors).to.deep.equal(['Worker pool is closed', 'Worker pool is closed']);
    });

    it('should replace a worker that throws and return its file as not reduced', async () => {
      const pool = start(1);
      try {
        const crashed = await firstValueFrom(pool.reduce(stubItem('throw', 1)));
        expect(crashed).to.deep.equal({
          item: stubItem('throw', 1),
          reduced: false,
          bytesIn: 100,
          bytesOut: 100,
          cpuMs: 0,
          reason: 'Reducer worker crashed: boom',
        });
        const next = await firstValueFrom(pool.reduce(stubItem('fine', 2)));
        expect(next.reduced).to.equal(true);
        expect(spawned).to.have.length(2);
      } finally {
        await pool.close();
      }
    });

    it('should replace a worker that exits and return its file as not reduced', async () => {
      const pool = start(1);
      try {
        const crashed = await firstValueFrom(pool.reduce(stubItem('exit')));
        expect(crashed).to.include({ reduced: false, reason: 'Reducer worker exited with code 3' });
        expect((await firstValueFrom(pool.reduce(stubItem('fine')))).reduced).to.equal(true);
      } finally {
        await pool.close();
      }
    });

    it('should drop the answer of an in-flight request that was unsubscribed and carry on', async () => {
      const pool = start(1);
      try {
        const received: Reduction[] = [];
        pool.reduce(stubItem('a', 0)).subscribe((r) => received.push(r)).unsubscribe();
        const next = await firstValueFrom(pool.reduce(stubItem('b', 1)));
        expect(next.item.index).to.equal(1);
        expect(received).to.deep.equal([]);
        expect(spawned).to.have.length(1);
      } finally {
        await pool.close();
      }
    });

    it('should turn a reducer error reported by the worker into an error of that request', async () => {
      const pool = start(1);
      try {
        let error: unknown;
        await firstValueFrom(pool.reduce(stubItem('reject'))).catch((e: unknown) => {
          error = e;
        });
        expect((error as Error).message).to.equal('bad options');
      } finally {
        await pool.close();
      }
    });
  });
});
