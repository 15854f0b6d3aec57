import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { of, type Observable } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { createWorkerPool } from '../reducers/createWorkerPool.js';
import type { ReduceImageOptions } from '../reducers/reduceImage.js';
import type { PngEffort } from '../reducers/pngEffort.js';
import { notReduced } from '../reducers/reduceImageInternals.js';
import { reduceWithChosenPngEffort } from '../reducers/reduceWithChosenPngEffort.js';
import type { Ledger } from '../state/Ledger.js';
import { isReducibleImage } from './runAgentInternals.js';
import { booleanOption } from '../validation.js';

/** Options for {@link openSpool}. */
export interface OpenSpoolOptions {
  /** Worker threads, one reduction each. @default 1 */
  readonly cores?: number;
  /** The image reducer's settings; `spoolDir` there wins over every default. @default reduceImage's */
  readonly reducer?: ReduceImageOptions;
  /** With a ledger, the spool is `<ledger dir>/spool`, emptied at start. @default none: a new temporary folder */
  readonly ledger?: Ledger;
  /**
   * `auto`: choose the PNG setting per file from this spool's measured reductions and the
   * uplink's `bandwidth` (see `reduceWithChosenPngEffort`); a name fixes it; undefined keeps
   * `reducer`'s settings.
   * @default undefined
   */
  readonly pngEffort?: PngEffort | 'auto';
  /** The uplink's current estimate in bytes per second, for `pngEffort: 'auto'`. @default unknown */
  readonly bandwidth?: () => number | undefined;
  /**
   * Start the worker threads as the spool opens. `false` leaves them to `warm()`, or to the
   * first image: a stream with no images then never pays for them (libvips and a thread, about
   * 30 MB), at the price of a first image that waits for its thread. @default true
   */
  readonly warmAtOpen?: boolean;
}

/** The folder reduced copies go to and the workers that write them; see {@link openSpool}. */
export interface Spool {
  /** The spool folder. */
  readonly dir: string;
  /** Reduces a `.png`/`.tif` on a worker; any other file comes back `reduced: false`. */
  readonly reduce: (item: FileItem) => Observable<Reduction>;
  /** Starts the worker threads now, if they have not started, so the next image finds them ready. */
  warm(): void;
  /** Stops the workers, and removes the folder if it was a temporary one. */
  close(): Promise<void>;
}

/**
 * Opens the agent's spool: picks the folder for reduced copies, starts the image reducer's
 * worker threads and warms them up (at once, or when told: `warmAtOpen`), so the first images
 * of a run do not find the cores cold.
 *
 * With a ledger the folder is `<state dir>/spool`, and what an earlier run left there is
 * removed: those copies were never acknowledged, their originals are pending and will be
 * reduced again. Without one it is a new temporary folder, removed on `close()`.
 *
 * @example
 * ```ts
 * const spool = await openSpool({ cores: 2 });
 * try { console.log(spool.dir); } finally { await spool.close(); }
 * ```
 *
 * @param options Cores, reducer settings and the ledger.
 * @returns The open spool.
 */
export async function openSpool(options: OpenSpoolOptions = {}): Promise<Spool> {
  const cores = options.cores ?? 1;
  const warmAtOpen = options.warmAtOpen === undefined ? true : booleanOption('warmAtOpen', options.warmAtOpen);
  const { ledger } = options;
  let dir: string;
  let owned = false;
  if (options.reducer?.spoolDir !== undefined) {
    dir = options.reducer.spoolDir;
  } else if (ledger !== undefined) {
    dir = join(ledger.dir, 'spool');
    await rm(dir, { recursive: true, force: true });
  } else {
    dir = await mkdtemp(join(tmpdir(), 'haste-agent-spool-'));
    owned = true;
  }
  await mkdir(dir, { recursive: true });
  const fixed = options.pngEffort === undefined || options.pngEffort === 'auto' ? {} : { pngEffort: options.pngEffort };
  const pool = createWorkerPool({ size: cores, reducerOptions: { ...options.reducer, ...fixed, spoolDir: dir } });
  const reduceImageFile =
    options.pngEffort === 'auto'
      ? reduceWithChosenPngEffort((item, effort) => pool.reduce(item, effort), {
          ...(options.bandwidth === undefined ? {} : { bandwidth: options.bandwidth }),
        })
      : (item: FileItem) => pool.reduce(item);
  // A thread starts only when first given a file and needs a few hundred ms to load sharp.
  // Asking each for a file that does not exist starts them all; the answer is dropped.
  let warmed = false;
  const warm = (): void => {
    if (warmed) return;
    warmed = true;
    for (let slot = 0; slot < cores; slot += 1) {
      const absent: FileItem = { path: join(dir, `.warm-up-${slot}.png`), size: 0, mtimeMs: 0, index: -1 };
      pool.reduce(absent).subscribe({ error: () => undefined });
    }
  };
  if (warmAtOpen) warm();
  return {
    dir,
    reduce: (item) => (isReducibleImage(item.path) ? reduceImageFile(item) : of(notReduced(item, item.size, 0, 'not an image the reducer knows'))),
    warm,
    close: async () => {
      await pool.close();
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}
