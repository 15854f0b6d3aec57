// The benchmark's configurations: the data set, its rate, the machine and the uplink.
import type { FileCost } from './FileCost.js';

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
   * unless `bandwidthBytesPerSec` fixes it.
   */
  readonly rawUploadFactor: number;
  readonly bandwidthBytesPerSec?: number;
  readonly reducer: { readonly compressionLevel?: number; readonly adaptiveFiltering?: boolean };
}

export const SCENARIO_NAMES = ['paper', 'cpu-scarce'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

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
 */
export function scenarioFor(name: ScenarioName, small: boolean): Scenario {
  const base = { seed: 1, cores: 1, uploadSlots: 2 };
  if (name === 'paper') {
    return small
      ? { ...base, name: 'paper-small', count: 120, size: 512, rateHz: 40, rawUploadFactor: 2, reducer: {} }
      : { ...base, name: 'paper', count: 759, size: 1024, rateHz: 20, rawUploadFactor: 2, reducer: {} };
  }
  const reducer = { compressionLevel: 9, adaptiveFiltering: true };
  return small
    ? { ...base, name: 'cpu-scarce-small', count: 240, size: 512, rateHz: 150, rawUploadFactor: 3, reducer }
    : { ...base, name: 'cpu-scarce', count: 759, size: 1024, rateHz: 40, rawUploadFactor: 2, reducer };
}

/** The uplink rate of a scenario on its measured table. */
export function scenarioBandwidth(scenario: Scenario, table: readonly FileCost[]): number {
  if (scenario.bandwidthBytesPerSec !== undefined) return scenario.bandwidthBytesPerSec;
  const rawBytes = table.reduce((sum, file) => sum + file.bytes, 0);
  const acquisitionSec = table.length / scenario.rateHz;
  return Math.round(rawBytes / (scenario.rawUploadFactor * acquisitionSec));
}
