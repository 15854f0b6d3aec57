// A time-varying uplink rate, as the `varying` benchmark scenario applies it.

/** One step of a {@link RateTrace}: from `atMs` on, the link carries `bytesPerSec`. */
export interface RateStep {
  /** Start of the step in ms from the trace's origin (the stream's first arrival). */
  readonly atMs: number;
  /** Rate in bytes per second, > 0. */
  readonly bytesPerSec: number;
}

/**
 * A piecewise-constant uplink rate over time: each step holds until the next one, the last for
 * ever, and the first also before the origin.
 *
 * The benchmark switches a kernel htb class at each step (`tc class change`), the simulator's
 * uplink sends at the rate of the moment, and the lower bound takes the link's capacity over an
 * interval as the integral of the rate over it.
 *
 * ```ts
 * const trace = new RateTrace([{ atMs: 0, bytesPerSec: 1e6 }, { atMs: 2000, bytesPerSec: 4e6 }]);
 * trace.bytesBetween(1000, 3000); // 1e6 + 4e6 = 5 000 000 bytes
 * trace.finishAt(1000, 5e6);      // 3000: the earliest end of 5 MB sent from t = 1 s
 * ```
 */
export class RateTrace {
  readonly steps: readonly RateStep[];
  /** Bytes the link can carry from the origin to each step's start (negative before the origin). */
  private readonly cumulative: readonly number[];

  /**
   * @param steps The steps in order: the first at 0, strictly increasing times, rates > 0.
   * @throws TypeError when the steps are not so.
   */
  constructor(steps: readonly RateStep[]) {
    if (!Array.isArray(steps) || steps.length === 0) {
      throw new TypeError(`Expected \`steps\` to be a non-empty array of { atMs, bytesPerSec }, got ${String(steps)}`);
    }
    steps.forEach((step, i) => {
      if (!Number.isFinite(step?.atMs) || (i === 0 ? step.atMs !== 0 : step.atMs <= steps[i - 1]!.atMs)) {
        throw new TypeError(`Expected \`steps[${i}].atMs\` to be ${i === 0 ? '0' : `a finite number > ${steps[i - 1]!.atMs}`}, got ${step?.atMs}`);
      }
      if (!(Number.isFinite(step.bytesPerSec) && step.bytesPerSec > 0)) {
        throw new TypeError(`Expected \`steps[${i}].bytesPerSec\` to be a finite number > 0, got ${step.bytesPerSec}`);
      }
    });
    this.steps = steps.map((step) => ({ atMs: step.atMs, bytesPerSec: step.bytesPerSec }));
    const cumulative = [0];
    for (let i = 1; i < steps.length; i++) {
      cumulative.push(cumulative[i - 1]! + ((steps[i]!.atMs - steps[i - 1]!.atMs) * steps[i - 1]!.bytesPerSec) / 1000);
    }
    this.cumulative = cumulative;
  }

  /** A constant link: one step. */
  static constant(bytesPerSec: number): RateTrace {
    return new RateTrace([{ atMs: 0, bytesPerSec }]);
  }

  /** The same trace with every rate multiplied by `factor`. */
  scaled(factor: number): RateTrace {
    return new RateTrace(this.steps.map((step) => ({ atMs: step.atMs, bytesPerSec: step.bytesPerSec * factor })));
  }

  /** The rate at `ms`, bytes per second. */
  rateAt(ms: number): number {
    return this.steps[this.stepIndex(ms)]!.bytesPerSec;
  }

  /** Mean rate over `[0, untilMs]`, bytes per second. */
  meanRate(untilMs: number): number {
    return untilMs > 0 ? (this.capacityTo(untilMs) * 1000) / untilMs : this.rateAt(0);
  }

  /** Bytes the link can carry from `fromMs` to `toMs`: the integral of the rate (0 when `toMs <= fromMs`). */
  bytesBetween(fromMs: number, toMs: number): number {
    return toMs > fromMs ? this.capacityTo(toMs) - this.capacityTo(fromMs) : 0;
  }

  /** The earliest time by which `bytes` sent from `startMs` on have gone, the link being theirs alone. */
  finishAt(startMs: number, bytes: number): number {
    if (!(bytes > 0)) return startMs;
    const target = this.capacityTo(startMs) + bytes;
    // The step in which the cumulative capacity reaches the target.
    let i = this.stepIndex(startMs);
    while (i + 1 < this.steps.length && this.cumulative[i + 1]! < target) i += 1;
    const step = this.steps[i]!;
    const from = Math.max(startMs, step.atMs);
    return from + ((target - this.capacityTo(from)) * 1000) / step.bytesPerSec;
  }

  /** Cumulative capacity from the origin to `ms` (negative before it). */
  private capacityTo(ms: number): number {
    const i = this.stepIndex(ms);
    const step = this.steps[i]!;
    return this.cumulative[i]! + ((ms - step.atMs) * step.bytesPerSec) / 1000;
  }

  /** The last step starting at or before `ms` (the first one before the origin). */
  private stepIndex(ms: number): number {
    let low = 0;
    let high = this.steps.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.steps[middle]!.atMs <= ms) low = middle;
      else high = middle - 1;
    }
    return low;
  }
}
