// The benchmark's configurations: the data set, its rate, the machine and the uplink.
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { FileCost } from './FileCost.js';
import type { FrameSegment } from './synthesizeDataset.js';

/** A benchmark configuration: the data set, its rate, the machine and the uplink. */
export interface Scenario {
  readonly name: string;
  readonly count: number;
  /** Frame side in pixels. */
  readonly size: number;
  readonly seed: number;
  /** Frames per second written into the watched folder. */
  readonly rateHz: number;
  readonly cores: number;
  readonly uploadSlots: number;
  /**
   * Uplink chosen so that sending every file raw takes this many times the acquisition time,
   * unless `bandwidthBytesPerSec` fixes it. With a `trace`, this is the rate its `x` multiply.
   */
  readonly rawUploadFactor: number;
  readonly bandwidthBytesPerSec?: number;
  readonly reducer: { readonly compressionLevel?: number; readonly adaptiveFiltering?: boolean };
  /** Stage segments of the synthetic stream (see `synthesizeDataset`). @default the smooth drift */
  readonly segments?: readonly FrameSegment[];
  /** Path of an uplink rate trace (`parseRateTrace`), its origin at the first frame. @default a constant uplink */
  readonly trace?: string;
}

export const SCENARIO_NAMES = ['paper', 'cpu-scarce', 'varying', 'fast', 'mixed'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** The folder of the shipped rate traces (`bench/traces`: steps, ramp, dropouts). */
export const TRACES_DIR = fileURLToPath(new URL('../../bench/traces/', import.meta.url));

/** The stage of `mixed`: a specimen drifting, then the field empty, full, gainless, in blocks of tens of frames. */
const MIXED_SEGMENTS: readonly FrameSegment[] = [
  { kind: 'drift', frames: 45 },
  { kind: 'empty', frames: 30 },
  { kind: 'full', frames: 40 },
  { kind: 'gainless', frames: 25 },
  { kind: 'empty', frames: 15 },
  { kind: 'drift', frames: 30 },
  { kind: 'gainless', frames: 40 },
  { kind: 'full', frames: 20 },
];

/**
 * `paper`: 759 MiniTEM-sized frames (1024²) at the paper's 20 Hz with one core and the cheap
 * reducer settings; the uplink needs twice the acquisition time for the raw stream, so upload is
 * the bottleneck and reducing nearly everything is best. `cpu-scarce`: the CPU-expensive PNG
 * settings (level 9 + adaptive filtering) and a rate at which one core can reduce only part of
 * the stream before the uplink drains, so which files get the core decides the makespan.
 * Small versions: 120 frames of 512² at 40 Hz (paper; reducing one costs ~12 ms, still well
 * under the 25 ms between frames), and 240 frames of 512² at 150 Hz with raw upload = 3 ×
 * acquisition (cpu-scarce; ~21 ms per reduction against 6.7 ms between frames). Their regimes
 * were checked with the simulator on the measured tables.
 *
 * `varying`: cpu-scarce's stream and reducer on an uplink that follows `bench/traces/steps.txt`
 * (0.4 × and 1.6 × the nominal rate in turn every 3 s), so whether a file's reduction pays
 * changes with the link: in the slow phases nearly every reduction does, in the fast ones only
 * the high-gain files'. Small: 480 frames of 512² at 40 Hz (12 s, four steps).
 * `fast`: paper's stream on an uplink that sends the raw stream in half the acquisition time:
 * the uplink keeps up and reducing rarely pays (a strategy must not lose to `none`).
 * `mixed`: cpu-scarce's reducer on a stream whose gain jumps between segments of tens of frames
 * (drifting specimen, empty fields, full fields, gainless frames) at 20 Hz (small: 512² at 40 Hz).
 */
export function scenarioFor(name: ScenarioName, small: boolean): Scenario {
  const base = { seed: 1, cores: 1, uploadSlots: 2 };
  const expensive = { compressionLevel: 9, adaptiveFiltering: true };
  switch (name) {
    case 'paper':
      return small
        ? { ...base, name: 'paper-small', count: 120, size: 512, rateHz: 40, rawUploadFactor: 2, reducer: {} }
        : { ...base, name: 'paper', count: 759, size: 1024, rateHz: 20, rawUploadFactor: 2, reducer: {} };
    case 'cpu-scarce':
      return small
        ? { ...base, name: 'cpu-scarce-small', count: 240, size: 512, rateHz: 150, rawUploadFactor: 3, reducer: expensive }
        : { ...base, name: 'cpu-scarce', count: 759, size: 1024, rateHz: 40, rawUploadFactor: 2, reducer: expensive };
    case 'varying': {
      const trace = path.join(TRACES_DIR, 'steps.txt');
      return small
        ? { ...base, name: 'varying-small', count: 480, size: 512, rateHz: 40, rawUploadFactor: 2, reducer: expensive, trace }
        : { ...base, name: 'varying', count: 759, size: 1024, rateHz: 40, rawUploadFactor: 2, reducer: expensive, trace };
    }
    case 'fast':
      return small
        ? { ...base, name: 'fast-small', count: 120, size: 512, rateHz: 40, rawUploadFactor: 0.5, reducer: {} }
        : { ...base, name: 'fast', count: 759, size: 1024, rateHz: 20, rawUploadFactor: 0.5, reducer: {} };
    case 'mixed':
      return small
        ? { ...base, name: 'mixed-small', count: 245, size: 512, rateHz: 80, rawUploadFactor: 2, reducer: expensive, segments: MIXED_SEGMENTS }
        : { ...base, name: 'mixed', count: 759, size: 1024, rateHz: 20, rawUploadFactor: 2, reducer: expensive, segments: MIXED_SEGMENTS };
  }
}

/** The uplink rate of a scenario on its measured table (with a trace: the rate its `x` multiply). */
export function scenarioBandwidth(scenario: Scenario, table: readonly FileCost[]): number {
  if (scenario.bandwidthBytesPerSec !== undefined) return scenario.bandwidthBytesPerSec;
  const rawBytes = table.reduce((sum, file) => sum + file.bytes, 0);
  const acquisitionSec = table.length / scenario.rateHz;
  return Math.round(rawBytes / (scenario.rawUploadFactor * acquisitionSec));
}
