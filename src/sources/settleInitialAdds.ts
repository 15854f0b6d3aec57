// Not exported from the package: used by `watchDirectory` when it polls with chokidar.
import { EventEmitter } from 'node:events';
import { lstat } from 'node:fs/promises';
import { isVanished, type WatcherLike } from './watchDirectoryInternals.js';

/** The coarsest mtime resolution in use (FAT rounds to 2 s), so an mtime can lag this much. */
export const mtimeGranularityMs = 2000;

/**
 * Wraps a chokidar watcher so that the files it reports before `ready` (those present at
 * start) settle like new ones: chokidar applies `awaitWriteFinish` only after `ready`, so a
 * file being written when the agent started was reported half written.
 *
 * A file counts as settled once its size and mtime stayed the same for `stabilityThreshold`
 * ms; one whose mtime is already older than that (plus FAT's 2 s rounding) is reported at
 * the first look. Later events pass through untouched.
 */
export function settleInitialAdds(
  inner: WatcherLike,
  settle: { readonly stabilityThreshold: number; readonly pollInterval: number },
): WatcherLike {
  const outer = new EventEmitter();
  const timers = new Set<NodeJS.Timeout>();
  let ready = false;
  let closed = false;

  const look = (path: string, last: { size: number; mtimeMs: number; since: number } | undefined): void => {
    lstat(path).then(
      (stats) => {
        if (closed || !stats.isFile()) return;
        const now = Date.now();
        let state = last;
        if (state === undefined || state.size !== stats.size || state.mtimeMs !== stats.mtimeMs) {
          const old = state === undefined && now - stats.mtimeMs >= settle.stabilityThreshold + mtimeGranularityMs;
          state = { size: stats.size, mtimeMs: stats.mtimeMs, since: old ? stats.mtimeMs : now };
        }
        if (now - state.since >= settle.stabilityThreshold) {
          outer.emit('add', path);
          return;
        }
        const next = state;
        const timer = setTimeout(() => {
          timers.delete(timer);
          look(path, next);
        }, settle.pollInterval);
        timers.add(timer);
      },
      (error: unknown) => {
        if (!closed && !isVanished(error)) outer.emit('error', error);
      },
    );
  };

  inner.on('add', (path) => (ready ? outer.emit('add', path) : look(path, undefined)));
  inner.on('change', (path) => outer.emit('change', path));
  inner.on('error', (error) => outer.emit('error', error));
  inner.on('ready', () => {
    ready = true;
    outer.emit('ready');
  });
  return Object.assign(outer, {
    close: (): Promise<unknown> => {
      closed = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      return inner.close();
    },
  });
}
