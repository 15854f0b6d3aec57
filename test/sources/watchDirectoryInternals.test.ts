import { EventEmitter } from 'node:events';
import { join, sep } from 'node:path';
import { expect } from 'chai';
import { map, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  isIgnoredName,
  isIgnoredPath,
  matchesInclude,
  normaliseInclude,
  toFileItems,
  watcherEvents,
} from '../../src/sources/watchDirectoryInternals.js';
import type { FileStat, WatcherLike } from '../../src/sources/watchDirectoryInternals.js';

describe('isIgnoredName', () => {
  it('should ignore hidden files and folders', () => {
    for (const name of ['.DS_Store', '.git', '.hidden.png', '.']) {
      expect(isIgnoredName(name), name).to.equal(true);
    }
  });

  it('should ignore names of files still being written, in any case', () => {
    const partial = ['x.tmp', 'scan.tif.part', 'a.PARTIAL', 'movie.crdownload', 'X.TMP', '~$report.docx', 'notes.txt~'];
    for (const name of partial) {
      expect(isIgnoredName(name), name).to.equal(true);
    }
  });

  it('should keep ordinary names, including ones that merely contain the markers', () => {
    const kept = ['a.png', 'tmp.png', 'x.tmp.png', 'part', 'report~1.docx', 'my~$file.txt', 'a.partial.tif', 'IMG_0001.TIF'];
    for (const name of kept) {
      expect(isIgnoredName(name), name).to.equal(false);
    }
  });
});

describe('isIgnoredPath', () => {
  const root = join(sep, 'data', '.instrument', 'out');

  it('should never ignore the root itself, even under a hidden folder', () => {
    expect(isIgnoredPath(root, root)).to.equal(false);
    expect(isIgnoredPath(root, join(root, 'a.png'))).to.equal(false);
  });

  it('should ignore anything under a hidden or partial folder below the root', () => {
    expect(isIgnoredPath(root, join(root, '.cache'))).to.equal(true);
    expect(isIgnoredPath(root, join(root, '.cache', 'a.png'))).to.equal(true);
    expect(isIgnoredPath(root, join(root, 'run1', 'b.png.part'))).to.equal(true);
    expect(isIgnoredPath(root, join(root, 'run1', 'b.png'))).to.equal(false);
  });
});

describe('normaliseInclude', () => {
  it('should return undefined when no list is given', () => {
    expect(normaliseInclude(undefined)).to.equal(undefined);
  });

  it('should lower-case and dot-prefix every extension', () => {
    expect(normaliseInclude(['png', '.TIF', 'Ome.Tif'])).to.deep.equal(['.png', '.tif', '.ome.tif']);
  });

  it('should throw a TypeError for empty or non-string entries', () => {
    expect(() => normaliseInclude([''])).to.throw(TypeError, /include/);
    expect(() => normaliseInclude(['.'])).to.throw(TypeError, /include/);
    expect(() => normaliseInclude([3 as unknown as string])).to.throw(TypeError, /include/);
    expect(() => normaliseInclude('png' as unknown as string[])).to.throw(TypeError, /include/);
  });
});

describe('matchesInclude', () => {
  it('should match everything when there is no list', () => {
    expect(matchesInclude('/d/anything.bin', undefined)).to.equal(true);
  });

  it('should match extensions case-insensitively', () => {
    const include = normaliseInclude(['png', '.TIF']);
    expect(matchesInclude('/d/a.png', include)).to.equal(true);
    expect(matchesInclude('/d/a.PNG', include)).to.equal(true);
    expect(matchesInclude('/d/sub/b.tif', include)).to.equal(true);
    expect(matchesInclude('/d/c.jpg', include)).to.equal(false);
    expect(matchesInclude('/d/a.png.json', include)).to.equal(false);
  });

  it('should not take a bare extension-like name for a match', () => {
    const include = normaliseInclude(['png']);
    expect(matchesInclude('/d/png', include)).to.equal(false);
    expect(matchesInclude('/d.png/readme', include)).to.equal(false);
  });

  it('should match multi-part extensions', () => {
    const include = normaliseInclude(['ome.tif']);
    expect(matchesInclude('/d/a.ome.tif', include)).to.equal(true);
    expect(matchesInclude('/d/a.tif', include)).to.equal(false);
  });
});

const file = (size: number, mtimeMs: number): FileStat => ({ size, mtimeMs, isFile: () => true });
const folder: FileStat = { size: 4096, mtimeMs: 1, isFile: () => false };
const vanished = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });

describe('toFileItems', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const result = cold<string>('-').pipe(toFileItems(() => cold('(s|)', { s: file(1, 1) })));
      expectObservable(result).toBe('-');
    });
  });

  it('should complete when the source is empty', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<string>('|');
      expectObservable(source.pipe(toFileItems(() => cold('(s|)', { s: file(1, 1) })))).toBe('|');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('should emit one file with its stat and index 0', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('-a-|', { a: '/d/a.png' });
      const stat = () => cold('--(s|)', { s: file(10, 100) });
      const expected = '   ---(i|)';
      expectObservable(source.pipe(toFileItems(stat))).toBe(expected, {
        i: { path: '/d/a.png', size: 10, mtimeMs: 100, index: 0 },
      });
    });
  });

  it('should remember the signatures of the latest `remember` paths only, letting an older repeat through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('abcab|', { a: '/d/a.png', b: '/d/b.png', c: '/d/c.png' });
      const stat = () => cold('(s|)', { s: file(1, 1) });
      // With room for 2: c pushes a out, so a's repeat passes, and pushes b out in turn.
      expectObservable(source.pipe(toFileItems(stat, 2), map((item) => item.path.slice(3, 4)))).toBe('abcab|');
      expectObservable(source.pipe(toFileItems(stat), map((item) => item.path.slice(3, 4)))).toBe('abc--|');
    });
  });

  it('should number many files in arrival order and keep stats in event order', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('ab-|', { a: '/d/a.png', b: '/d/b.png' });
      // a's stat is slower than b's; b must still come second.
      const stats: Record<string, Observable<FileStat>> = {
        '/d/a.png': cold('---(s|)', { s: file(1, 1) }),
        '/d/b.png': cold('(s|)', { s: file(2, 2) }),
      };
      const expected = '   ---(xy|)';
      expectObservable(source.pipe(toFileItems((path) => stats[path]!))).toBe(expected, {
        x: { path: '/d/a.png', size: 1, mtimeMs: 1, index: 0 },
        y: { path: '/d/b.png', size: 2, mtimeMs: 2, index: 1 },
      });
    });
  });

  it('should emit a path again only when its size or mtime changed', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('a-a-a-a-|', { a: '/d/a.png' });
      const sequence = [file(5, 1), file(5, 1), file(5, 2), file(6, 2)];
      let call = 0;
      const stat = () => cold('(s|)', { s: sequence[call++]! });
      const expected = '   a---b-c-|';
      expectObservable(source.pipe(toFileItems(stat))).toBe(expected, {
        a: { path: '/d/a.png', size: 5, mtimeMs: 1, index: 0 },
        b: { path: '/d/a.png', size: 5, mtimeMs: 2, index: 1 },
        c: { path: '/d/a.png', size: 6, mtimeMs: 2, index: 2 },
      });
    });
  });

  it('should skip folders and files that vanished before the stat', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('abc|', { a: '/d/gone.png', b: '/d/sub', c: '/d/c.png' });
      const stats: Record<string, Observable<FileStat>> = {
        '/d/gone.png': cold('#', undefined, vanished),
        '/d/sub': cold('(s|)', { s: folder }),
        '/d/c.png': cold('(s|)', { s: file(3, 3) }),
      };
      const expected = '   --c|';
      expectObservable(source.pipe(toFileItems((path) => stats[path]!))).toBe(expected, {
        c: { path: '/d/c.png', size: 3, mtimeMs: 3, index: 0 },
      });
    });
  });

  it('should start indexes and signatures afresh for each subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const result = cold('a|', { a: '/d/a.png' }).pipe(toFileItems(() => cold('(s|)', { s: file(1, 1) })));
      const item = { path: '/d/a.png', size: 1, mtimeMs: 1, index: 0 };
      expectObservable(result).toBe('a|', { a: item });
      expectObservable(result).toBe('a|', { a: item });
    });
  });

  it('should pass a source error through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const failure = new Error('watcher broke');
      const source = cold('a#', { a: '/d/a.png' }, failure);
      expectObservable(source.pipe(toFileItems(() => cold('(s|)', { s: file(1, 1) })))).toBe('a#', {
        a: { path: '/d/a.png', size: 1, mtimeMs: 1, index: 0 },
      }, failure);
    });
  });

  it('should keep emitting from a never-ending source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-b-', { a: '/d/a.png', b: '/d/b.png' });
      const stat = (path: string) => cold('(s|)', { s: file(path.length, 1) });
      expectObservable(source.pipe(toFileItems(stat))).toBe('a-b-', {
        a: { path: '/d/a.png', size: 8, mtimeMs: 1, index: 0 },
        b: { path: '/d/b.png', size: 8, mtimeMs: 1, index: 1 },
      });
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });

  it('should unsubscribe from the source and a pending stat on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a---b-', { a: '/d/a.png', b: '/d/b.png' });
      const slowStat = cold('-----(s|)', { s: file(1, 1) });
      const unsubscribe = '^--!';
      expectObservable(source.pipe(toFileItems(() => slowStat)), unsubscribe).toBe('----');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(slowStat.subscriptions).toBe('^--!');
    });
  });

  it('should turn a stat that throws or fails for another reason into an error naming the path', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const denied = Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      const throwing = (): Observable<FileStat> => {
        throw denied;
      };
      const failing = () => cold<FileStat>('#', undefined, denied);
      const expectedError = new Error('Could not stat /d/a.png: EIO: i/o error', { cause: denied });
      expectObservable(cold('a', { a: '/d/a.png' }).pipe(toFileItems(throwing))).toBe('#', undefined, expectedError);
      expectObservable(cold('a', { a: '/d/a.png' }).pipe(toFileItems(failing))).toBe('#', undefined, expectedError);
    });
  });
});

class FakeWatcher extends EventEmitter implements WatcherLike {
  closeCalls = 0;
  constructor(private readonly closeResult: () => Promise<unknown> = () => Promise.resolve()) {
    super();
  }
  close(): Promise<unknown> {
    this.closeCalls += 1;
    return this.closeResult();
  }
}

describe('watcherEvents', () => {
  it('should create the watcher on subscribe and emit add and change paths', () => {
    const watcher = new FakeWatcher();
    let created = 0;
    const events = watcherEvents('/d', () => {
      created += 1;
      return watcher;
    });
    expect(created).to.equal(0);
    const seen: string[] = [];
    const subscription = events.subscribe((event) => seen.push(event.path));
    watcher.emit('add', '/d/a.png');
    watcher.emit('change', '/d/a.png');
    watcher.emit('unlink', '/d/a.png');
    watcher.emit('addDir', '/d/sub');
    expect(created).to.equal(1);
    expect(seen).to.deep.equal(['/d/a.png', '/d/a.png']);
    subscription.unsubscribe();
  });

  it('should close the watcher on unsubscribe and swallow a failed close', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const watcher = new FakeWatcher(() => Promise.reject(new Error('close failed')));
      const seen: string[] = [];
      const subscription = watcherEvents('/d', () => watcher).subscribe((event) => seen.push(event.path));
      subscription.unsubscribe();
      watcher.emit('add', '/d/late.png');
      await new Promise((resolve) => setImmediate(resolve));
      expect(watcher.closeCalls).to.equal(1);
      expect(seen).to.deep.equal([]);
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('should turn a watcher error into an error naming the folder, and close the watcher', () => {
    const watcher = new FakeWatcher();
    const cause = Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' });
    let received: unknown;
    watcherEvents('/data/in', () => watcher).subscribe({ error: (error) => (received = error) });
    watcher.emit('error', cause);
    expect(received).to.be.instanceOf(Error);
    expect((received as Error).message).to.equal('Watching /data/in failed: EMFILE: too many open files');
    expect((received as Error).cause).to.equal(cause);
    expect(watcher.closeCalls).to.equal(1);
  });

  it('should turn a watcher that cannot be created into an error', () => {
    let received: unknown;
    watcherEvents('/data/in', () => {
      throw new Error('bad options');
    }).subscribe({ error: (error) => (received = error) });
    expect((received as Error).message).to.equal('Could not watch /data/in: bad options');
  });

  it('should call onReady once the watcher is ready, and error if onReady throws', () => {
    const watcher = new FakeWatcher();
    let readyCalls = 0;
    const failure = new Error('test setup failed');
    let received: unknown;
    watcherEvents('/d', () => watcher, {
      onReady: () => {
        readyCalls += 1;
        throw failure;
      },
    }).subscribe({ error: (error) => (received = error) });
    expect(readyCalls).to.equal(0);
    watcher.emit('ready');
    expect(readyCalls).to.equal(1);
    expect(received).to.equal(failure);
    expect(watcher.closeCalls).to.equal(1);
  });

  it('should hand each noticed path to onNoticed, and error if onNoticed throws', () => {
    const watcher = new FakeWatcher();
    const noticed: string[] = [];
    const failure = new Error('hook failed');
    let received: unknown;
    watcherEvents('/d', () => watcher, {
      onNoticed: (path) => {
        noticed.push(path);
        if (path.endsWith('bad.png')) throw failure;
      },
    }).subscribe({ error: (error) => (received = error) });
    watcher.emit('noticed', '/d/a.png');
    expect(noticed).to.deep.equal(['/d/a.png']);
    expect(received).to.equal(undefined);
    watcher.emit('noticed', '/d/bad.png');
    expect(received).to.equal(failure);
    expect(watcher.closeCalls).to.equal(1);
    watcher.emit('noticed', '/d/after.png');
    expect(noticed).to.deep.equal(['/d/a.png', '/d/bad.png']);
  });

  it('should never complete on its own', () => {
    const watcher = new FakeWatcher();
    let completed = false;
    const subscription = watcherEvents('/d', () => watcher).subscribe({ complete: () => (completed = true) });
    watcher.emit('ready');
    expect(completed).to.equal(false);
    subscription.unsubscribe();
  });
});
