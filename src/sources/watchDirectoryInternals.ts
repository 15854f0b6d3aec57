// Machinery behind `watchDirectory`, kept apart so it can be tested without a filesystem.
// Not exported from the package.
import { basename, relative, sep, isAbsolute } from 'node:path';
import { Observable, EMPTY, defer, of, throwError, concatMap, catchError, filter, map } from 'rxjs';
import type { OperatorFunction } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { messageOf } from '../validation.js';
import { RecentMap } from '../operators/internals/orderedStructures.js';

// Suffixes browsers, rsync, curl, office suites and instrument software give files they are
// still writing; the finished file appears later under its real name.
const PARTIAL_SUFFIXES = ['.tmp', '.part', '.partial', '.crdownload'];

/**
 * Whether one path segment names something the watcher must never report: hidden entries
 * (`.DS_Store`, `.git`), and files that are still being written under a temporary name
 * (`scan.tif.part`, `~$report.docx`, `notes.txt~`).
 */
export function isIgnoredName(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('~$') || name.endsWith('~')) {
    return true;
  }
  const lower = name.toLowerCase();
  return PARTIAL_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/**
 * Whether `path` lies under an ignored entry below `root`.
 *
 * Only segments below the root count, so watching `/home/me/.instrument/out` still works.
 */
export function isIgnoredPath(root: string, path: string): boolean {
  const below = relative(root, path);
  if (below === '' || below.startsWith('..') || isAbsolute(below)) {
    return false;
  }
  return below.split(sep).some(isIgnoredName);
}

/**
 * Turns the user's extension list into lower-case, dot-prefixed suffixes, or `undefined` for
 * "every file".
 *
 * @throws TypeError when the list or one of its entries is not a non-empty string.
 */
export function normaliseInclude(include: readonly string[] | undefined): readonly string[] | undefined {
  if (include === undefined) {
    return undefined;
  }
  if (!Array.isArray(include)) {
    throw new TypeError(`Expected \`include\` to be an array of extensions, got ${String(include)}`);
  }
  return include.map((extension) => {
    if (typeof extension !== 'string' || extension.replace(/^\./, '') === '') {
      throw new TypeError(`Expected \`include\` entries to be extensions like 'png' or '.tif', got ${JSON.stringify(extension)}`);
    }
    const lower = extension.toLowerCase();
    return lower.startsWith('.') ? lower : `.${lower}`;
  });
}

/**
 * Whether the file name at `path` ends with one of the normalised extensions.
 *
 * A suffix test rather than `extname` so multi-part extensions such as `ome.tif` work.
 */
export function matchesInclude(path: string, include: readonly string[] | undefined): boolean {
  if (include === undefined) {
    return true;
  }
  const name = basename(path).toLowerCase();
  return include.some((extension) => name.length > extension.length && name.endsWith(extension));
}

/** The part of `fs.Stats` the watcher needs. */
export interface FileStat {
  readonly size: number;
  readonly mtimeMs: number;
  /** Device and inode, carried into the FileItem so readers can check they open the same file. */
  readonly dev?: number;
  readonly ino?: number;
  isFile(): boolean;
}

/** A path a watcher reported, with the lstat it settled on when it has one (the native watcher). */
export interface WatchedFile {
  readonly path: string;
  readonly stats?: FileStat;
}

/** The part of a watcher (chokidar's `FSWatcher`, or the native one) the adapter talks to. */
export interface WatcherLike {
  /** `stats`, when given, is the lstat the file settled on (chokidar's own second argument is not used). */
  on(event: 'add' | 'change', listener: (path: string, stats?: FileStat) => void): unknown;
  on(event: 'ready', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  /** A file first noticed, before it settles (the native watcher; chokidar never emits it). */
  on(event: 'noticed', listener: (path: string) => void): unknown;
  close(): Promise<unknown>;
}

/** Options for {@link watcherEvents}. */
export interface WatcherEventsOptions {
  /** Called once the watcher is ready; if it throws, the stream errors with what it threw. @default none */
  readonly onReady?: () => void;
  /** Called with each path the watcher's `noticed` names; if it throws, the stream errors with what it threw. @default none */
  readonly onNoticed?: (path: string) => void;
  /** Pass on the stats the watcher settled on (the native watcher's, not chokidar's). @default false */
  readonly withStats?: boolean;
}

/**
 * Paths of `add` and `change` events from the watcher `createWatcher` builds on subscribe, with
 * the stats the watcher settled on when `withStats`.
 *
 * A watcher error ends the stream with an Error naming `root`; unsubscribing closes the
 * watcher so its fs handles no longer keep the process alive.
 */
export function watcherEvents(root: string, createWatcher: () => WatcherLike, options: WatcherEventsOptions = {}): Observable<WatchedFile> {
  const { onReady, onNoticed, withStats = false } = options;
  return new Observable<WatchedFile>((subscriber) => {
    let watcher: WatcherLike;
    try {
      watcher = createWatcher();
    } catch (error) {
      subscriber.error(new Error(`Could not watch ${root}: ${describe(error)}`, { cause: error }));
      return;
    }
    const emit = (path: string, stats?: FileStat): void => subscriber.next(withStats && stats !== undefined ? { path, stats } : { path });
    watcher.on('add', emit);
    watcher.on('change', emit);
    watcher.on('error', (error) => {
      subscriber.error(new Error(`Watching ${root} failed: ${describe(error)}`, { cause: error }));
    });
    // A caller's hook that throws ends the stream with what it threw.
    const call = (hook: () => void): void => {
      if (subscriber.closed) return;
      try {
        hook();
      } catch (error) {
        subscriber.error(error);
      }
    };
    if (onReady !== undefined) watcher.on('ready', () => call(onReady));
    if (onNoticed !== undefined) watcher.on('noticed', (path) => call(() => onNoticed(path)));
    return () => {
      // Closing is best effort: a rejection here has nobody left to hear it.
      let closing: Promise<unknown>;
      try {
        closing = watcher.close();
      } catch {
        return;
      }
      Promise.resolve(closing).catch(() => undefined);
    };
  });
}

/** Paths whose latest signature `toFileItems` remembers. */
const signaturesKept = 4096;

/**
 * Stats each path in arrival order and emits it as a `FileItem` the first time it is seen with
 * a given (size, mtimeMs); paths that vanished before the stat, and anything that is not a
 * regular file, are skipped.
 *
 * ```
 * source: --a--a--b--A--|     (A = a with a new size or mtime)
 * result: --a-----b--A--|     indexes 0, 1, 2
 * ```
 *
 * State (the signatures of the latest `remember` paths, and the next index) is per subscription:
 * bounded, because an agent at 20 files a second sees 50 million in a month.
 */
export function toFileItems(stat: (path: string) => Observable<FileStat>, remember = signaturesKept): OperatorFunction<string | WatchedFile, FileItem> {
  return (source) =>
    defer(() => {
      const signatures = new RecentMap<string, string>(remember);
      return source.pipe(
        // concatMap keeps stats in event order, so a stale stat never overtakes a fresh one.
        // A watcher that settled on an lstat hands it on: no second lstat, and nothing waits
        // here behind a folder of 100,000 files being read at start.
        concatMap((found) => {
          const path = typeof found === 'string' ? found : found.path;
          const known = typeof found === 'string' ? undefined : found.stats;
          return (known === undefined ? defer(() => stat(path)) : of(known)).pipe(
            map((stats) => ({ path, stats })),
            catchError((error: unknown) =>
              isVanished(error)
                ? EMPTY
                : throwError(() => new Error(`Could not stat ${path}: ${describe(error)}`, { cause: error })),
            ),
          );
        }),
        filter(({ path, stats }) => {
          if (!stats.isFile()) {
            return false;
          }
          const signature = `${stats.size}:${stats.mtimeMs}:${stats.dev ?? ''}:${stats.ino ?? ''}`;
          if (signatures.get(path) === signature) {
            return false;
          }
          // Beyond the cap the path heard of longest ago is forgotten, and a repeat of it goes on
          // to admission, which drops it (the delivery's versions taken, or the ledger).
          signatures.set(path, signature);
          return true;
        }),
        map(({ path, stats }, index): FileItem => fileItemOf(path, stats, index)),
      );
    });
}

/** A FileItem from an lstat, with device and inode when the stat has them. */
export function fileItemOf(path: string, stats: FileStat, index: number): FileItem {
  return {
    path,
    size: stats.size,
    mtimeMs: stats.mtimeMs,
    index,
    ...(stats.dev === undefined ? {} : { dev: stats.dev }),
    ...(stats.ino === undefined ? {} : { ino: stats.ino }),
  };
}

/** Whether an fs error says the path is no longer there (removed, or a parent is no folder). */
export function isVanished(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** An error's message, or the thrown value as text. */
export const describe: (error: unknown) => string = messageOf;
