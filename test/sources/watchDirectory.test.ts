import { execFile } from 'node:child_process';
import { appendFile, lstat, mkdir, mkdtemp, open, realpath, rename, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { BehaviorSubject, type Subscription } from 'rxjs';
import type { FileItem } from '../../src/model/FileItem.js';
import { watchDirectory } from '../../src/sources/watchDirectory.js';
import type { WatchDirectoryOptions } from '../../src/sources/watchDirectory.js';

// Short enough to keep the suite fast, long enough that the pauses below (50 ms) fall inside it.
const settle = { stabilityThreshold: 150, pollInterval: 30 };
// How long we listen for an emission that must not come: over two stability windows.
const quietMs = 350;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await sleep(20);
  }
}

interface Watching {
  readonly items: FileItem[];
  readonly errors: unknown[];
  readonly subscription: Subscription;
}

/** Subscribes and resolves once the initial scan is done, so later writes count as new. */
function startWatching(dir: string, options: WatchDirectoryOptions = {}): Promise<Watching> {
  return new Promise((resolve) => {
    const items: FileItem[] = [];
    const errors: unknown[] = [];
    let watching: Watching | undefined;
    let ready = false;
    const subscription = watchDirectory(dir, {
      awaitWriteFinish: settle,
      ...options,
      onReady: () => {
        ready = true;
        if (watching) resolve(watching);
      },
    }).subscribe({ next: (item) => items.push(item), error: (error) => errors.push(error) });
    watching = { items, errors, subscription };
    if (ready) resolve(watching);
  });
}

const names = (items: readonly FileItem[], dir: string) => items.map((item) => item.path.slice(dir.length + 1));

describe('watchDirectory', () => {
  let dir: string;
  let watching: Watching | undefined;

  beforeEach(async () => {
    // realpath so expected paths match what the watcher reports on systems where tmpdir is a symlink.
    dir = await realpath(await mkdtemp(join(tmpdir(), 'watchDirectory-')));
    watching = undefined;
  });

  afterEach(async () => {
    watching?.subscription.unsubscribe();
    await rm(dir, { recursive: true, force: true });
  });

  it('should emit a file written in pieces once, with its final size', async () => {
    watching = await startWatching(dir);
    const handle = await open(join(dir, 'scan.png'), 'w');
    try {
      for (let chunk = 0; chunk < 5; chunk += 1) {
        await handle.write(Buffer.alloc(100, chunk));
        await sleep(50);
      }
    } finally {
      await handle.close();
    }
    await waitFor(() => watching!.items.length > 0, 'scan.png');
    await sleep(quietMs);

    expect(watching.items).to.have.length(1);
    const [item] = watching.items;
    expect(item!.path).to.equal(join(dir, 'scan.png'));
    expect(isAbsolute(item!.path)).to.equal(true);
    expect(item!.size).to.equal(500);
    expect(item!.index).to.equal(0);
    expect(watching.errors).to.deep.equal([]);
  });

  /** Appends `chunks` pieces of 100 bytes to `path`, `pauseMs` apart, then closes it. */
  async function writeSlowly(path: string, chunks: number, pauseMs: number): Promise<void> {
    const handle = await open(path, 'a');
    try {
      for (let chunk = 0; chunk < chunks; chunk += 1) {
        await handle.write(Buffer.alloc(100, chunk));
        if (chunk < chunks - 1) await sleep(pauseMs);
      }
    } finally {
      await handle.close();
    }
  }

  for (const usePolling of [false, true]) {
    it(`should let a file being written when watching starts settle before emitting it${usePolling ? ' (polling)' : ''}`, async () => {
      const path = join(dir, 'partial.png');
      await writeFile(path, Buffer.alloc(100, 9));
      const writing = writeSlowly(path, 6, 60);
      watching = await startWatching(dir, { usePolling, interval: 30 });
      await writing;
      await waitFor(() => watching!.items.length > 0, 'partial.png');
      await sleep(quietMs);

      expect(watching.items.map((item) => item.size)).to.deep.equal([700]);
    });
  }

  it('should report a file present at start at once when its mtime is older than the threshold', async () => {
    const path = join(dir, 'old.png');
    await writeFile(path, 'old');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(path, hourAgo, hourAgo);
    const started = Date.now();
    watching = await startWatching(dir, { awaitWriteFinish: { stabilityThreshold: 3000, pollInterval: 30 } });
    await waitFor(() => watching!.items.length > 0, 'old.png', 2500);

    expect(Date.now() - started).to.be.below(2500);
  });

  it('should wait out a writer that pauses 1 s when stabilityThreshold is longer than its pauses', async () => {
    watching = await startWatching(dir, { awaitWriteFinish: { stabilityThreshold: 1500, pollInterval: 50 } });
    await writeSlowly(join(dir, 'slow.png'), 3, 1000);
    await waitFor(() => watching!.items.length > 0, 'slow.png', 5000);
    await sleep(1600);

    expect(watching.items.map((item) => item.size)).to.deep.equal([300]);
  });

  it('should emit a file written as .tmp and renamed only under its final name', async () => {
    watching = await startWatching(dir);
    await writeFile(join(dir, 'x.tmp'), 'partial image data');
    // Longer than the stability threshold: were x.tmp watched, it would be emitted by now.
    await sleep(300);
    await rename(join(dir, 'x.tmp'), join(dir, 'x.png'));
    await waitFor(() => watching!.items.length > 0, 'x.png');
    await sleep(quietMs);

    expect(names(watching.items, dir)).to.deep.equal(['x.png']);
    expect(watching.items[0]!.size).to.equal('partial image data'.length);
  });

  it('should emit files in subfolders, filtered by extension with or without the dot in any case', async () => {
    watching = await startWatching(dir, { include: ['png', '.TIF'] });
    await mkdir(join(dir, 'run1', 'tile'), { recursive: true });
    await writeFile(join(dir, 'run1', 'tile', 'a.PNG'), 'a');
    await writeFile(join(dir, 'run1', 'b.tif'), 'b');
    await writeFile(join(dir, 'c.jpg'), 'c');
    await writeFile(join(dir, 'run1', 'notes.txt'), 'd');
    await writeFile(join(dir, 'e.Tif'), 'e');
    await waitFor(() => watching!.items.length >= 3, 'three matching files');
    await sleep(quietMs);

    expect(names(watching.items, dir).sort()).to.deep.equal(['e.Tif', join('run1', 'b.tif'), join('run1', 'tile', 'a.PNG')]);
  });

  it('should not descend below depth', async () => {
    await mkdir(join(dir, 'sub'));
    watching = await startWatching(dir, { depth: 0 });
    await writeFile(join(dir, 'sub', 'deep.png'), 'deep');
    await writeFile(join(dir, 'top.png'), 'top');
    await waitFor(() => watching!.items.length > 0, 'top.png');
    await sleep(quietMs);

    expect(names(watching.items, dir)).to.deep.equal(['top.png']);
  });

  it('should emit files already present when ignoreInitial is false (the default)', async () => {
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'old.png'), 'old');
    watching = await startWatching(dir);
    await waitFor(() => watching!.items.length > 0, 'old.png');

    const { dev, ino, mtimeMs } = await lstat(join(dir, 'sub', 'old.png'));
    expect(watching.items).to.deep.equal([{ path: join(dir, 'sub', 'old.png'), size: 3, mtimeMs, index: 0, dev, ino }]);
  });

  it('should skip files already present when ignoreInitial is true but emit new ones', async () => {
    await writeFile(join(dir, 'old.png'), 'old');
    watching = await startWatching(dir, { ignoreInitial: true });
    await writeFile(join(dir, 'new.png'), 'new');
    await waitFor(() => watching!.items.length > 0, 'new.png');
    await sleep(quietMs);

    expect(names(watching.items, dir)).to.deep.equal(['new.png']);
    expect(watching.items[0]!.index).to.equal(0);
  });

  it('should hold the first scan while holdScan says so, still reporting new files, and read the rest once it lets go', async () => {
    await mkdir(join(dir, 'sub'));
    for (let n = 0; n < 40; n += 1) await writeFile(join(dir, 'sub', `old${String(n).padStart(2, '0')}.png`), 'old');
    const hold = new BehaviorSubject(true);
    let ready = false;
    const items: FileItem[] = [];
    const subscription = watchDirectory(dir, { awaitWriteFinish: settle, holdScan: hold, onReady: () => (ready = true) }).subscribe((item) => items.push(item));
    watching = { items, errors: [], subscription };
    await sleep(quietMs);
    expect(items, 'nothing read while held').to.deep.equal([]);
    expect(ready).to.equal(false);
    // The root is watched before it is read, so a new file is reported though the scan is held.
    await writeFile(join(dir, 'new.png'), 'new');
    await waitFor(() => items.length === 1, 'new.png while held');
    expect(names(items, dir)).to.deep.equal(['new.png']);
    hold.next(false);
    await waitFor(() => items.length === 41 && ready, 'the rest of the scan');
    expect(names(items, dir).filter((name) => name.startsWith('sub/')).sort()).to.have.length(40);
    expect(hold.observed, 'unsubscribed with the watcher').to.equal(true);
    subscription.unsubscribe();
    expect(hold.observed).to.equal(false);
  });

  it('should ignore hidden files and folders and partially written names', async () => {
    watching = await startWatching(dir);
    await mkdir(join(dir, '.cache'));
    await writeFile(join(dir, '.cache', 'inside.png'), 'x');
    await writeFile(join(dir, '.hidden.png'), 'x');
    await writeFile(join(dir, '~$lock.png'), 'x');
    await writeFile(join(dir, 'backup.png~'), 'x');
    await writeFile(join(dir, 'big.tif.part'), 'x');
    await writeFile(join(dir, 'dl.crdownload'), 'x');
    await writeFile(join(dir, 'half.PARTIAL'), 'x');
    await writeFile(join(dir, 'visible.png'), 'x');
    await waitFor(() => watching!.items.length > 0, 'visible.png');
    await sleep(quietMs);

    expect(names(watching.items, dir)).to.deep.equal(['visible.png']);
  });

  it('should number emissions from 0 in arrival order', async () => {
    watching = await startWatching(dir);
    for (const name of ['first.png', 'second.png', 'third.png']) {
      await writeFile(join(dir, name), name);
      await waitFor(() => watching!.items.some((item) => item.path.endsWith(name)), name);
    }

    expect(watching.items.map((item) => [item.index, item.path])).to.deep.equal([
      [0, join(dir, 'first.png')],
      [1, join(dir, 'second.png')],
      [2, join(dir, 'third.png')],
    ]);
  });

  it('should emit a path again only when its size or mtime changed', async () => {
    const path = join(dir, 'a.png');
    const firstMtime = new Date('2024-01-01T00:00:00Z');
    await writeFile(path, 'same');
    await utimes(path, firstMtime, firstMtime);
    watching = await startWatching(dir);
    await waitFor(() => watching!.items.length === 1, 'the initial a.png');

    // Same bytes rewritten and the mtime put back: chokidar reports a change, but the
    // (size, mtimeMs) signature is unchanged, so nothing is emitted.
    await writeFile(path, 'same');
    await utimes(path, firstMtime, firstMtime);
    await sleep(quietMs);
    expect(watching.items).to.have.length(1);

    // Same size, new mtime: a new version as far as the watcher can tell.
    const secondMtime = new Date('2024-01-02T00:00:00Z');
    await utimes(path, secondMtime, secondMtime);
    await waitFor(() => watching!.items.length === 2, 'a.png with a new mtime');

    await appendFile(path, ' and more');
    await waitFor(() => watching!.items.length === 3, 'a.png with a new size');
    await sleep(quietMs);

    expect(watching.items.map(({ size, mtimeMs, index }) => ({ size, mtimeMs, index }))).to.deep.equal([
      { size: 4, mtimeMs: firstMtime.getTime(), index: 0 },
      { size: 4, mtimeMs: secondMtime.getTime(), index: 1 },
      { size: 13, mtimeMs: watching.items[2]!.mtimeMs, index: 2 },
    ]);
  });

  it('should neither follow nor report symlinks', async () => {
    const outside = await realpath(await mkdtemp(join(tmpdir(), 'watchDirectory-outside-')));
    try {
      await writeFile(join(outside, 'secret.png'), 'secret');
      await symlink(join(outside, 'secret.png'), join(dir, 'link.png'));
      await symlink(outside, join(dir, 'linked-dir'));
      watching = await startWatching(dir);
      await symlink(join(outside, 'secret.png'), join(dir, 'late-link.png'));
      await writeFile(join(outside, 'later.png'), 'later');
      await writeFile(join(dir, 'real.png'), 'real');
      await waitFor(() => watching!.items.length > 0, 'real.png');
      await sleep(quietMs);

      expect(names(watching.items, dir)).to.deep.equal(['real.png']);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('should still emit when awaitWriteFinish is off, ending at the final size', async () => {
    watching = await startWatching(dir, { awaitWriteFinish: false });
    await writeFile(join(dir, 'quick.png'), 'quick');
    await waitFor(() => watching!.items.some((item) => item.size === 5), 'quick.png at its final size');

    expect(watching.items.every((item) => item.path === join(dir, 'quick.png'))).to.equal(true);
  });

  it('should emit new files when polling', async () => {
    watching = await startWatching(dir, { usePolling: true, interval: 50 });
    await writeFile(join(dir, 'polled.tif'), 'polled');
    await waitFor(() => watching!.items.length > 0, 'polled.tif');

    expect(names(watching.items, dir)).to.deep.equal(['polled.tif']);
  });

  it('should call onNoticed as soon as a file appears, before it settles, and with polling as it is reported', async () => {
    const noticed: { path: string; reported: number }[] = [];
    watching = await startWatching(dir, {
      awaitWriteFinish: { stabilityThreshold: 300, pollInterval: 30 },
      include: ['png'],
      onNoticed: (path) => noticed.push({ path, reported: watching?.items.length ?? 0 }),
    });
    await writeFile(join(dir, 'skipped.txt'), 'not included');
    await writeFile(join(dir, 'frame.png'), 'frame');
    await waitFor(() => noticed.length > 0, 'frame.png noticed');
    // Noticed while settling: nothing reported yet, and the settle time not over.
    expect(noticed).to.deep.equal([{ path: join(dir, 'frame.png'), reported: 0 }]);
    expect(watching.items).to.deep.equal([]);
    await waitFor(() => watching!.items.length > 0, 'frame.png');
    expect(names(watching.items, dir)).to.deep.equal(['frame.png']);
    watching.subscription.unsubscribe();

    const polled: string[] = [];
    watching = await startWatching(dir, { usePolling: true, interval: 50, ignoreInitial: true, onNoticed: (path) => polled.push(path) });
    await writeFile(join(dir, 'polled.tif'), 'polled');
    await waitFor(() => watching!.items.length > 0, 'polled.tif');
    expect(polled).to.deep.equal([join(dir, 'polled.tif')]);
  });

  it('should end with what onNoticed threw', async () => {
    const failure = new Error('hook failed');
    watching = await startWatching(dir, {
      onNoticed: () => {
        throw failure;
      },
    });
    await writeFile(join(dir, 'a.png'), 'a');
    await waitFor(() => watching!.errors.length > 0, 'the error');
    expect(watching.errors).to.deep.equal([failure]);
    expect(watching.items).to.deep.equal([]);
  });

  it('should emit nothing after unsubscribe', async () => {
    watching = await startWatching(dir);
    await writeFile(join(dir, 'before.png'), 'before');
    await waitFor(() => watching!.items.length > 0, 'before.png');
    watching.subscription.unsubscribe();
    await writeFile(join(dir, 'after.png'), 'after');
    await sleep(quietMs);

    expect(names(watching.items, dir)).to.deep.equal(['before.png']);
  });

  it('should let the process exit once unsubscribed', async () => {
    // mocha runs with --exit, so only a separate process can show that no handle is left open.
    const script = join(dir, 'unsubscribe.mts');
    const moduleUrl = new URL('../../src/sources/watchDirectory.ts', import.meta.url).href;
    await mkdir(join(dir, 'watched'));
    await writeFile(
      script,
      [
        `import { watchDirectory } from ${JSON.stringify(moduleUrl)};`,
        `const subscription = watchDirectory(${JSON.stringify(join(dir, 'watched'))}, {`,
        `  onReady: () => setImmediate(() => { subscription.unsubscribe(); console.log('unsubscribed'); }),`,
        `}).subscribe();`,
      ].join('\n'),
    );
    const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, timeout: 10_000 }, (error, out) =>
        error ? reject(error) : resolve(out),
      );
    });

    expect(stdout.trim()).to.equal('unsubscribed');
  });

  it('should throw a TypeError at call time for invalid arguments', () => {
    expect(() => watchDirectory('')).to.throw(TypeError, 'Expected `path` to be a non-empty string, got ""');
    expect(() => watchDirectory(dir, { interval: 0 })).to.throw(TypeError, 'Expected `interval` to be an integer >= 1, got 0');
    expect(() => watchDirectory(dir, { depth: 1.5 })).to.throw(TypeError, 'Expected `depth` to be an integer >= 0, got 1.5');
    expect(() => watchDirectory(dir, { awaitWriteFinish: { stabilityThreshold: -1 } })).to.throw(
      TypeError,
      'Expected `stabilityThreshold` to be an integer >= 0, got -1',
    );
    expect(() => watchDirectory(dir, { awaitWriteFinish: { pollInterval: 0 } })).to.throw(
      TypeError,
      'Expected `pollInterval` to be an integer >= 1, got 0',
    );
    expect(() => watchDirectory(dir, { include: [''] })).to.throw(TypeError, /include/);
    expect(() => watchDirectory(dir, { holdScan: true as never })).to.throw(TypeError, 'Expected `holdScan` to be an Observable, got boolean');
    expect(() => watchDirectory(dir, { onNoticed: 'log' as never })).to.throw(TypeError, 'Expected `onNoticed` to be a function, got string');
  });
});
