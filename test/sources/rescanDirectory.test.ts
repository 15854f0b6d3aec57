import { expect } from 'chai';
import { mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { firstValueFrom, type Observable, takeUntil, tap, timer, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import { rescanDirectory } from '../../src/sources/rescanDirectory.js';

const file = (path: string, mtimeMs = 0): FileItem => ({ path, size: 1, mtimeMs, index: 0 });

describe('rescanDirectory', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should walk once per interval, starting one interval in, and number what it finds', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const walk$ = cold('(ab|)', { a: file('/w/a.png'), b: file('/w/b.png') });
      const result = rescanDirectory('/w', { intervalMs: 5, minAgeMs: 0, walk: () => walk$, scheduler: testScheduler });
      expectObservable(result, '^-----------!').toBe('-----(ab)-(cd)', {
        a: { ...file('/w/a.png'), index: 0 },
        b: { ...file('/w/b.png'), index: 1 },
        c: { ...file('/w/a.png'), index: 2 },
        d: { ...file('/w/b.png'), index: 3 },
      });
      expectSubscriptions(walk$.subscriptions).toBe(['-----(^!)', '----------(^!)']);
    });
  });

  it('should start walking one interval after startAfter first emits, not after subscribing', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const walk$ = cold('(a|)', { a: file('/w/a.png') });
      const scanned = hot('------x---x');
      const result = rescanDirectory('/w', { intervalMs: 3, minAgeMs: 0, startAfter: scanned, walk: () => walk$, scheduler: testScheduler });
      expectObservable(result, '^-------------!').toBe('---------a--b-', {
        a: { ...file('/w/a.png'), index: 0 },
        b: { ...file('/w/a.png'), index: 1 },
      });
      expectSubscriptions(walk$.subscriptions).toBe(['---------(^!)', '------------(^!)']);
    });
  });

  it('should never walk when startAfter completes without emitting, and pass its error on', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const walk$ = cold('(a|)', { a: file('/w/a.png') });
      expectObservable(rescanDirectory('/w', { intervalMs: 2, startAfter: cold('--|'), walk: () => walk$, scheduler: testScheduler }), '^-------!').toBe('--|');
      expectObservable(rescanDirectory('/w', { intervalMs: 2, startAfter: cold('--#', {}, new Error('no scan')), walk: () => walk$, scheduler: testScheduler })).toBe(
        '--#',
        {},
        new Error('no scan'),
      );
      expectSubscriptions(walk$.subscriptions).toBe([]);
    });
  });

  it('should emit nothing for an empty folder and never complete', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const walk$ = cold<FileItem>('|');
      expectObservable(rescanDirectory('/w', { intervalMs: 2, walk: () => walk$, scheduler: testScheduler }), '^--------!').toBe('');
    });
  });

  it('should keep waiting when the walk never ends, without starting another', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const walk$ = cold<FileItem>('-');
      expectObservable(rescanDirectory('/w', { intervalMs: 2, walk: () => walk$, scheduler: testScheduler }), '^--------!').toBe('');
      expectSubscriptions(walk$.subscriptions).toBe('--^------!');
    });
  });

  it('should skip files younger than minAgeMs and files outside include', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // At the first walk (t = 10) a.png is 10 ms old, young.png 1 ms, c.txt does not match.
      const walk$ = cold('(abc|)', { a: file('/w/a.png', 0), b: file('/w/young.png', 9), c: file('/w/c.txt', 0) });
      const result = rescanDirectory('/w', { intervalMs: 10, minAgeMs: 5, include: ['png'], walk: () => walk$, scheduler: testScheduler });
      expectObservable(result, '^-------------!').toBe('----------a', { a: { ...file('/w/a.png', 0), index: 0 } });
    });
  });

  it('should error when the walk errors', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const walk$ = cold<FileItem>('-#', undefined, new Error('EIO'));
      expectObservable(rescanDirectory('/w', { intervalMs: 2, walk: () => walk$, scheduler: testScheduler })).toBe('---#', undefined, new Error('EIO'));
    });
  });

  it('should stop walking on unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const walk$ = cold('--a|', { a: file('/w/a.png') });
      expectObservable(rescanDirectory('/w', { intervalMs: 2, minAgeMs: 0, walk: () => walk$, scheduler: testScheduler }), '^--!').toBe('');
      expectSubscriptions(walk$.subscriptions).toBe('--^!');
    });
  });

  it('should error, not throw, when the injected walk throws', () => {
    testScheduler.run(({ expectObservable }) => {
      const walk = (): Observable<FileItem> => {
        throw new Error('walk broke');
      };
      expectObservable(rescanDirectory('/w', { intervalMs: 2, walk, scheduler: testScheduler })).toBe('--#', undefined, new Error('walk broke'));
    });
  });

  it('should validate its options eagerly', () => {
    expect(() => rescanDirectory('')).to.throw(TypeError, '`path`');
    expect(() => rescanDirectory('/w', { intervalMs: 0 })).to.throw(TypeError, 'Expected `intervalMs` to be an integer >= 1, got 0');
    expect(() => rescanDirectory('/w', { minAgeMs: -1 })).to.throw(TypeError, 'Expected `minAgeMs` to be an integer >= 0, got -1');
    expect(() => rescanDirectory('/w', { include: ['.'] })).to.throw(TypeError, '`include`');
    expect(() => rescanDirectory('/w', { startAfter: 5 as never })).to.throw(TypeError, 'Expected `startAfter` to be an Observable, got number');
  });

  describe('on a real folder', () => {
    let root: string;

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'haste-rescan-'));
    });

    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('should find regular files in subfolders, skipping hidden and partial ones and every symlink', async () => {
      const outside = await mkdtemp(join(tmpdir(), 'haste-rescan-outside-'));
      try {
        await writeFile(join(outside, 'secret.dat'), 'x');
        await mkdir(join(root, 'sub', 'x.png'), { recursive: true });
        await mkdir(join(root, '.hidden'));
        for (const path of ['a.dat', 'sub/b.dat', 'sub/x.png/c.dat', '.hidden/d.dat', 'e.dat.part', '.f.dat']) await writeFile(join(root, path), path);
        await symlink(join(outside, 'secret.dat'), join(root, 'link.dat'));
        await symlink(outside, join(root, 'linkdir'));
        await symlink('loop2', join(root, 'loop1'));
        await symlink('loop1', join(root, 'loop2'));
        const old = new Date(Date.now() - 60_000);
        for (const path of ['a.dat', 'sub/b.dat', 'sub/x.png/c.dat']) await utimes(join(root, path), old, old);
        // Walks at 50 and 100 ms, both full: whatever a walk finds is in there.
        const found = await firstValueFrom(rescanDirectory(root, { intervalMs: 50, fullEvery: 1 }).pipe(takeUntil(timer(130)), toArray()));
        const sizes = Object.fromEntries(found.map((item) => [item.path, item.size]));
        expect(sizes).to.deep.equal({ [join(root, 'a.dat')]: 5, [join(root, 'sub', 'b.dat')]: 9, [join(root, 'sub', 'x.png', 'c.dat')]: 15 });
        expect(found.length, 'two walks').to.equal(6);
      } finally {
        await rm(outside, { recursive: true, force: true });
      }
    });

    it('should look only in folders changed since the last walk, but at everything on every fullEvery-th walk', async () => {
      await mkdir(join(root, 'quiet'));
      await mkdir(join(root, 'busy'));
      for (const path of ['quiet/q1.dat', 'quiet/q2.dat', 'busy/b1.dat']) await writeFile(join(root, path), path);
      const old = new Date(Date.now() - 60_000);
      for (const folder of ['quiet', 'busy', '.']) await utimes(join(root, folder), old, old);
      const walks: string[][] = [[], [], [], []];
      const started = Date.now();
      // Walks at 300, 600, 900 and 1200 ms; the folder changes half way between them.
      const done = firstValueFrom(
        rescanDirectory(root, { intervalMs: 300, minAgeMs: 0, fullEvery: 3 }).pipe(
          tap((item) => walks[Math.round((Date.now() - started) / 300) - 1]?.push(relative(root, item.path))),
          takeUntil(timer(1350)),
          toArray(),
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 450));
      await writeFile(join(root, 'busy', 'b2.dat'), 'new');
      await new Promise((resolve) => setTimeout(resolve, 300));
      await writeFile(join(root, 'quiet', 'q1.dat'), 'rewritten in place, its event lost'); // quiet's mtime stays
      await done;
      expect(walks.map((walk) => walk.sort())).to.deep.equal([
        ['busy/b1.dat', 'quiet/q1.dat', 'quiet/q2.dat'], // the first walk is full
        ['busy/b1.dat', 'busy/b2.dat'], // only busy changed
        [], // nothing changed a folder
        ['busy/b1.dat', 'busy/b2.dat', 'quiet/q1.dat', 'quiet/q2.dat'], // full again: the rewrite is found
      ]);
    });

    it('should look again at a folder whose files were too young to take', async () => {
      await writeFile(join(root, 'young.dat'), 'y');
      const old = new Date(Date.now() - 60_000);
      await utimes(root, old, old);
      // minAgeMs 400: the first walk (at 300 ms) leaves young.dat; the second (600) takes it,
      // though nothing changed the folder in between.
      const found = await firstValueFrom(
        rescanDirectory(root, { intervalMs: 300, minAgeMs: 400, fullEvery: 10 }).pipe(takeUntil(timer(750)), toArray()),
      );
      expect(found.map((item) => relative(root, item.path))).to.deep.equal(['young.dat']);
    });
  });
});
