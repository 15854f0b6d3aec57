import { mkdir, mkdtemp, realpath, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createNativeWatcher, type NativeWatcherOptions } from '../../src/sources/createNativeWatcher.js';
import type { WatcherLike } from '../../src/sources/watchDirectoryInternals.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
// Long enough for the OS to deliver an event and the watcher to lstat the entry it names.
const quietMs = 300;

async function waitFor(condition: () => boolean, what: string, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}

interface Recording {
  readonly watcher: WatcherLike;
  readonly added: string[];
  readonly errors: unknown[];
  readonly ready: Promise<void>;
}

function record(root: string, options: Partial<NativeWatcherOptions> = {}): Recording {
  const watcher = createNativeWatcher(root, {
    ignored: () => false,
    ignoreInitial: false,
    awaitWriteFinish: false,
    depth: undefined,
    ...options,
  });
  const added: string[] = [];
  const errors: unknown[] = [];
  const ready = new Promise<void>((resolve) => watcher.on('ready', resolve));
  watcher.on('add', (path) => added.push(path));
  watcher.on('error', (error) => errors.push(error));
  return { watcher, added, errors, ready };
}

describe('createNativeWatcher', () => {
  let dir: string;
  let recording: Recording | undefined;

  beforeEach(async () => {
    dir = await realpath(await mkdtemp(join(tmpdir(), 'nativeWatcher-')));
    recording = undefined;
  });

  afterEach(async () => {
    await recording?.watcher.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('should report only the new file, not the others already in a full folder', async () => {
    for (let i = 0; i < 300; i += 1) await writeFile(join(dir, `old_${i}.png`), 'x');
    recording = record(dir, { ignoreInitial: true, ignored: (path) => path.endsWith('.tmp') });
    await recording.ready;
    await writeFile(join(dir, '.new.tmp'), 'y');
    await rename(join(dir, '.new.tmp'), join(dir, 'new.png'));
    await waitFor(() => recording!.added.includes(join(dir, 'new.png')), 'new.png');
    await sleep(quietMs);

    expect(new Set(recording.added)).to.deep.equal(new Set([join(dir, 'new.png')]));
    expect(recording.errors).to.deep.equal([]);
  });

  it('should report the files present at start, unless ignoreInitial', async () => {
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'top.png'), 'x');
    await writeFile(join(dir, 'a', 'b', 'deep.png'), 'x');
    recording = record(dir);
    await recording.ready;
    // They settle like new files (the agent may have started mid-write), so they follow ready.
    await waitFor(() => recording!.added.length >= 2, 'both files');

    expect([...recording.added].sort()).to.deep.equal([join(dir, 'a', 'b', 'deep.png'), join(dir, 'top.png')]);
  });

  it('should look in the newest folders first at start, where files written while it was down are', async () => {
    const hour = 3_600_000;
    const names = ['b-oldest', 'c-newest', 'a-middle', 'd-older'];
    const ages = [4, 0, 2, 3];
    for (const [index, name] of names.entries()) {
      await mkdir(join(dir, name, 'inner'), { recursive: true });
      for (let i = 0; i < 5; i += 1) await writeFile(join(dir, name, `f${i}.png`), 'x');
      await writeFile(join(dir, name, 'inner', 'deep.png'), 'x');
      const when = new Date(Date.now() - ages[index]! * hour);
      await utimes(join(dir, name), when, when);
    }
    recording = record(dir);
    await recording.ready;
    await waitFor(() => recording!.added.length >= 24, 'every file');

    const folderOrder = [...new Set(recording.added.map((path) => path.slice(dir.length + 1).split('/')[0]))];
    expect(folderOrder).to.deep.equal(['c-newest', 'a-middle', 'd-older', 'b-oldest']);
  });

  it('should catch files written into a new subfolder straight after it was made', async () => {
    recording = record(dir, { ignoreInitial: true });
    await recording.ready;
    // No pause between mkdir and the writes: the folder is read once it is watched, so files
    // that arrived before its watch are still found.
    await mkdir(join(dir, 'run', 'tile'), { recursive: true });
    await writeFile(join(dir, 'run', 'tile', 'a.png'), 'a');
    await writeFile(join(dir, 'run', 'b.png'), 'b');
    await waitFor(() => recording!.added.length >= 2, 'both files');
    await writeFile(join(dir, 'run', 'tile', 'c.png'), 'c');
    await waitFor(() => recording!.added.includes(join(dir, 'run', 'tile', 'c.png')), 'c.png');

    expect(new Set(recording.added)).to.deep.equal(
      new Set([join(dir, 'run', 'tile', 'a.png'), join(dir, 'run', 'b.png'), join(dir, 'run', 'tile', 'c.png')]),
    );
  });

  it('should report the files of a folder moved in, and keep watching a folder that was removed and made again', async () => {
    const outside = await realpath(await mkdtemp(join(tmpdir(), 'nativeWatcher-outside-')));
    try {
      await mkdir(join(outside, 'batch'));
      await writeFile(join(outside, 'batch', 'moved.png'), 'm');
      await mkdir(join(dir, 'sub'));
      recording = record(dir, { ignoreInitial: true });
      await recording.ready;

      await rename(join(outside, 'batch'), join(dir, 'batch'));
      await waitFor(() => recording!.added.includes(join(dir, 'batch', 'moved.png')), 'moved.png');

      await rm(join(dir, 'sub'), { recursive: true });
      await sleep(quietMs);
      await mkdir(join(dir, 'sub'));
      await writeFile(join(dir, 'sub', 'again.png'), 'again');
      await waitFor(() => recording!.added.includes(join(dir, 'sub', 'again.png')), 'again.png');
      expect(recording.errors).to.deep.equal([]);
    } finally {
      await rm(outside, { recursive: true, force: true });
    }
  });

  it('should neither report nor descend into what ignored names, nor go below depth', async () => {
    recording = record(dir, {
      ignoreInitial: true,
      depth: 1,
      ignored: (path, kind) => path.includes('skip') || (kind === 'file' && !path.endsWith('.png')),
    });
    await recording.ready;
    await mkdir(join(dir, 'skip-me'));
    await mkdir(join(dir, 'one', 'two'), { recursive: true });
    await writeFile(join(dir, 'skip-me', 'a.png'), 'x');
    await writeFile(join(dir, 'one', 'two', 'too-deep.png'), 'x');
    await writeFile(join(dir, 'one', 'notes.txt'), 'x');
    await writeFile(join(dir, 'one', 'kept.png'), 'x');
    await waitFor(() => recording!.added.length > 0, 'kept.png');
    await sleep(quietMs);

    expect(new Set(recording.added)).to.deep.equal(new Set([join(dir, 'one', 'kept.png')]));
  });

  it('should read no further while settlingAtOnce files settle, and report every file in the end', async () => {
    // Fresh files (as in a folder moved in) each settle for the whole threshold.
    for (let i = 0; i < 20; i += 1) await writeFile(join(dir, `fresh_${i}.png`), 'x');
    const started = Date.now();
    recording = record(dir, { awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 }, settlingAtOnce: 5 });
    await waitFor(() => recording!.added.length === 20, 'all 20 files');
    // Four rounds of five, each at least the threshold; all at once would take one.
    expect(Date.now() - started).to.be.at.least(300);
    expect(new Set(recording.added).size).to.equal(20);
  });

  it('should report a file once it kept its size for the stability threshold', async () => {
    recording = record(dir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 150, pollInterval: 30 } });
    await recording.ready;
    const path = join(dir, 'slow.png');
    await writeFile(path, 'a');
    for (let i = 0; i < 4; i += 1) {
      await sleep(60);
      await writeFile(path, 'a'.repeat(i + 2));
    }
    expect(recording.added).to.deep.equal([]);
    await waitFor(() => recording!.added.length > 0, 'slow.png');
    await sleep(quietMs);

    expect(recording.added).to.deep.equal([path]);
  });

  it('should wait for a root that does not exist yet and report what is written into it', async () => {
    const root = join(dir, 'later');
    recording = record(root, { rootPollMs: 50 });
    await recording.ready;
    await mkdir(root);
    await writeFile(join(root, 'first.png'), 'x');
    await waitFor(() => recording!.added.includes(join(root, 'first.png')), 'first.png');
    await writeFile(join(root, 'second.png'), 'x');
    await waitFor(() => recording!.added.includes(join(root, 'second.png')), 'second.png');

    expect(recording.errors).to.deep.equal([]);
  });

  it('should error, naming the path, when the root is a file', async () => {
    const file = join(dir, 'file.png');
    await writeFile(file, 'x');
    recording = record(file);
    await waitFor(() => recording!.errors.length > 0, 'an error');

    expect(String(recording.errors[0])).to.contain(`${file} is not a folder`);
  });

  it('should emit nothing once closed, not even for a file that was settling', async () => {
    recording = record(dir, { ignoreInitial: true, awaitWriteFinish: { stabilityThreshold: 100, pollInterval: 20 } });
    await recording.ready;
    await writeFile(join(dir, 'settling.png'), 'x');
    await sleep(40);
    await recording.watcher.close();
    await writeFile(join(dir, 'after.png'), 'x');
    await sleep(quietMs);

    expect(recording.added).to.deep.equal([]);
  });
});
