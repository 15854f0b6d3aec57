import { defer, tap, type Observable } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { createPngEffortChooser, type PngEffortChooserOptions } from './createPngEffortChooser.js';
import type { PngEffort } from './pngEffort.js';

/** Options for {@link reduceWithChosenPngEffort}: the chooser's, and where the bandwidth comes from. */
export interface ReduceWithChosenPngEffortOptions extends PngEffortChooserOptions {
  /**
   * The uplink's current estimate in bytes per second, read when each reduction starts;
   * undefined while unknown (the largest gain then wins).
   * @default () => undefined
   */
  readonly bandwidth?: () => number | undefined;
}

/**
 * Turns a reducer that takes a PNG setting into one that chooses the setting for each file from
 * the reductions it made before (`pngEffort: auto`).
 *
 * Each subscription asks {@link createPngEffortChooser} for the setting (trials first, then the
 * measured best for the current bandwidth, with rechecks), calls `reduce(item, effort)` and
 * feeds each Reduction back. Errors pass through untouched and teach it nothing. One chooser per
 * call: use one call per stream.
 *
 * ```ts
 * declare const pool: { reduce(item: FileItem, effort: PngEffort): Observable<Reduction> };
 * declare let uplinkBytesPerSec: number | undefined;
 * const reduce = reduceWithChosenPngEffort((item, effort) => pool.reduce(item, effort), {
 *   bandwidth: () => uplinkBytesPerSec,
 * });
 * ```
 *
 * @param reduce Reduces one file with the given setting; the first value is what is measured.
 * @param options The chooser's candidates, trials, rechecks and window, and the bandwidth.
 * @returns A reducer of one file, cold: nothing is chosen until it is subscribed.
 */
export function reduceWithChosenPngEffort(
  reduce: (item: FileItem, effort: PngEffort) => Observable<Reduction>,
  options: ReduceWithChosenPngEffortOptions = {},
): (item: FileItem) => Observable<Reduction> {
  const { bandwidth = () => undefined, ...chooserOptions } = options;
  if (typeof reduce !== 'function') throw new TypeError(`Expected \`reduce\` to be a function, got ${typeof reduce}`);
  if (typeof bandwidth !== 'function') {
    throw new TypeError(`Expected \`bandwidth\` to be a function, got ${typeof bandwidth}`);
  }
  const chooser = createPngEffortChooser(chooserOptions);
  return (item) =>
    defer(() => {
      const effort = chooser.next(bandwidth());
      return reduce(item, effort).pipe(tap((reduction) => chooser.record(effort, reduction)));
    });
}
