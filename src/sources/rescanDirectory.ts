import { readdir, lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { asyncScheduler, catchError, concatMap, defer, EMPTY, exhaustMap, from, type Observable, timer, type SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { fileItemOf, isIgnoredName, matchesInclude, normaliseInclude } from './watchDirectoryInternals.js';
import { functionOption, integerAtLeast, nonEmptyString, objectOption } from '../validation.js';

/** Options for {@link rescanDirectory}. */
export interface RescanDirectoryOptions {
  /**
   * Extensions to report, with or without the dot, compared case-insensitively, as in
   * `watchDirectory`.
   * @default undefined (every file)
   */
  readonly include?: readonly string[];
  /**
   * Milliseconds between walks; the first walk happens one interval after subscribing, since
   * the watcher's own initial scan covers the start.
   * @default 30000
   */
  readonly intervalMs?: number;
  /**
   * A file whose mtime is younger than this many milliseconds is left for the next walk: it may
   * still be being written, and the watcher waits for such files to settle anyway.
   * @default 2000
   */
  readonly minAgeMs?: number;
  /**
   * Lists the settled regular files under a folder (not following symlinks, skipping hidden and
   * partial names). Tests replace it.
   * @default a recursive `readdir` + `lstat` walk
   */
  readonly walk?: (root: string) => Observable<FileItem>;
  /**
   * Clock for the interval and for the age check.
   * @default asyncScheduler
   */
  readonly scheduler?: SchedulerLike;
}

/**
 * Walks a folder again and again, reporting every file in it, so a file whose watcher event
 * was lost (an overflowing inotify queue, a network share) is still found.
 *
 * Each walk emits one `FileItem` per regular file that matches `include` and is at least
 * `minAgeMs` old; the same file comes again on every walk, so the caller dedupes (runAgent
 * does, by path, size and mtime). A walk that is still running when the next one is due is
 * not overlapped. Folders that vanish or cannot be read mid-walk are skipped; symlinks are
 * never followed. `index` counts emissions from 0 per subscription.
 *
 * ```text
 * intervalMs 4, minAgeMs 0; each walk lists what the folder holds then
 * folder:  a----b---c------   a, b, c appear
 * result:  ----a---(ab)(abc)  a walk at 4, 8, 12 (and on, every 4)
 * ```
 *
 * @example
 * ```ts
 * rescanDirectory('/data/run1', { include: ['png'], intervalMs: 30_000 })
 *   .subscribe((file) => console.log('present:', file.path));
 * ```
 *
 * @param path The folder to walk; relative paths are resolved against the working directory.
 * @param options See {@link RescanDirectoryOptions}.
 * @returns A never-completing Observable of the files found by each walk.
 * @throws TypeError at call time when `path` or an option is invalid.
 */
export function rescanDirectory(path: string, options: RescanDirectoryOptions = {}): Observable<FileItem> {
  nonEmptyString('path', path);
  objectOption('options', options);
  const include = normaliseInclude(options.include);
  const intervalMs = integerAtLeast('intervalMs', options.intervalMs ?? 30_000, 1);
  const minAgeMs = integerAtLeast('minAgeMs', options.minAgeMs ?? 2000, 0);
  const walk = options.walk ?? walkFiles;
  functionOption('walk', walk);
  const scheduler = options.scheduler ?? asyncScheduler;
  const root = resolve(path);

  return defer(() => {
    let index = 0;
    return timer(intervalMs, intervalMs, scheduler).pipe(
      // A slow walk (a huge folder on a share) must not pile up behind itself.
      exhaustMap(() => walk(root)),
      concatMap((file) =>
        matchesInclude(file.path, include) && scheduler.now() - file.mtimeMs >= minAgeMs ? [{ ...file, index: index++ }] : EMPTY,
      ),
    );
  });
}

/** The default walk: depth first, lstat only, so symlinks (loops included) are never entered. */
function walkFiles(root: string): Observable<FileItem> {
  const visit = (folder: string): Observable<FileItem> =>
    from(readdir(folder, { withFileTypes: true })).pipe(
      // A folder removed or made unreadable mid-walk is simply not there this time.
      catchError(() => EMPTY),
      concatMap((entries) => from(entries)),
      concatMap((entry) => {
        if (isIgnoredName(entry.name)) return EMPTY;
        const full = join(folder, entry.name);
        if (entry.isDirectory()) return visit(full);
        if (!entry.isFile()) return EMPTY;
        return from(lstat(full)).pipe(
          concatMap((stats) => (stats.isFile() ? [fileItemOf(full, stats, 0)] : [])),
          catchError(() => EMPTY),
        );
      }),
    );
  return visit(root);
}
