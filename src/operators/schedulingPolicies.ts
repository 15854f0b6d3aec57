// The strategies behind prioritize. Files are keyed by `seq`, their order of arrival at the
// operator (equal to FileItem.index when the source is the watcher), a dense integer the
// ordered structures can index. Every method is O(log n) amortised.

import { createGainModel, type GainModel } from './createGainModel.js';
import { BinaryHeap, IndexSet } from './internals/orderedStructures.js';

/** What a core deciding whether to reduce may look at. */
export interface ReduceContext {
  /** Upload slots not in use right now. */
  readonly freeUploadSlots: number;
  /** Bytes waiting for the uplink: reduced outputs plus raw files not taken. */
  readonly queuedBytes: number;
  /** Bytes of the uploads in flight the uplink has still to send, as far as the bandwidth tells. */
  readonly inFlightBytes: number;
  /** Estimated uplink rate in bytes/second, if known. */
  readonly bandwidth: number | undefined;
  /** Observed CPU milliseconds per input byte of the reductions so far, if any. */
  readonly cpuMsPerByte: number | undefined;
  /** Size in bytes of the file `seq`. */
  sizeOf(seq: number): number;
}

/** The decisions a strategy makes; the operator owns slots, queues and I/O. */
export interface SchedulingPolicy {
  /** A new unreduced file waits. */
  add(seq: number, score: number | undefined): void;
  /** Which waiting file a free core should reduce, or undefined to leave the core idle. */
  pickReduce(context: ReduceContext): number | undefined;
  /** Which waiting file a free upload slot should send raw (no reduced file waits). */
  pickRawUpload(): number | undefined;
  /** The file stops waiting: a core takes it. */
  startReduce(seq: number): void;
  /** The file stops waiting: the uplink takes it raw. */
  startRawUpload(seq: number): void;
  /** A reduction ended; `score` is its bytes saved per CPU-second (0 if it failed). */
  finishReduce(seq: number, score: number): void;
}

export type StrategyName = 'none' | 'fifo' | 'splines' | 'oracle' | 'adaptive';

/** Files are explored in blocks of this many arrivals by default, as in the HASTE agent. */
export const SEARCH_BLOCK = 15;

/** What splines and adaptive may be given instead of their defaults. */
export interface SplinesSettings {
  /** Arrivals per search block. @default SEARCH_BLOCK */
  readonly searchBlock?: number;
  /** The score model. @default createGainModel() */
  readonly gainModel?: GainModel;
}

class NonePolicy implements SchedulingPolicy {
  private readonly pending = new IndexSet();
  add(seq: number): void {
    this.pending.add(seq);
  }
  pickReduce(_context?: ReduceContext): number | undefined {
    return undefined;
  }
  pickRawUpload(): number | undefined {
    return this.pending.min();
  }
  startReduce(seq: number): void {
    this.pending.delete(seq);
  }
  startRawUpload(seq: number): void {
    this.pending.delete(seq);
  }
  finishReduce(): void {}
}

/** Oldest first, for both the cores and the uplink. */
class FifoPolicy extends NonePolicy {
  override pickReduce(): number | undefined {
    return this.pickRawUpload();
  }
}

interface Ranked {
  readonly value: number;
  readonly seq: number;
  readonly segment: number;
  readonly version: number;
}

const higherFirst = (a: Ranked, b: Ranked): boolean => a.value > b.value || (a.value === b.value && a.seq < b.seq);
const lowerFirst = (a: Ranked, b: Ranked): boolean => a.value < b.value || (a.value === b.value && a.seq < b.seq);

/**
 * Blamey et al.'s search-then-climb over a piecewise linear score estimate.
 *
 * The estimate is linear between neighbouring known points (constant beyond the ends), so
 * within one segment the best and worst waiting file sit at the segment's lowest or highest
 * waiting index. Each segment keeps its current best and worst in two lazy heaps; a change
 * re-ranks only the segment it touches (or all of them while the model is a mean of at most
 * `interpolateAfter + 1` points, a constant number).
 */
export class SplinesPolicy implements SchedulingPolicy {
  readonly model: GainModel;
  private readonly pending = new IndexSet();
  private readonly searchable = new IndexSet();
  private readonly blockKnown = new Map<number, number>();
  private readonly blockReducing = new Map<number, number>();
  private readonly blockPending = new Map<number, number>();
  private readonly versions = new Map<number, number>();
  private readonly best = new BinaryHeap<Ranked>(higherFirst);
  private readonly worst = new BinaryHeap<Ranked>(lowerFirst);
  private readonly searchBlock: number;

  constructor(settings: SplinesSettings = {}) {
    this.searchBlock = settings.searchBlock ?? SEARCH_BLOCK;
    this.model = settings.gainModel ?? createGainModel();
  }

  add(seq: number): void {
    this.pending.add(seq);
    this.count(this.blockPending, seq, 1);
    this.touch(this.segmentOf(seq));
  }

  /** The search pick, else the climb pick; `explore` tells which. */
  pick(): { seq: number; explore: boolean } | undefined {
    const block = this.searchable.min();
    if (block !== undefined) return { seq: this.pending.next(block * this.searchBlock)!, explore: true };
    const seq = this.top(this.best);
    return seq === undefined ? undefined : { seq, explore: false };
  }

  pickReduce(_context?: ReduceContext): number | undefined {
    return this.pick()?.seq;
  }

  pickRawUpload(): number | undefined {
    return this.top(this.worst);
  }

  /** Estimated score of `seq`, 0 while nothing is known. */
  estimate(seq: number): number {
    return this.model.estimate(seq) ?? 0;
  }

  startReduce(seq: number): void {
    this.leave(seq);
    this.count(this.blockReducing, seq, 1);
  }

  startRawUpload(seq: number): void {
    this.leave(seq);
  }

  finishReduce(seq: number, score: number): void {
    this.count(this.blockReducing, seq, -1);
    const enclosing = this.segmentOf(seq);
    const wasMean = this.model.usesMean || this.model.known === 0;
    this.model.observe(seq, score);
    this.count(this.blockKnown, seq, 1);
    if (wasMean || this.model.usesMean) {
      // The estimate changed everywhere (a new mean, or the switch to interpolation).
      this.touch(-1);
      for (const point of this.model.points()) this.touch(point.index);
    } else {
      this.touch(enclosing);
      this.touch(seq);
    }
  }

  private leave(seq: number): void {
    if (!this.pending.delete(seq)) return;
    this.count(this.blockPending, seq, -1);
    this.touch(this.segmentOf(seq));
  }

  private count(counts: Map<number, number>, seq: number, delta: number): void {
    const block = Math.floor(seq / this.searchBlock);
    const next = (counts.get(block) ?? 0) + delta;
    if (next === 0) counts.delete(block);
    else counts.set(block, next);
    const searchable =
      !this.blockKnown.has(block) && !this.blockReducing.has(block) && this.blockPending.has(block);
    if (searchable) this.searchable.add(block);
    else this.searchable.delete(block);
  }

  /** Segments are named by their left known index, -1 for the one before the first. */
  private segmentOf(seq: number): number {
    return this.model.knownAtOrBefore(seq) ?? -1;
  }

  /** Re-ranks one segment: stale heap entries are recognised by their version. */
  private touch(segment: number): void {
    const version = (this.versions.get(segment) ?? 0) + 1;
    this.versions.set(segment, version);
    const end = this.model.knownAtOrAfter(segment + 1) ?? Infinity;
    const low = this.pending.next(segment + 1);
    if (low === undefined || low >= end) return;
    const high = end === Infinity ? this.pending.max()! : this.pending.prev(end - 1)!;
    const lowValue = this.estimate(low);
    const highValue = this.estimate(high);
    const bestIsHigh = highValue > lowValue;
    const worstIsHigh = highValue < lowValue;
    this.best.push({
      value: bestIsHigh ? highValue : lowValue,
      seq: bestIsHigh ? high : low,
      segment,
      version,
    });
    this.worst.push({
      value: worstIsHigh ? highValue : lowValue,
      seq: worstIsHigh ? high : low,
      segment,
      version,
    });
    // Stale entries below the top would otherwise pile up for the life of a long run.
    const limit = 4 * this.pending.size + 64;
    if (this.best.size > limit) this.best.retain(this.current);
    if (this.worst.size > limit) this.worst.retain(this.current);
  }

  private readonly current = (entry: Ranked): boolean =>
    this.versions.get(entry.segment) === entry.version && this.pending.has(entry.seq);

  private top(heap: BinaryHeap<Ranked>): number | undefined {
    for (let entry = heap.peek(); entry !== undefined; entry = heap.peek()) {
      if (this.current(entry)) return entry.seq;
      heap.pop();
    }
    return undefined;
  }
}

interface Scored {
  readonly seq: number;
  readonly value: number;
}

/** The paper's "golden": the climb with every file's true score known on arrival. */
class OraclePolicy implements SchedulingPolicy {
  private readonly pending = new IndexSet();
  private readonly best = new BinaryHeap<Scored>((a, b) => a.value > b.value || (a.value === b.value && a.seq < b.seq));
  private readonly worst = new BinaryHeap<Scored>((a, b) => a.value < b.value || (a.value === b.value && a.seq < b.seq));

  add(seq: number, score: number | undefined): void {
    const value = score !== undefined && Number.isFinite(score) ? score : 0;
    this.pending.add(seq);
    this.best.push({ seq, value });
    this.worst.push({ seq, value });
    const limit = 2 * this.pending.size + 64;
    if (this.best.size > limit) this.best.retain(this.waiting);
    if (this.worst.size > limit) this.worst.retain(this.waiting);
  }
  private readonly waiting = (entry: Scored): boolean => this.pending.has(entry.seq);
  pickReduce(): number | undefined {
    return this.top(this.best);
  }
  pickRawUpload(): number | undefined {
    return this.top(this.worst);
  }
  startReduce(seq: number): void {
    this.pending.delete(seq);
  }
  startRawUpload(seq: number): void {
    this.pending.delete(seq);
  }
  finishReduce(): void {}
  private top(heap: BinaryHeap<Scored>): number | undefined {
    while (heap.size > 0 && !this.pending.has(heap.peek()!.seq)) heap.pop();
    return heap.peek()?.seq;
  }
}

/** Splines' choice of file, reduced only when it can pay off; see `prioritize`'s JSDoc. */
class AdaptivePolicy extends SplinesPolicy {
  override pickReduce(context: ReduceContext): number | undefined {
    const candidate = this.pick();
    if (candidate === undefined) return undefined;
    const { seq, explore } = candidate;
    const { bandwidth, cpuMsPerByte } = context;
    const estimate = this.model.known > 0 ? this.estimate(seq) : undefined;
    if (!explore && estimate !== undefined && estimate <= 0) return undefined;
    if (bandwidth === undefined || !(bandwidth > 0)) return context.freeUploadSlots > 0 ? undefined : seq;
    // A score (bytes saved per CPU-second) above the bandwidth (bytes per second) means the
    // reduction saves more uplink time than it costs, so the file is done sooner reduced even
    // if the uplink is idle now or would drain first.
    if (estimate !== undefined && estimate > bandwidth) return seq;
    if (cpuMsPerByte === undefined) return context.freeUploadSlots > 0 ? undefined : seq;
    // Otherwise reduce when the file is done sooner reduced than raw: raw, it goes once the
    // uplink has sent what is in flight and the other Q − size bytes waiting; reduced, once the
    // core is done and the smaller copy is sent, not before the uplink gets to it. With F the
    // bytes in flight still to send:
    //   max(reduceMs, (F + Q − size)/B) + (size − saved)/B < (F + Q)/B  ⟺  reduceMs < (F + Q − size + saved)/B
    const size = context.sizeOf(seq);
    const reduceMs = cpuMsPerByte * size;
    const savedBytes = estimate === undefined ? 0 : Math.min(size, (estimate * reduceMs) / 1000);
    const doneRawMs = ((context.inFlightBytes + context.queuedBytes - size + savedBytes) / bandwidth) * 1000;
    return reduceMs < doneRawMs ? seq : undefined;
  }
}

export function createPolicy(strategy: StrategyName, settings: SplinesSettings = {}): SchedulingPolicy {
  switch (strategy) {
    case 'none':
      return new NonePolicy();
    case 'fifo':
      return new FifoPolicy();
    case 'splines':
      return new SplinesPolicy(settings);
    case 'oracle':
      return new OraclePolicy();
    case 'adaptive':
      return new AdaptivePolicy(settings);
  }
}
