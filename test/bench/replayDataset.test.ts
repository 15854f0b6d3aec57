import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { lastValueFrom, map, throwError, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { replayDataset } from '../../src/bench/replayDataset.js';

describe('replayDataset', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((a, e) => {
      expect(a).to.deep.equal(e);
    });
  });

  it('should place the files in order, one per 1/rate seconds', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const placed = replayDataset({
        files: ['/src/a.png', '/src/b.png', '/src/c.png'],
        into: '/watched',
        rateHz: 100,
        place: () => cold('-x|'),
        scheduler,
      }).pipe(map((file) => `${file.path}@${file.dueAt}`));
      expectObservable(placed).toBe('-x 9ms y 9ms (z|)', {
        x: '/watched/a.png@0',
        y: '/watched/b.png@10',
        z: '/watched/c.png@20',
      });
    });
  });

  it('should delay, not reorder, the files after a slow placement', () => {
    scheduler.run(({ cold, expectObservable }) => {
      const placements = ['--- 25ms x|', 'x|', 'x|'];
      let call = 0;
      const placed = replayDataset({
        files: ['/s/a', '/s/b', '/s/c'],
        into: '/w',
        rateHz: 100,
        place: () => cold(placements[call++]!),
        scheduler,
      }).pipe(map((file) => `${file.index}:${file.at - file.dueAt}`));
      expectObservable(placed).toBe('28ms (abc|)', { a: '0:28', b: '1:18', c: '2:8' });
    });
  });

  it('should complete at once for no files and error when a placement fails', () => {
    scheduler.run(({ expectObservable }) => {
      expectObservable(replayDataset({ files: [], into: '/w', scheduler })).toBe('|');
      const failing = replayDataset({ files: ['/s/a'], into: '/w', place: () => throwError(() => new Error('disk full')), scheduler });
      expectObservable(failing).toBe('#', undefined, new Error('disk full'));
    });
  });

  it('should throw a TypeError for a bad rate or folder', () => {
    expect(() => replayDataset({ files: [], into: '/w', rateHz: 0 })).to.throw(TypeError, 'rateHz');
    expect(() => replayDataset({ files: [], into: '' })).to.throw(TypeError, 'into');
  });

  it('should copy real files under their own names and leave no temporary file', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'replay-test-'));
    try {
      const sources = path.join(dir, 'src');
      const target = path.join(dir, 'watched');
      await Promise.all([mkdir(sources), mkdir(target)]);
      const files = ['frame_00000.png', 'frame_00001.png'].map((name) => path.join(sources, name));
      await Promise.all(files.map((file, i) => writeFile(file, `frame ${i}`)));
      const placed = await lastValueFrom(replayDataset({ files, into: target, rateHz: 200 }).pipe(toArray()));
      expect(placed.map((file) => path.basename(file.path))).to.deep.equal(['frame_00000.png', 'frame_00001.png']);
      expect((await readdir(target)).sort()).to.deep.equal(['frame_00000.png', 'frame_00001.png']);
      expect(await readFile(path.join(target, 'frame_00001.png'), 'utf8')).to.equal('frame 1');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
