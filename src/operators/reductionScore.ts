import type { Reduction } from '../model/Reduction.js';

/**
 * The score the schedulers rank files by: bytes saved per CPU-second of reduction.
 *
 * `(bytesIn - bytesOut) / (cpuMs / 1000)`; a reduction that saved nothing (or grew) scores 0,
 * and CPU time is floored at 1 ms so an instant reduction does not score infinity.
 *
 * @example
 * ```ts
 * declare const item: FileItem;
 * reductionScore({ item, reduced: true, bytesIn: 3000, bytesOut: 1000, cpuMs: 500 }); // 4000
 * ```
 *
 * @param reduction A finished reduction.
 * @returns Bytes saved per CPU-second, >= 0.
 */
export function reductionScore(reduction: Reduction): number {
  const saved = reduction.bytesIn - reduction.bytesOut;
  if (!reduction.reduced || !(saved > 0)) return 0;
  const cpuSeconds = Math.max(Number.isFinite(reduction.cpuMs) ? reduction.cpuMs : 0, 1) / 1000;
  return saved / cpuSeconds;
}
