// The event source behind `watchDirectory` when it is not polling. Not exported from the package.
//
// chokidar answers every event in a folder by reading the whole folder again with an lstat per
// entry, so its cost per new file grows with the folder: measured here, 100 new files into a
// folder of 759 took 3.6 s of CPU (0.9 s into an empty one), and an instrument that writes
// thousands of images into one folder would spend a core on it. This watcher asks the OS for
// per-folder events (`fs.watch`: inotify, FSEvents, ReadDirectoryChangesW) and looks only at
// the entry an event names: one lstat per event, whatever the folder holds.
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { Observable, Subscription } from 'rxjs';
import { settleStep, type SettleState } from './settleRule.js';
import { describe, isVanished, type WatcherLike } from './watchDirectoryInternals.js';

/** What the native watcher needs to know; `watchDirectory` normalises these. */
export interface NativeWatcherOptions {
  /** True for a file or folder that must be neither reported nor descended into. */
  readonly ignored: (path: string, kind: 'file' | 'directory') => boolean;
  /** Report nothing for the files present when watching starts. */
  readonly ignoreInitial: boolean;
  /** Wait until a file keeps its size and mtime this long before reporting it. */
  readonly awaitWriteFinish: false | { readonly stabilityThreshold: number; readonly pollInterval: number };
  /** Levels of subfolders to descend; `undefined` for all. */
  readonly depth: number | undefined;
  /** How often to look for a root that does not exist yet. @default 500 */
  readonly rootPollMs?: number;
  /** While its latest value is true, reading a folder's files waits (see `watchDirectory`'s `holdScan`). @default never */
  readonly holdScan?: Observable<boolean>;
  /** Files settling at once, beyond which reading folders waits. @default 4096 */
  readonly settlingAtOnce?: number;
}

interface Settling {
  /** What the looks so far saw; undefined before the first. */
  seen: SettleState | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * A watcher over `root` and its subfolders that emits `add` with the path of each file that
 * appeared or changed (after it settled, with `awaitWriteFinish`), `noticed` with its path as
 * soon as it is seen (before it settles), `ready` once the files present at start were
 * reported, and `error` when the root cannot be watched.
 *
 * A file is reported again on every later change; telling versions apart is the caller's job.
 * Symlinks are never followed or reported. A subfolder that vanishes is dropped quietly; events
 * lost by the OS (an inotify queue overflow) are left to the caller's periodic rescan.
 */
export function createNativeWatcher(root: string, options: NativeWatcherOptions): WatcherLike {
  return new NativeWatcher(root, options);
}

class NativeWatcher extends EventEmitter implements WatcherLike {
  private readonly folders = new Map<string, FSWatcher>();
  private readonly settling = new Map<string, Settling>();
  private readonly changed = new Set<string>();
  private flushing: NodeJS.Immediate | undefined;
  /** lstats of settling files in flight, and reads of folders waiting for fewer. */
  private looking = 0;
  private readonly waitingToLook: (() => void)[] = [];
  /** Whether `holdScan` holds reading, and the reads waiting for it to let go (or for fewer files settling). */
  private held = false;
  private readonly waitingToRead: (() => void)[] = [];
  private holding: Subscription | undefined;
  private rootPoll: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly root: string,
    private readonly options: NativeWatcherOptions,
  ) {
    super();
    // Started on the next turn, so the caller's listeners are attached before anything is emitted.
    setImmediate(() => void this.start());
  }

  close(): Promise<void> {
    this.closed = true;
    for (const watcher of this.folders.values()) watcher.close();
    this.folders.clear();
    for (const entry of this.settling.values()) clearTimeout(entry.timer);
    this.settling.clear();
    this.changed.clear();
    for (const wake of this.waitingToLook.splice(0)) wake();
    this.holding?.unsubscribe();
    for (const wake of this.waitingToRead.splice(0)) wake();
    if (this.flushing !== undefined) clearImmediate(this.flushing);
    clearTimeout(this.rootPoll);
    return Promise.resolve();
  }

  private async start(): Promise<void> {
    if (this.closed) return;
    this.holding = this.options.holdScan?.subscribe({
      next: (held) => {
        this.held = held;
        this.wakeReaders();
      },
      error: (error: unknown) => this.fail(error),
    });
    try {
      const stats = await lstat(this.root).catch((error: unknown) => {
        if (isVanished(error)) return undefined;
        throw error;
      });
      if (stats === undefined) {
        // Like chokidar: a folder that is not there yet is waited for; whatever it holds when
        // it appears was written after watching started, so it counts as new.
        this.emitReady();
        this.waitForRoot();
        return;
      }
      if (!stats.isDirectory()) {
        throw notAFolder(this.root);
      }
      await this.addFolder(this.root, 0, true);
      this.emitReady();
    } catch (error) {
      this.fail(error);
    }
  }

  private waitForRoot(): void {
    const pollMs = this.options.rootPollMs ?? 500;
    this.rootPoll = setTimeout(() => {
      if (this.closed) return;
      lstat(this.root).then(
        (stats) => {
          if (this.closed) return;
          if (!stats.isDirectory()) {
            this.fail(notAFolder(this.root));
            return;
          }
          this.addFolder(this.root, 0, false).catch((error: unknown) => this.fail(error));
        },
        (error: unknown) => (isVanished(error) ? this.waitForRoot() : this.fail(error)),
      );
    }, pollMs);
  }

  private emitReady(): void {
    if (!this.closed) this.emit('ready');
  }

  private fail(error: unknown): void {
    if (this.closed) return;
    const code = (error as { code?: unknown } | null)?.code;
    const hint =
      code === 'ENOSPC' || code === 'EMFILE'
        ? ' (the OS limit on watched folders was reached: raise fs.inotify.max_user_watches, or watch with polling)'
        : '';
    this.emit('error', hint === '' ? error : new Error(`${describe(error)}${hint}`, { cause: error }));
  }

  private withinDepth(level: number): boolean {
    return this.options.depth === undefined || level <= this.options.depth;
  }

  /**
   * Watches `folder` (at `level` below the root), then reads it once: the watch comes first so
   * that nothing written between the read and the watch is missed.
   */
  private async addFolder(folder: string, level: number, initial: boolean): Promise<void> {
    if (this.closed || this.folders.has(folder)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(folder, { persistent: true }, (type, name) => this.onEvent(folder, level, type, name));
    } catch (error) {
      if (folder !== this.root && isVanished(error)) return;
      throw error;
    }
    watcher.on('error', (error: unknown) => {
      if (folder === this.root) this.fail(error);
      else this.dropFolder(folder);
    });
    this.folders.set(folder, watcher);
    await this.readFolder(folder, level, initial);
  }

  private async readFolder(folder: string, level: number, initial: boolean): Promise<void> {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (folder !== this.root && isVanished(error)) {
        this.dropFolder(folder);
        return;
      }
      throw error;
    }
    const subfolders: string[] = [];
    for (const entry of entries) {
      if (this.closed) return;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) {
        if (this.withinDepth(level + 1) && !this.options.ignored(path, 'directory')) subfolders.push(path);
      } else if (entry.isFile() && !this.options.ignored(path, 'file')) {
        // A file present at start may be half written too (the agent started mid-write): it
        // settles like a new one, except that an mtime older than the threshold counts.
        if (!initial || !this.options.ignoreInitial) {
          // Held while the caller has enough files waiting, or while many settle (a folder of fresh
          // files moved in: each settles for the threshold): the rest wait on disk, not in memory.
          // Paced too: a folder of a million files must not queue a million lstats at once
          // (memory, and a new file's own lstat would wait behind all of them).
          while (!this.closed && (!this.mayRead() || this.looking >= looksAtOnce)) {
            if (!this.mayRead()) await new Promise<void>((wake) => this.waitingToRead.push(wake));
            else await new Promise<void>((wake) => this.waitingToLook.push(wake));
          }
          if (this.closed) return;
          this.fileChanged(path);
        }
      }
    }
    for (const path of await newestFirst(subfolders)) {
      if (this.closed) return;
      await this.addFolder(path, level + 1, initial);
    }
  }

  private onEvent(folder: string, level: number, type: string, name: string | Buffer | null): void {
    if (this.closed) return;
    if (name === null || name === undefined) {
      // Some platforms do not say which entry changed: look at all of them.
      this.readFolder(folder, level, false).catch((error: unknown) => this.fail(error));
      return;
    }
    const path = join(folder, name.toString());
    const ignoredAsFile = this.options.ignored(path, 'file');
    const ignoredAsFolder = !this.withinDepth(level + 1) || this.options.ignored(path, 'directory');
    if (type === 'change' && !this.folders.has(path)) {
      // A write to an existing entry; a subfolder's own metadata changing is filtered downstream.
      if (!ignoredAsFile) this.fileChanged(path);
      return;
    }
    // 'rename': something appeared or went away. Only an lstat tells which, and what it is.
    if (ignoredAsFile && ignoredAsFolder && !this.folders.has(path)) return;
    lstat(path).then(
      (stats) => {
        if (this.closed) return;
        if (stats.isDirectory()) {
          if (!ignoredAsFolder) this.addFolder(path, level + 1, false).catch((error: unknown) => this.fail(error));
        } else if (stats.isFile()) {
          if (!ignoredAsFile) this.fileChanged(path);
        }
      },
      (error: unknown) => {
        if (this.closed) return;
        if (isVanished(error)) this.dropFolder(path);
        else this.fail(error);
      },
    );
  }

  /** Stops watching `folder` and everything below it (it was removed or moved away). */
  private dropFolder(folder: string): void {
    const below = folder + sep;
    for (const [path, watcher] of this.folders) {
      if (path === folder || path.startsWith(below)) {
        watcher.close();
        this.folders.delete(path);
      }
    }
  }

  private fileChanged(path: string): void {
    if (this.options.awaitWriteFinish === false) {
      // A burst of writes to one file within one turn of the event loop is reported once.
      if (!this.changed.has(path)) this.emit('noticed', path);
      this.changed.add(path);
      this.flushing ??= setImmediate(() => {
        this.flushing = undefined;
        const paths = [...this.changed];
        this.changed.clear();
        for (const changed of paths) if (!this.closed) this.emit('add', changed);
      });
      return;
    }
    // Already settling: the next poll sees the change.
    if (!this.settling.has(path)) {
      this.emit('noticed', path);
      this.settling.set(path, { seen: undefined, timer: undefined });
      this.pollSettling(path);
    }
  }

  private mayRead(): boolean {
    return !this.held && this.settling.size < (this.options.settlingAtOnce ?? settlingAtOnce);
  }

  private wakeReaders(): void {
    if (this.waitingToRead.length > 0 && this.mayRead()) for (const wake of this.waitingToRead.splice(0)) wake();
  }

  /** A file is no longer settling: it settled, vanished or turned out not to be a file. */
  private settlingDone(path: string): void {
    this.settling.delete(path);
    this.wakeReaders();
  }

  private lookDone(): void {
    this.looking -= 1;
    if (this.looking < looksAtOnce) this.waitingToLook.shift()?.();
  }

  private pollSettling(path: string): void {
    const { stabilityThreshold, pollInterval } = this.options.awaitWriteFinish as {
      stabilityThreshold: number;
      pollInterval: number;
    };
    const entry = this.settling.get(path);
    if (entry === undefined || this.closed) return;
    this.looking += 1;
    lstat(path).finally(() => this.lookDone()).then(
      (stats) => {
        if (this.closed || this.settling.get(path) !== entry) return;
        if (!stats.isFile()) {
          this.settlingDone(path);
          return;
        }
        const { state, settled } = settleStep(entry.seen, stats, Date.now(), stabilityThreshold);
        entry.seen = state;
        if (settled) {
          this.settlingDone(path);
          // The lstat it settled on goes along, so nobody needs to look at the file again.
          this.emit('add', path, stats);
          return;
        }
        entry.timer = setTimeout(() => this.pollSettling(path), pollInterval);
      },
      (error: unknown) => {
        if (this.settling.get(path) !== entry) return;
        this.settlingDone(path);
        if (!isVanished(error)) this.fail(error);
      },
    );
  }
}

/**
 * lstats of settling files in flight at once, beyond which reading folders waits. Their
 * completions run as one batch of JavaScript: at 256, a restart on a million acknowledged
 * files held a new file's upload behind batches of ~70 ms (2.2 s to its upload instead of 1.5 s).
 */
const looksAtOnce = 32;

/** Files settling at once (each an entry and a timer), beyond which reading folders waits. */
const settlingAtOnce = 4096;

/**
 * Folders in order of their mtime, newest first. A file created or renamed into a folder sets
 * its mtime, so what arrived while the agent was down lies in the newest folders: on a restart
 * over a million delivered files (a walk of minutes) they are found in the first seconds
 * rather than wherever the directory order puts them. One that cannot be looked at goes last;
 * reading it will say why.
 */
async function newestFirst(folders: readonly string[]): Promise<string[]> {
  if (folders.length < 2) return [...folders];
  const mtimes = new Map<string, number>();
  // A few at a time: a folder of ten thousand folders must not start ten thousand lstats at once.
  for (let start = 0; start < folders.length; start += looksAtOnce) {
    const batch = folders.slice(start, start + looksAtOnce);
    const stats = await Promise.all(batch.map((path) => lstat(path).then((found) => found.mtimeMs, () => Number.NEGATIVE_INFINITY)));
    batch.forEach((path, index) => mtimes.set(path, stats[index]!));
  }
  return [...folders].sort((a, b) => mtimes.get(b)! - mtimes.get(a)!);
}

function notAFolder(path: string): Error {
  return Object.assign(new Error(`${path} is not a folder`), { code: 'ENOTDIR' });
}
