import { realpathSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { watch } from 'chokidar';
import { Observable, defer, filter, from, identity, tap } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import {
  isIgnoredPath,
  matchesInclude,
  normaliseInclude,
  toFileItems,
  watcherEvents,
} from './watchDirectoryInternals.js';
import { createNativeWatcher } from './createNativeWatcher.js';
import { settleInitialAdds } from './settleInitialAdds.js';
import { functionOption, integerAtLeast, nonEmptyString, observableOption } from '../validation.js';

/** How long a file must stay the same size before it counts as written. */
export interface AwaitWriteFinishOptions {
  /**
   * Milliseconds the size must stay unchanged.
   * @default 500
   */
  stabilityThreshold?: number;
  /**
   * Milliseconds between size checks while waiting.
   * @default 100
   */
  pollInterval?: number;
}

/** Options for {@link watchDirectory}. */
export interface WatchDirectoryOptions {
  /**
   * Extensions to report, with or without the dot, compared case-insensitively
   * (`['png', '.TIF']`). Multi-part extensions such as `'ome.tif'` work too.
   * @default undefined (every file)
   */
  include?: readonly string[];
  /**
   * Skip the files already in the folder when watching starts.
   * @default false
   */
  ignoreInitial?: boolean;
  /**
   * Wait until a file keeps its size and mtime for `stabilityThreshold` ms before reporting it;
   * `false` reports at once. Files present at start settle too (the agent may start while one
   * is being written); one whose mtime is older than the threshold plus 2 s (FAT's mtime
   * rounding) is reported at the first look.
   * @default { stabilityThreshold: 500, pollInterval: 100 }
   */
  awaitWriteFinish?: boolean | AwaitWriteFinishOptions;
  /**
   * Poll (with chokidar) instead of using native events; needed on network shares (SMB, NFS)
   * where native events do not arrive. Polling re-reads each folder, so its cost grows with
   * the number of files in it.
   * @default false
   */
  usePolling?: boolean;
  /**
   * Milliseconds between polls when `usePolling` is on.
   * @default 100
   */
  interval?: number;
  /**
   * How many levels of subfolders to descend; 0 watches only the folder itself.
   * @default undefined (unlimited)
   */
  depth?: number;
  /**
   * Called once the initial scan is done, so callers (tests, the demo) know that files written
   * from now on will be seen. If it throws, the stream errors with what it threw.
   * @default undefined
   */
  onReady?: () => void;
  /**
   * Called with a file's path as soon as the watcher notices it, before it settles, so a caller
   * can get ready for it while it is still being written (runAgent starts the image reducer's
   * thread on the first image). With `usePolling`, just before the file is reported (chokidar
   * says nothing sooner). Called again when a settled file changes; if it throws, the stream
   * errors with what it threw.
   * @default undefined
   */
  onNoticed?: (path: string) => void;
  /**
   * While its latest value is true, reading folders waits between files: the first scan of a
   * folder of 100,000 files waiting to be sent stops where it is, and the files it has not read
   * wait on disk instead of in memory. Files that events report (new and changed ones) are
   * still reported. runAgent holds the scan while as many files wait as it admits at once.
   * Has no effect with `usePolling` (chokidar reads the whole tree at start). An error from it
   * ends the stream as a watcher error does.
   * @default undefined (never held)
   */
  holdScan?: Observable<boolean>;
}

/**
 * Watches a folder recursively and emits each settled file as a `FileItem`.
 *
 * Hidden and partially written files are ignored, a file is reported once per (size, mtimeMs),
 * and `index` counts emissions from 0 per subscription. Events come from the OS per folder
 * (`fs.watch`), and each one costs an lstat of the entry it names, however full the folder is;
 * with `usePolling`, chokidar polls instead (network shares send no events). At start the
 * native watcher reads each folder's subfolders newest first, so files written while the agent
 * was down are found before a tree of old ones, and it reads no further while 4,096 files are
 * settling (a folder of fresh files moved in) or while `holdScan` says so.
 *
 * ```
 * disk:    --a.png--a.png(appended)--.tmp--b.tif--a.png(rewritten)--
 * result:  -----------------a-------------------b-----------a'------   indexes 0, 1, 2
 *                 (after awaitWriteFinish settles)
 * ```
 *
 * Symlinks are not followed and not reported. A watcher error ends the stream with an Error
 * naming the folder; unsubscribing closes the watcher.
 *
 * @example
 * ```ts
 * watchDirectory('/data/microscope', { include: ['tif', 'png'] })
 *   .subscribe((file) => console.log(file.index, file.path, file.size));
 * ```
 *
 * @param path The folder to watch; relative paths are resolved against the working directory.
 * @param options See {@link WatchDirectoryOptions}.
 * @returns A never-completing Observable of settled files with absolute paths.
 * @throws TypeError at call time when `path` or an option is invalid.
 */
export function watchDirectory(path: string, options: WatchDirectoryOptions = {}): Observable<FileItem> {
  nonEmptyString('path', path);
  const include = normaliseInclude(options.include);
  const awaitWriteFinish = normaliseAwaitWriteFinish(options.awaitWriteFinish);
  const interval = options.interval ?? 100;
  integerAtLeast('interval', interval, 1);
  if (options.depth !== undefined) {
    integerAtLeast('depth', options.depth, 0);
  }
  if (options.holdScan !== undefined) observableOption('holdScan', options.holdScan);
  const { ignoreInitial = false, usePolling = false, depth, onReady, onNoticed, holdScan } = options;
  if (onNoticed !== undefined) functionOption('onNoticed', onNoticed);
  const requestedRoot = resolve(path);

  return defer(() => {
    // Symlinks are never followed below the root, and a root that is itself a symlink (macOS
    // /tmp) would be taken for one; watch its target instead.
    const root = realpathOrSelf(requestedRoot);
    const ignored = (candidate: string, isFile: boolean): boolean =>
      isIgnoredPath(root, candidate) || (isFile && !matchesInclude(candidate, include));
    const createWatcher = usePolling
      ? () => {
          const chokidar = watch(root, {
            ignored: (candidate, stats) => ignored(candidate, stats?.isFile() === true),
            ignoreInitial,
            awaitWriteFinish,
            usePolling,
            interval,
            // chokidar polls "binary" files (png, tif…) at binaryInterval; instrument output is mostly that.
            binaryInterval: interval,
            depth,
            followSymlinks: false,
            persistent: true,
          });
          return awaitWriteFinish === false ? chokidar : settleInitialAdds(chokidar, awaitWriteFinish);
        }
      : () =>
          createNativeWatcher(root, {
            ignored: (candidate, kind) => ignored(candidate, kind === 'file'),
            ignoreInitial,
            awaitWriteFinish,
            depth,
            ...(holdScan === undefined ? {} : { holdScan }),
          });
    return watcherEvents(root, createWatcher, {
      ...(onReady === undefined ? {} : { onReady }),
      ...(onNoticed === undefined || usePolling ? {} : { onNoticed }),
      withStats: !usePolling,
    });
  }).pipe(
    filter((candidate) => matchesInclude(candidate.path, include)),
    // chokidar says nothing before a file settled: polling notices a file as it reports it.
    usePolling && onNoticed !== undefined ? tap((candidate) => onNoticed(candidate.path)) : identity,
    // lstat, not stat: a symlink must never be reported as the file it points to.
    toFileItems((candidate) => from(lstat(candidate))),
  );
}

function normaliseAwaitWriteFinish(
  option: WatchDirectoryOptions['awaitWriteFinish'],
): false | { stabilityThreshold: number; pollInterval: number } {
  if (option === false) {
    return false;
  }
  if (option !== undefined && option !== true && (typeof option !== 'object' || option === null)) {
    throw new TypeError(`Expected \`awaitWriteFinish\` to be a boolean or an object, got ${String(option)}`);
  }
  const given = typeof option === 'object' ? option : {};
  const stabilityThreshold = given.stabilityThreshold ?? 500;
  const pollInterval = given.pollInterval ?? 100;
  integerAtLeast('stabilityThreshold', stabilityThreshold, 0);
  integerAtLeast('pollInterval', pollInterval, 1);
  return { stabilityThreshold, pollInterval };
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    // Not there yet: the watcher waits for it to appear.
    return path;
  }
}
