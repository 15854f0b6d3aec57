import type { FileCost } from './FileCost.js';
import { RateTrace } from './RateTrace.js';
import { finiteNumberAbove, objectOption } from '../validation.js';

/** Options for {@link lowerBoundMakespan}. */
export interface LowerBoundMakespanOptions {
  /** Capacity of the uplink in bytes per second, shared by all uploads. Either this or `bandwidthTrace`. */
  readonly bandwidthBytesPerSec?: number;
  /**
   * A time-varying uplink instead: its rate over time, the trace's origin at the first arrival.
   * The capacity over an interval is then the integral of the rate over it.
   */
  readonly bandwidthTrace?: RateTrace;
  /**
   * Cores available for reduction; `Infinity` gives the bound with unlimited CPU.
   * @default 1
   */
  readonly cores?: number;
}

/** The bound and the constraints behind it; all durations in milliseconds. */
export interface MakespanLowerBound {
  /** No schedule finishes sooner than this after the first arrival (0 for no files). */
  readonly makespanMs: number;
  /** Arrival time of the first file, the origin of `makespanMs`. */
  readonly firstArrivalMs: number;
  /** Which bound is the larger: the uplink-and-CPU relaxation over a suffix of arrivals, or one file's own path. */
  readonly binding: 'suffix' | 'file' | 'none';
  /** Best suffix relaxation bound, from the first arrival. */
  readonly suffixBoundMs: number;
  /** `index` of the first file of the suffix that gives `suffixBoundMs` (-1 for no files). */
  readonly suffixStartIndex: number;
  /** Best single-file bound, from the first arrival. */
  readonly fileBoundMs: number;
  /** `index` of the file that gives `fileBoundMs` (-1 for no files). */
  readonly fileBoundIndex: number;
  /** Uplink time if nothing were reduced. */
  readonly rawUploadMs: number;
  /** Uplink time if every file were sent at its smaller size. */
  readonly minimalUploadMs: number;
  /** CPU time (over all cores together) to reduce every file that reduction shrinks. */
  readonly reduceAllCpuMs: number;
}

/**
 * Computes a makespan that no schedule of reductions and uploads can beat, for judging how
 * close a scheduling strategy comes to the best possible.
 *
 * The makespan runs from the first arrival to the end of the last upload. The model is that of
 * the agent: a file can be uploaded only after it arrives, either raw (`bytes`) or, after
 * `cpuMs` of one core's time spent after its arrival, reduced (`reducedBytes`); `cores` cores
 * reduce, and one uplink of `bandwidthBytesPerSec` carries all bytes. The bound is the larger of
 * two relaxations of that model, each of which every real schedule satisfies:
 *
 * - Single file: file `i` ends no earlier than `aᵢ + min(bᵢ/B, cᵢ + rᵢ/B)`.
 * - Suffix of arrivals: take any arrival time `s` and the files `S` arriving at or after it.
 *   Everything they need happens in `[s, T]`: the uplink carries at most `B·(T − s)` bytes and
 *   the cores give at most `m·(T − s)` ms of CPU. A file can count as reduced only if it could
 *   be, `aᵢ + cᵢ + rᵢ/B ≤ T`. Allowing files to be reduced fractionally (a fraction `x` costs
 *   `x·cᵢ` CPU and saves `x·(bᵢ − rᵢ)` bytes) only enlarges the set of feasible schedules, and
 *   then the most bytes `m·(T − s)` ms can save, `D_T(m·(T − s))`, is the fractional knapsack
 *   taken greedily by bytes saved per CPU-ms. So every schedule needs
 *   `B·(T − s) + D_T(m·(T − s)) ≥ Σ_{i∈S} bᵢ`. The left side grows with `T` (more time, more
 *   CPU, more eligible files), so the smallest such `T` is a lower bound. Between two
 *   eligibility times the left side is concave piecewise linear in `T`, so it is found exactly:
 *   binary search over the eligibility times, then a walk along the greedy's segments.
 *
 * With a time-varying uplink (`bandwidthTrace`), `B·(T − s)` becomes the link's capacity over
 * `[s, T]`, the integral of its rate, and `x/B` the time to send `x` bytes from a given moment;
 * the left side still grows with `T`, and the smallest `T` is found by bisection within the
 * interval between eligibility times where it lies (to 10⁻⁶ ms, rounding down, so the bound stays
 * valid).
 *
 * Files arriving before `s` and the order of uploads are ignored, and CPU and uplink may be
 * split arbitrarily finely: all relaxations, so the bound is valid but need not be attainable.
 * Cost is O(n² log n) for n files.
 *
 * ```ts
 * declare const costs: FileCost[], strategyMakespanMs: number;
 * const bound = lowerBoundMakespan(costs, { bandwidthBytesPerSec: 1.25e6, cores: 2 });
 * console.log(`${strategyMakespanMs / bound.makespanMs - 1} above the bound`);
 * ```
 *
 * @param files What each file of the stream costs, in any order.
 * @param options Uplink bandwidth and the number of cores.
 * @returns The bound in ms from the first arrival, with the constraints behind it.
 */
export function lowerBoundMakespan(files: readonly FileCost[], options: LowerBoundMakespanOptions): MakespanLowerBound {
  const { bytesPerMs: constantBytesPerMs, trace, cores } = normaliseOptions(options);
  validateFiles(files);
  if (files.length === 0) return { ...noFiles };

  const byArrival = [...files].sort((a, b) => a.arrivalMs - b.arrivalMs || a.index - b.index);
  const firstArrivalMs = byArrival[0].arrivalMs;
  const link = linkOf(constantBytesPerMs, trace, firstArrivalMs);
  const candidates = candidatesOf(byArrival, link);
  const single = bestFileBound(byArrival, link);
  const suffix = bestSuffixBound(byArrival, candidates, link, cores);

  let rawBytes = 0;
  let minimalBytes = 0;
  for (const file of byArrival) {
    rawBytes += file.bytes;
    minimalBytes += Math.min(file.bytes, file.reducedBytes);
  }
  const suffixBoundMs = suffix.endMs - firstArrivalMs;
  const fileBoundMs = single.endMs - firstArrivalMs;
  return {
    makespanMs: Math.max(suffixBoundMs, fileBoundMs),
    firstArrivalMs,
    binding: suffixBoundMs >= fileBoundMs ? 'suffix' : 'file',
    suffixBoundMs,
    suffixStartIndex: suffix.index,
    fileBoundMs,
    fileBoundIndex: single.index,
    rawUploadMs: link.finishAt(firstArrivalMs, rawBytes) - firstArrivalMs,
    minimalUploadMs: link.finishAt(firstArrivalMs, minimalBytes) - firstArrivalMs,
    reduceAllCpuMs: candidates.reduce((sum, candidate) => sum + candidate.cpuMs, 0),
  };
}

/** The bound of an empty stream. */
const noFiles: MakespanLowerBound = {
  makespanMs: 0,
  firstArrivalMs: 0,
  binding: 'none',
  suffixBoundMs: 0,
  suffixStartIndex: -1,
  fileBoundMs: 0,
  fileBoundIndex: -1,
  rawUploadMs: 0,
  minimalUploadMs: 0,
  reduceAllCpuMs: 0,
};

/**
 * The uplink as the bound sees it, on the files' clock: a constant rate (`bytesPerMs`, solved
 * exactly) or a trace (solved by bisection).
 */
interface Link {
  readonly bytesPerMs: number | undefined;
  /** Bytes the link carries in `[from, to]`. */
  bytesBetween(from: number, to: number): number;
  /** Earliest end of `bytes` sent alone from `start`. */
  finishAt(start: number, bytes: number): number;
}

function linkOf(bytesPerMs: number | undefined, trace: RateTrace | undefined, originMs: number): Link {
  if (bytesPerMs !== undefined) {
    return { bytesPerMs, bytesBetween: (from, to) => (to > from ? bytesPerMs * (to - from) : 0), finishAt: (start, bytes) => start + bytes / bytesPerMs };
  }
  return {
    bytesPerMs: undefined,
    bytesBetween: (from, to) => trace!.bytesBetween(from - originMs, to - originMs),
    finishAt: (start, bytes) => trace!.finishAt(start - originMs, bytes) + originMs,
  };
}

/** The latest end of one of the bounds, and the `index` of the file behind it. */
interface BoundAt {
  readonly endMs: number;
  readonly index: number;
}

/** The files reduction shrinks, as knapsack items, best score first. */
function candidatesOf(byArrival: readonly FileCost[], link: Link): Candidate[] {
  return byArrival
    .filter((file) => file.reducedBytes < file.bytes)
    .map((file) => ({
      arrivalMs: file.arrivalMs,
      saved: file.bytes - file.reducedBytes,
      cpuMs: file.cpuMs,
      eligibleAtMs: link.finishAt(file.arrivalMs + file.cpuMs, file.reducedBytes),
      score: file.cpuMs === 0 ? Infinity : (file.bytes - file.reducedBytes) / file.cpuMs,
    }))
    .sort((a, b) => b.score - a.score);
}

/** Single-file bound: the latest `aᵢ + min(bᵢ/B, cᵢ + rᵢ/B)`. */
function bestFileBound(byArrival: readonly FileCost[], link: Link): BoundAt {
  let fileBound = -Infinity;
  let fileBoundIndex = -1;
  for (const file of byArrival) {
    const rawEnd = link.finishAt(file.arrivalMs, file.bytes);
    const reducedEnd = file.reducedBytes < file.bytes ? link.finishAt(file.arrivalMs + file.cpuMs, file.reducedBytes) : Infinity;
    const end = Math.min(rawEnd, reducedEnd);
    if (end > fileBound) {
      fileBound = end;
      fileBoundIndex = file.index;
    }
  }
  return { endMs: fileBound, index: fileBoundIndex };
}

/** Suffix bound: the latest {@link suffixEnd} over every suffix of arrivals. */
function bestSuffixBound(byArrival: readonly FileCost[], candidates: readonly Candidate[], link: Link, cores: number): BoundAt {
  let suffixBound = -Infinity;
  let suffixStartIndex = -1;
  let suffixBytes = 0;
  // Walk suffixes from the latest start so their byte totals accumulate; equal arrival times
  // form one suffix, started at the earliest file of the tie.
  for (let k = byArrival.length - 1; k >= 0; k--) {
    suffixBytes += byArrival[k].bytes;
    if (k > 0 && byArrival[k - 1].arrivalMs === byArrival[k].arrivalMs) continue;
    const start = byArrival[k].arrivalMs;
    const end = suffixEnd(
      start,
      suffixBytes,
      candidates.filter((candidate) => candidate.arrivalMs >= start),
      link,
      cores,
    );
    if (end > suffixBound) {
      suffixBound = end;
      suffixStartIndex = byArrival[k].index;
    }
  }
  return { endMs: suffixBound, index: suffixStartIndex };
}

interface Candidate {
  readonly arrivalMs: number;
  readonly saved: number;
  readonly cpuMs: number;
  /** Earliest time a reduced copy of this file could finish uploading. */
  readonly eligibleAtMs: number;
  /** Bytes saved per CPU-ms; Infinity for free reductions. */
  readonly score: number;
}

/**
 * Smallest `T ≥ start` with `B·(T − start) + D_T(m·(T − start)) ≥ bytes`, where `D_T` is the
 * fractional knapsack over the candidates eligible by `T`. `candidates` are sorted by score.
 */
function suffixEnd(start: number, bytes: number, candidates: readonly Candidate[], link: Link, cores: number): number {
  const thresholds = [...new Set(candidates.map((candidate) => candidate.eligibleAtMs))].sort((a, b) => a - b);
  // No time means no CPU, even with infinitely many cores (Infinity · 0 would be NaN).
  const feasibleAt = (time: number) =>
    link.bytesBetween(start, time) + savedBy(candidates, time, time > start ? cores * (time - start) : 0) >= bytes;
  // First eligibility time at which the constraint already holds; the left side only grows.
  let low = 0;
  let high = thresholds.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (feasibleAt(thresholds[middle])) high = middle;
    else low = middle + 1;
  }
  // Before thresholds[low] the eligible set is fixed: those eligible by thresholds[low - 1].
  const eligibleBy = low === 0 ? -Infinity : thresholds[low - 1];
  const eligible = candidates.filter((candidate) => candidate.eligibleAtMs <= eligibleBy);
  const end =
    link.bytesPerMs !== undefined
      ? start + solveWithFixedSet(bytes, eligible, link.bytesPerMs, cores)
      : bisectWithFixedSet(start, Math.max(start, eligibleBy), bytes, eligible, link, cores);
  return low < thresholds.length ? Math.min(end, thresholds[low]) : end;
}

/**
 * Smallest `T` in `[from, ∞)` with `capacity(start, T) + D(m·(T − start)) ≥ bytes` for a fixed
 * candidate set, by bisection: the left side grows with `T`, and sending everything raw from
 * `start` bounds `T` from above. Returns the lower end of the last bracket, so never above the
 * true value.
 */
function bisectWithFixedSet(start: number, from: number, bytes: number, eligible: readonly Candidate[], link: Link, cores: number): number {
  const reached = (time: number) =>
    link.bytesBetween(start, time) + savedBy(eligible, Infinity, time > start ? cores * (time - start) : 0) >= bytes;
  if (reached(from)) return from;
  let low = from;
  let high = link.finishAt(start, bytes);
  for (let step = 0; step < 200 && high - low > 1e-6; step++) {
    const middle = (low + high) / 2;
    if (reached(middle)) high = middle;
    else low = middle;
  }
  return low;
}

/** Bytes the eligible candidates save with `cpuBudget` ms of CPU, fractionally, best score first. */
function savedBy(candidates: readonly Candidate[], time: number, cpuBudget: number): number {
  let saved = 0;
  let budget = cpuBudget;
  for (const candidate of candidates) {
    if (candidate.eligibleAtMs > time) continue;
    if (candidate.cpuMs <= budget) {
      saved += candidate.saved;
      budget -= candidate.cpuMs;
    } else {
      saved += (candidate.saved * budget) / candidate.cpuMs;
      break;
    }
  }
  return saved;
}

/**
 * Smallest `τ ≥ 0` with `B·τ + D(m·τ) ≥ bytes` for a fixed candidate set sorted by score: `D` is
 * concave piecewise linear with a breakpoint where each candidate's CPU is used up, so walk the
 * segments and solve the linear equation in the one where the sum reaches `bytes`.
 */
function solveWithFixedSet(bytes: number, eligible: readonly Candidate[], bytesPerMs: number, cores: number): number {
  let saved = 0;
  let cpuUsed = 0;
  const withCpu: Candidate[] = [];
  for (const candidate of eligible) {
    if (candidate.cpuMs === 0) saved += candidate.saved;
    else withCpu.push(candidate);
  }
  if (saved >= bytes) return 0;
  if (cores === Infinity) {
    // Any positive time gives unlimited CPU: only the uplink limits.
    const all = withCpu.reduce((sum, candidate) => sum + candidate.saved, saved);
    return Math.max(0, (bytes - all) / bytesPerMs);
  }
  for (const candidate of withCpu) {
    const rate = candidate.saved / candidate.cpuMs;
    const segmentEnd = (cpuUsed + candidate.cpuMs) / cores;
    if (bytesPerMs * segmentEnd + saved + candidate.saved >= bytes) {
      // B·τ + saved + (m·τ − cpuUsed)·rate = bytes
      return (bytes - saved + cpuUsed * rate) / (bytesPerMs + cores * rate);
    }
    saved += candidate.saved;
    cpuUsed += candidate.cpuMs;
  }
  return (bytes - saved) / bytesPerMs;
}

function normaliseOptions(options: LowerBoundMakespanOptions): { bytesPerMs: number | undefined; trace: RateTrace | undefined; cores: number } {
  objectOption('options', options);
  const { bandwidthBytesPerSec, bandwidthTrace, cores = 1 } = options;
  if ((bandwidthBytesPerSec === undefined) === (bandwidthTrace === undefined)) {
    throw new TypeError('Expected exactly one of `bandwidthBytesPerSec` and `bandwidthTrace`');
  }
  if (bandwidthTrace !== undefined && !(bandwidthTrace instanceof RateTrace)) {
    throw new TypeError(`Expected \`bandwidthTrace\` to be a RateTrace, got ${String(bandwidthTrace)}`);
  }
  if (bandwidthBytesPerSec !== undefined) finiteNumberAbove('bandwidthBytesPerSec', bandwidthBytesPerSec, 0);
  if (typeof cores !== 'number' || Number.isNaN(cores) || cores <= 0) {
    throw new TypeError(`Expected \`cores\` to be a number > 0 or Infinity, got ${cores}`);
  }
  return { bytesPerMs: bandwidthBytesPerSec === undefined ? undefined : bandwidthBytesPerSec / 1000, trace: bandwidthTrace, cores };
}

function validateFiles(files: readonly FileCost[]): void {
  if (!Array.isArray(files)) {
    throw new TypeError(`Expected \`files\` to be an array, got ${typeof files}`);
  }
  files.forEach((file, position) => {
    if (!Number.isFinite(file?.arrivalMs)) {
      throw new TypeError(`Expected \`files[${position}].arrivalMs\` to be a finite number, got ${file?.arrivalMs}`);
    }
    for (const field of ['bytes', 'reducedBytes', 'cpuMs'] as const) {
      const value = file[field];
      if (!Number.isFinite(value) || value < 0) {
        throw new TypeError(`Expected \`files[${position}].${field}\` to be a finite number >= 0, got ${value}`);
      }
    }
  });
}
