/**
 * What one file of a benchmark stream costs: when it arrives, how large it is raw and reduced,
 * and how much CPU time reducing it takes. The input of {@link lowerBoundMakespan} and of the
 * benchmark's simulator.
 *
 * A file whose `reducedBytes` is not smaller than `bytes` gains nothing from reduction and is
 * always sent raw.
 */
export interface FileCost {
  /** Arrival order, from 0; the schedulers' x axis. */
  readonly index: number;
  /** When the file appears, in milliseconds on any common clock (the stream's first arrival need not be 0). */
  readonly arrivalMs: number;
  /** Size of the file as it arrives. */
  readonly bytes: number;
  /** Size of its reduced copy. */
  readonly reducedBytes: number;
  /** CPU time reducing it takes on one core, in milliseconds. */
  readonly cpuMs: number;
}
