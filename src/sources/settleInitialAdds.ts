// Not exported from the package: used by `watchDirectory` when it polls with chokidar.
import { EventEmitter } from 'node:events';
import { lstat } from 'node:fs/promises';
import { settleStep, type SettleState } from './settleRule.js';
import { isVanished, type WatcherLike } from './watchDirectoryInternals.js';

/**
 * Wraps a chokidar watcher so that the files it reports before `ready` (those present at
 * start) settle like new ones: chokidar applies `awaitWriteFinish` only after `ready`, so a
 * file being written when the agent started was reported half written.
 *
 * A file counts as settled by `settleStep`'s rule, as in the native watcher. Later events pass
 * through untouched.
 */
export function settleInitialAdds(
  inner: WatcherLike,
  settle: { readonly stabilityThreshold: number; readonly pollInterval: number },
): WatcherLike {
  const outer = new EventEmitter();
  const timers = new Set<NodeJS.Timeout>();
  let ready = false;
  let closed = false;

  const look = (path: string, last: SettleState | undefined): void => {
    lstat(path).then(
      (stats) => {
        if (closed || !stats.isFile()) return;
        const { state: next, settled } = settleStep(last, stats, Date.now(), settle.stabilityThreshold);
        if (settled) {
          outer.emit('add', path);
          return;
        }
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
