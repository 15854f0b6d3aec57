import { copyFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { asyncScheduler, concatMap, defer, from, map, take, throwIfEmpty, timer, type Observable, type SchedulerLike } from 'rxjs';
import { finiteNumberAbove, functionOption, objectOption } from '../validation.js';

/** Options for {@link replayDataset}. */
export interface ReplayDatasetOptions {
  /** The files to replay, in the order they should appear. */
  readonly files: readonly string[];
  /** The (watched) folder they appear in, under their own base names. */
  readonly into: string;
  /**
   * Files per second; file `i` is due `i / rateHz` seconds after subscription.
   * @default 20 (the MiniTEM rate)
   */
  readonly rateHz?: number;
  /**
   * Puts one file in place so that a watcher sees it appear whole. Emits once when done.
   * @default copy to a dot-named `.part` file in the same folder, then rename it
   */
  readonly place?: (source: string, target: string) => Observable<unknown>;
  /** Clock of the schedule. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** One file put in place by {@link replayDataset}. */
export interface ReplayedFile {
  /** Position in `files`, from 0. */
  readonly index: number;
  /** The file copied. */
  readonly source: string;
  /** Where it appeared. */
  readonly path: string;
  /** When it was due (scheduler ms). */
  readonly dueAt: number;
  /** When it was in place (scheduler ms); later than `dueAt` when the disk fell behind. */
  readonly at: number;
}

function copyThenRename(source: string, target: string): Observable<unknown> {
  // The temporary name ends in .part and starts with a dot, so an extension filter or a
  // dot-file filter skips it, and the rename makes the finished file appear atomically.
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.part`);
  return defer(async () => {
    try {
      await copyFile(source, temp);
      await rename(temp, target);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      throw error;
    }
  });
}

/**
 * Replays a data set into a folder at a fixed rate, as an instrument would write it, so a
 * benchmark can drive the agent through its real watcher.
 *
 * Files are placed one after another in the given order, each no earlier than its due time
 * `start + i / rateHz`; a slow copy delays the ones after it rather than reordering them. The
 * default placement copies to a hidden temporary name and renames, so the watcher never sees a
 * partial file. A failed copy errors the stream.
 *
 * ```text
 * rateHz 10 (a file every 100 ms), each placed at once
 * emits:   a 99ms b 99ms (c|)
 * ```
 *
 * @example
 * ```ts
 * declare const frames: SynthesizedFile[], watched: string;
 * replayDataset({ files: frames.map((f) => f.path), into: watched, rateHz: 20 })
 *   .subscribe((file) => console.log(`${file.path} at +${file.at - file.dueAt} ms`));
 * ```
 *
 * @param options Files, target folder, rate, placement and clock.
 * @returns Each file once it is in place; completes after the last.
 */
export function replayDataset(options: ReplayDatasetOptions): Observable<ReplayedFile> {
  objectOption('options', options);
  const { files, into } = options;
  if (!Array.isArray(files) || !files.every((file) => typeof file === 'string' && file !== '')) {
    throw new TypeError('Expected `files` to be an array of non-empty paths');
  }
  if (typeof into !== 'string' || into === '') {
    throw new TypeError(`Expected \`into\` to be a folder path, got ${JSON.stringify(into)}`);
  }
  const rateHz = options.rateHz ?? 20;
  finiteNumberAbove('rateHz', rateHz, 0);
  const place = options.place ?? copyThenRename;
  functionOption('place', place);
  const scheduler = options.scheduler ?? asyncScheduler;
  const intervalMs = 1000 / rateHz;

  return defer(() => {
    const start = scheduler.now();
    return from(files).pipe(
      concatMap((source, index) => {
        const dueAt = start + index * intervalMs;
        const target = path.join(into, path.basename(source));
        return timer(Math.max(0, dueAt - scheduler.now()), scheduler).pipe(
          // Only the first answer counts, so a placement that emits twice cannot duplicate a file.
          concatMap(() =>
            defer(() => place(source, target)).pipe(
              take(1),
              throwIfEmpty(() => new Error(`Placing ${source} completed without a value`)),
            ),
          ),
          map((): ReplayedFile => ({ index, source, path: target, dueAt, at: scheduler.now() })),
        );
      }),
    );
  });
}
