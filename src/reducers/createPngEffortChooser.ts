import type { Reduction } from '../model/Reduction.js';
import { integerAtLeast } from '../validation.js';
import { choosePngEffort, type EffortTally } from './choosePngEffort.js';
import { PNG_EFFORTS, isPngEffort, type PngEffort } from './pngEffort.js';

/** Options for {@link createPngEffortChooser}. */
export interface PngEffortChooserOptions {
  /** The settings to choose from. @default ['fast', 'default', 'small'] */
  readonly candidates?: readonly PngEffort[];
  /** Files each candidate is tried on before the first choice. @default 2 */
  readonly trialFiles?: number;
  /** After this many files on the chosen setting, the others are tried on one file each again. @default 40 */
  readonly recheckEvery?: number;
  /** How many recent files of each setting its tally keeps, so a stream that changes is followed. @default 8 */
  readonly window?: number;
}

/** The per-stream state of the encoder choice; see {@link createPngEffortChooser}. */
export interface PngEffortChooser {
  /** The setting to reduce the next file with, for the uplink's current bandwidth estimate. */
  next(bandwidthBytesPerSec: number | undefined): PngEffort;
  /** Feeds back a finished reduction made with `effort`; a file sent as it is (`reduced: false`) is ignored. */
  record(effort: PngEffort, reduction: Reduction): void;
  /** The measured sums per setting over each one's recent window. */
  tallies(): Partial<Record<PngEffort, EffortTally>>;
  /** The setting the last `next` chose on the measurements (not a trial), if any yet. */
  chosen(): PngEffort | undefined;
}

/**
 * Chooses the PNG setting for each file of a stream from the scores measured on its own earlier
 * files: tries every candidate on the first files, then uses {@link choosePngEffort}'s pick for
 * the current bandwidth, and now and then tries the others again.
 *
 * Trials go to the candidate with the fewest files started, so with reductions in flight each
 * still gets `trialFiles`. Until every candidate has a finished measurement, trials continue
 * round robin. After `recheckEvery` files on the chosen setting, each other candidate gets one
 * file, so a change in the stream (emptier fields, a new sample) or a changed uplink can move the
 * choice. Tallies keep each setting's last `window` files.
 *
 * ```ts
 * declare const reduction: Reduction;
 * const chooser = createPngEffortChooser({ trialFiles: 1 });
 * const effort = chooser.next(5e6); // 'fast', then 'default', 'small', then the measured best
 * chooser.record(effort, reduction);
 * ```
 *
 * @param options Candidates, trial and recheck counts, and the window.
 * @returns The chooser; not shared between streams.
 */
export function createPngEffortChooser(options: PngEffortChooserOptions = {}): PngEffortChooser {
  const { candidates = PNG_EFFORTS, trialFiles = 2, recheckEvery = 40, window = 8 } = options;
  if (!Array.isArray(candidates) || candidates.length === 0 || !candidates.every(isPngEffort)) {
    throw new TypeError(`Expected \`candidates\` to be a non-empty list of ${PNG_EFFORTS.join(', ')}, got ${String(candidates)}`);
  }
  integerAtLeast('trialFiles', trialFiles, 1);
  integerAtLeast('recheckEvery', recheckEvery, 1);
  integerAtLeast('window', window, 1);

  const started = new Map<PngEffort, number>(candidates.map((effort) => [effort, 0]));
  const samples = new Map<PngEffort, EffortTally[]>(candidates.map((effort) => [effort, []]));
  let sinceRecheck = 0;
  let rechecks: PngEffort[] = [];
  let last: PngEffort | undefined;

  const tallies = (): Partial<Record<PngEffort, EffortTally>> => {
    const out: Partial<Record<PngEffort, EffortTally>> = {};
    for (const [effort, list] of samples) {
      if (list.length === 0) continue;
      out[effort] = list.reduce((sum, s) => ({
        files: sum.files + s.files,
        bytesIn: sum.bytesIn + s.bytesIn,
        bytesSaved: sum.bytesSaved + s.bytesSaved,
        cpuMs: sum.cpuMs + s.cpuMs,
      }));
    }
    return out;
  };
  const start = (effort: PngEffort): PngEffort => {
    started.set(effort, started.get(effort)! + 1);
    return effort;
  };

  return {
    next(bandwidthBytesPerSec) {
      const leastTried = candidates.reduce((a, b) => (started.get(b)! < started.get(a)! ? b : a));
      const unmeasured = candidates.some((effort) => samples.get(effort)!.length === 0);
      if (started.get(leastTried)! < trialFiles || unmeasured) return start(leastTried);
      const best = choosePngEffort(tallies(), bandwidthBytesPerSec)!;
      last = best;
      if (rechecks.length > 0) return start(rechecks.shift()!);
      sinceRecheck += 1;
      if (sinceRecheck >= recheckEvery) {
        sinceRecheck = 0;
        rechecks = candidates.filter((effort) => effort !== best);
      }
      return start(best);
    },
    record(effort, reduction) {
      const list = samples.get(effort);
      // A file sent as it is says nothing about the encoder (most never reached it).
      if (list === undefined || !reduction.reduced || !Number.isFinite(reduction.cpuMs) || !(reduction.bytesIn > 0)) return;
      const saved = Math.max(reduction.bytesIn - reduction.bytesOut, 0);
      list.push({ files: 1, bytesIn: reduction.bytesIn, bytesSaved: saved, cpuMs: Math.max(reduction.cpuMs, 0) });
      if (list.length > window) list.shift();
    },
    tallies,
    chosen: () => last,
  };
}
