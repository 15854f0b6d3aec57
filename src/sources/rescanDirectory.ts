import { readdir, lstat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { asyncScheduler, catchError, concatMap, defer, EMPTY, exhaustMap, from, of, type Observable, take, tap, timer, type SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { fileItemOf, isIgnoredName, matchesInclude, normaliseInclude } from './watchDirectoryInternals.js';
import { functionOption, integerAtLeast, nonEmptyString, objectOption, observableOption } from '../validation.js';

/** Options for {@link rescanDirectory}. */
export interface RescanDirectoryOptions {
  /**
   * Extensions to report, with or without the dot, compared case-insensitively, as in
   * `watchDirectory`.
   * @default undefined (every file)
   */
  readonly include?: readonly string[];
  /**
   * Milliseconds between walks; the first walk happens one interval after subscribing (or after
   * `startAfter`), since the watcher's own initial scan covers the start.
   * @default 30000
   */
  readonly intervalMs?: number;
  /**
   * The first walk comes one interval after this first emits rather than after subscribing:
   * give it the watcher's "first scan done" (runAgent does), so that a walk does not go over a
   * tree the watcher is still reading. On a million files that first scan takes minutes, and a
   * walk beside it doubled the work (an lstat and a ledger lookup per file) and the memory.
   * An error from it passes through; if it completes without emitting, nothing is walked.
   * @default undefined (the first walk is one interval after subscribing)
   */
  readonly startAfter?: Observable<unknown>;
  /**
   * A file whose mtime is younger than this many milliseconds is left for the next walk: it may
   * still be being written, and the watcher waits for such files to settle anyway.
   * @default 2000
   */
  readonly minAgeMs?: number;
  /**
   * Every this many walks, one looks at every file again; the others look only in folders whose
   * mtime or ctime changed since a walk found them settled (a file created, renamed or removed
   * changes its folder's mtime), so a walk of a big, quiet tree costs one `lstat` per folder
   * rather than per file. A file rewritten in place whose watcher events were all lost is found
   * by the next full walk. 1 makes every walk full.
   * @default 10
   */
  readonly fullEvery?: number;
  /**
   * Lists the settled regular files under a folder (not following symlinks, skipping hidden and
   * partial names). Tests replace it.
   * @default a recursive `readdir` + `lstat` walk that skips unchanged folders (see `fullEvery`)
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
 * `minAgeMs` old, in the folders it looks at (every folder on a full walk, every `fullEvery`th;
 * on the others only folders changed since); the same file may come again, so the caller
 * dedupes (runAgent does, by path, size and mtime). A walk that is still running when the next one is due is
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
  const fullEvery = integerAtLeast('fullEvery', options.fullEvery ?? 10, 1);
  if (options.walk !== undefined) functionOption('walk', options.walk);
  const started$ = options.startAfter === undefined ? of(null) : observableOption('startAfter', options.startAfter).pipe(take(1));
  const scheduler = options.scheduler ?? asyncScheduler;
  const root = resolve(path);

  return defer(() => {
    let index = 0;
    const walk = options.walk ?? createChangedFolderWalk({ fullEvery, minAgeMs, scheduler });
    return started$.pipe(
      concatMap(() => timer(intervalMs, intervalMs, scheduler)),
      // A slow walk (a huge folder on a share) must not pile up behind itself.
      exhaustMap(() => walk(root)),
      concatMap((file) =>
        matchesInclude(file.path, include) && scheduler.now() - file.mtimeMs >= minAgeMs ? [{ ...file, index: index++ }] : EMPTY,
      ),
    );
  });
}

/** A folder as a walk found it settled: its mtime and ctime then. */
interface FolderMark {
  readonly mtimeMs: number;
  readonly ctimeMs: number;
}

/**
 * The default walk: depth first, lstat only, so symlinks (loops included) are never entered.
 * It remembers the folders it found settled (nothing in them younger than `minAgeMs`) and, but
 * on every `fullEvery`th walk, lists only the subfolders of those still unchanged.
 */
function createChangedFolderWalk(settings: { fullEvery: number; minAgeMs: number; scheduler: SchedulerLike }): (root: string) => Observable<FileItem> {
  let settled = new Map<string, FolderMark>();
  let walks = 0;
  return (root) =>
    defer(() => {
      const full = walks % settings.fullEvery === 0;
      walks += 1;
      const found = new Map<string, FolderMark>();
      const isYoung = (mtimeMs: number): boolean => settings.scheduler.now() - mtimeMs < settings.minAgeMs;
      const visit = (folder: string): Observable<FileItem> =>
        from(lstat(folder)).pipe(
          // A folder removed or made unreadable mid-walk is simply not there this time.
          catchError(() => EMPTY),
          concatMap((stats) => {
            const mark: FolderMark = { mtimeMs: stats.mtimeMs, ctimeMs: stats.ctimeMs };
            const before = settled.get(folder);
            const unchanged = !full && before !== undefined && before.mtimeMs === mark.mtimeMs && before.ctimeMs === mark.ctimeMs;
            let young = isYoung(Math.max(mark.mtimeMs, mark.ctimeMs));
            return from(readdir(folder, { withFileTypes: true })).pipe(
              catchError(() => EMPTY),
              concatMap((entries) => from(entries)),
              concatMap((entry) => {
                if (isIgnoredName(entry.name)) return EMPTY;
                const path = join(folder, entry.name);
                if (entry.isDirectory()) return visit(path);
                if (!entry.isFile() || unchanged) return EMPTY;
                return from(lstat(path)).pipe(
                  concatMap((file) => {
                    if (!file.isFile()) return [];
                    if (isYoung(file.mtimeMs)) young = true;
                    return [fileItemOf(path, file, 0)];
                  }),
                  catchError(() => EMPTY),
                );
              }),
              tap({
                complete: () => {
                  // A folder with a file still young is looked at again next time.
                  if (!young) found.set(folder, mark);
                },
              }),
            );
          }),
        );
      return visit(root).pipe(
        tap({
          complete: () => {
            settled = found;
          },
        }),
      );
    });
}
