import { PNG_EFFORTS, type PngEffort } from './pngEffort.js';

/** What a PNG setting did over the files it was measured on (sums). */
export interface EffortTally {
  /** Files measured. */
  readonly files: number;
  /** Bytes of the originals. */
  readonly bytesIn: number;
  /** Bytes the copies saved (original − copy; a copy that was not smaller saved 0). */
  readonly bytesSaved: number;
  /** CPU milliseconds of read + decode + fill + encode. */
  readonly cpuMs: number;
}

/**
 * The PNG setting that shortens the makespan most for the measured files and the uplink's
 * bandwidth: the one with the most bytes saved minus the bytes the uplink could have sent in the
 * CPU time it took, per byte of input.
 *
 * The paper's model (Blamey et al., arXiv 1912.09088) charges a reduction its CPU time and
 * credits it the upload time it saves; reducing pays when its gain, bytes saved per CPU-second,
 * is above the uplink's bytes per second. Between two settings the same comparison applies to the
 * difference: the costlier one pays when its extra bytes saved per extra CPU-second beat the
 * bandwidth. Choosing the largest `saved/in − bandwidth × cpuSeconds/in` does exactly that for
 * any number of settings. So a slow uplink gets the setting that saves the most bytes, a fast
 * one the cheapest, and in between the measured trade decides. Without a bandwidth estimate
 * the largest gain (bytes saved per CPU-second) wins. Totals are taken per input byte, so
 * settings tried on different files of the same stream compare fairly; ties go to the cheaper
 * setting. Whether a file is reduced at all stays the scheduler's decision.
 *
 * ```ts
 * const tallies = {
 *   fast: { files: 4, bytesIn: 4e6, bytesSaved: 3.1e6, cpuMs: 60 },
 *   small: { files: 4, bytesIn: 4e6, bytesSaved: 3.2e6, cpuMs: 400 },
 * };
 * choosePngEffort(tallies, 100e3); // 'small': 100 kB/s uplink, 0.1 MB saved for 0.34 s is worth it
 * choosePngEffort(tallies, 10e6); // 'fast'
 * ```
 *
 * @param tallies Measured sums per setting; settings with no files are skipped.
 * @param bandwidthBytesPerSec The uplink's estimated bytes per second, or undefined if unknown.
 * @returns The chosen setting, or undefined when nothing was measured yet.
 */
export function choosePngEffort(
  tallies: Partial<Readonly<Record<PngEffort, EffortTally>>>,
  bandwidthBytesPerSec: number | undefined,
): PngEffort | undefined {
  if (bandwidthBytesPerSec !== undefined && !(bandwidthBytesPerSec >= 0)) {
    throw new TypeError(`Expected \`bandwidthBytesPerSec\` to be a number >= 0, got ${bandwidthBytesPerSec}`);
  }
  let best: PngEffort | undefined;
  let bestValue = -Infinity;
  for (const effort of PNG_EFFORTS) {
    const tally = tallies[effort];
    if (tally === undefined || tally.files === 0 || !(tally.bytesIn > 0)) continue;
    const value = effortValue(tally, bandwidthBytesPerSec);
    if (value > bestValue) {
      best = effort;
      bestValue = value;
    }
  }
  return best;
}

function effortValue({ bytesIn, bytesSaved, cpuMs }: EffortTally, bandwidth: number | undefined): number {
  const cpuSeconds = Math.max(cpuMs, 0) / 1000;
  if (bandwidth === undefined) return Math.max(bytesSaved, 0) / Math.max(cpuSeconds, 1e-3);
  return (bytesSaved - bandwidth * cpuSeconds) / bytesIn;
}
