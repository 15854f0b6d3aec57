import type { SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { GatewayError } from '../model/GatewayError.js';
import type { UploadJob } from '../model/UploadJob.js';
import { BandwidthMeter } from './BandwidthMeter.js';
import { BinaryHeap } from './internals/orderedStructures.js';
import type { ReduceContext, SchedulingPolicy } from './schedulingPolicies.js';
import { reductionScore } from './reductionScore.js';
import type { ScheduleDecision } from './ScheduleDecision.js';
import type { ScheduleOutcome } from './ScheduleOutcome.js';

/** What the merge needs besides its policy; `prioritize` normalises these. */
export interface PriorityMergeSettings {
  readonly cores: number;
  readonly uploadSlots: number;
  /** A fixed uplink rate, or undefined to measure it from the uploads (or take `setBandwidth`). */
  readonly fixedBandwidth: number | undefined;
  readonly initialBandwidth: number | undefined;
  readonly bandwidthWindowMs: number;
  /** Whether to measure the uplink from the uploads' outcomes (no fixed rate, no stream given). */
  readonly measureBandwidth: boolean;
  readonly scheduler: SchedulerLike;
}

/** Where the merge's decisions go, and how it finishes. */
export interface PriorityMergeOutput {
  decide(decision: ScheduleDecision): void;
  complete(): void;
  readonly closed: boolean;
}

// A file's decision and its outcome carry the same item; index and path together identify it
// even when a branch (a worker thread) hands back a copy rather than the object it was given.
const keyOf = (item: FileItem): string => `${item.index}\u0000${item.path}`;

/**
 * The state of the priority merge: files waiting, slots in use, reduced copies ready, what is
 * known of the uplink and the CPU. Files are keyed by `seq`, their order of arrival.
 *
 * After each change, free cores are offered first, then free upload slots, until nothing more
 * starts; a decision is released only into a free slot. Re-entrant calls (a branch answering
 * synchronously) just ask for another pass.
 */
export class PriorityMerge {
  private readonly items = new Map<number, FileItem>();
  private readonly inFlight = new Map<string, number>();
  /** Uploads in flight by seq (their count is the upload slots in use): body bytes and start. */
  private readonly sending = new Map<number, { bytes: number; startedAt: number }>();
  private readonly ready = new BinaryHeap<{ seq: number; job: UploadJob }>((a, b) => a.seq < b.seq);
  private readonly meter: BandwidthMeter<number>;
  private bandwidth: number | undefined;
  private arrivals = 0;
  private reducing = 0;
  private queuedBytes = 0;
  private cpuMs = 0;
  private cpuBytes = 0;
  private sourceDone = false;
  private halted = false;
  private dispatching = false;
  private again = false;
  private readonly context: ReduceContext;

  constructor(
    private readonly policy: SchedulingPolicy,
    private readonly settings: PriorityMergeSettings,
    private readonly output: PriorityMergeOutput,
  ) {
    this.meter = new BandwidthMeter<number>(settings.bandwidthWindowMs);
    this.bandwidth = settings.fixedBandwidth ?? settings.initialBandwidth;
    const merge = this;
    this.context = {
      get freeUploadSlots() {
        return settings.uploadSlots - merge.sending.size;
      },
      get queuedBytes() {
        return merge.queuedBytes;
      },
      get inFlightBytes() {
        return merge.inFlightBytes();
      },
      get bandwidth() {
        return merge.bandwidth;
      },
      get cpuMsPerByte() {
        return merge.cpuBytes > 0 ? merge.cpuMs / merge.cpuBytes : undefined;
      },
      sizeOf: (seq) => merge.items.get(seq)!.size,
    };
  }

  /**
   * What the uploads in flight have still to send: each upload's bytes less its share of the
   * bandwidth since it started (all of them while no rate is known).
   */
  private inFlightBytes(): number {
    const now = this.settings.scheduler.now();
    const share = this.bandwidth === undefined || this.sending.size === 0 ? 0 : this.bandwidth / this.sending.size;
    let bytes = 0;
    for (const upload of this.sending.values()) bytes += Math.max(0, upload.bytes - (share * (now - upload.startedAt)) / 1000);
    return bytes;
  }

  /** A new file waits; `score` is its true score for the oracle. */
  add(item: FileItem, score: number | undefined): void {
    const seq = this.arrivals++;
    this.items.set(seq, item);
    this.queuedBytes += item.size;
    this.policy.add(seq, score);
    this.dispatch();
  }

  /** The source completed: finish once every file's upload has ended. */
  endOfFiles(): void {
    this.sourceDone = true;
    this.dispatch();
  }

  /** Start nothing new; finish once what is in flight has ended. */
  halt(): void {
    this.halted = true;
    this.dispatch();
  }

  /** The latest uplink rate from a stream the user gave. */
  setBandwidth(bytesPerSecond: number): void {
    this.bandwidth = bytesPerSecond;
  }

  /** A branch reports: frees its slot, queues a reduced copy, learns a score or a rate. */
  report(outcome: ScheduleOutcome): void {
    const seq = this.seqOf(outcome.item, outcome.type === 'upload-end' ? 'upload' : 'reduce');
    if (seq === undefined) return;
    if (outcome.type === 'upload-end') this.uploaded(seq, outcome.result);
    else if (outcome.type === 'reduce-end') this.reduced(seq, outcome.reduction);
    else this.reduceFailed(seq);
    this.dispatch();
  }

  private seqOf(item: FileItem, branch: 'reduce' | 'upload'): number | undefined {
    const key = `${branch}\u0000${keyOf(item)}`;
    const seq = this.inFlight.get(key);
    this.inFlight.delete(key);
    return seq;
  }

  private reduced(seq: number, reduction: Extract<ScheduleOutcome, { type: 'reduce-end' }>['reduction']): void {
    const item = this.items.get(seq)!;
    this.reducing -= 1;
    this.policy.finishReduce(seq, reductionScore(reduction));
    // A reduction that took no CPU (one that failed at once) says nothing about the cost.
    if (reduction.bytesIn > 0 && Number.isFinite(reduction.cpuMs) && reduction.cpuMs > 0) {
      this.cpuMs += reduction.cpuMs;
      this.cpuBytes += reduction.bytesIn;
    }
    const job: UploadJob =
      reduction.reduced && reduction.outputPath !== undefined
        ? {
            item,
            bodyPath: reduction.outputPath,
            bodySize: reduction.bytesOut,
            // The receiver is told what the body is (Content-Type, X-HASTE-reduction).
            ...(reduction.mediaType === undefined ? {} : { bodyMediaType: reduction.mediaType }),
            ...(reduction.settings === undefined ? {} : { bodyReduction: reduction.settings }),
          }
        : { item };
    this.ready.push({ seq, job });
    this.queuedBytes += job.bodySize ?? item.size;
  }

  private reduceFailed(seq: number): void {
    const item = this.items.get(seq)!;
    this.reducing -= 1;
    this.policy.finishReduce(seq, 0);
    this.ready.push({ seq, job: { item } });
    this.queuedBytes += item.size;
  }

  private uploaded(seq: number, result: Extract<ScheduleOutcome, { type: 'upload-end' }>['result']): void {
    this.sending.delete(seq);
    this.items.delete(seq);
    const now = this.settings.scheduler.now();
    if (result instanceof GatewayError) this.meter.fail(seq, now);
    else if (this.settings.measureBandwidth) this.bandwidth = this.meter.finish(seq, result, now) ?? this.bandwidth;
  }

  private startReduce(seq: number): void {
    const item = this.items.get(seq)!;
    this.policy.startReduce(seq);
    this.queuedBytes -= item.size;
    this.reducing += 1;
    this.inFlight.set(`reduce\u0000${keyOf(item)}`, seq);
    this.output.decide({ type: 'reduce-start', item, at: this.settings.scheduler.now() });
  }

  private startUpload(seq: number, job: UploadJob): void {
    const item = job.item;
    this.queuedBytes -= job.bodySize ?? item.size;
    const now = this.settings.scheduler.now();
    this.sending.set(seq, { bytes: job.bodySize ?? item.size, startedAt: now });
    // The meter must know every upload in flight to give each finished one its fair share of the link.
    this.meter.start(seq, now);
    this.inFlight.set(`upload\u0000${keyOf(item)}`, seq);
    this.output.decide({ type: 'upload-start', item, at: now, job });
  }

  private dispatch(): void {
    if (this.dispatching) {
      this.again = true;
      return;
    }
    if (this.halted) {
      if (this.reducing === 0 && this.sending.size === 0) this.output.complete();
      return;
    }
    this.dispatching = true;
    try {
      do {
        this.again = false;
        this.offerCores();
        this.offerUploadSlots();
      } while (this.again && !this.output.closed);
    } finally {
      this.dispatching = false;
    }
    if (this.sourceDone && this.items.size === 0) this.output.complete();
  }

  private offerCores(): void {
    while (this.reducing < this.settings.cores && !this.output.closed) {
      const seq = this.policy.pickReduce(this.context);
      if (seq === undefined) break;
      this.startReduce(seq);
    }
  }

  private offerUploadSlots(): void {
    while (this.sending.size < this.settings.uploadSlots && !this.output.closed) {
      const next = this.ready.pop();
      if (next !== undefined) {
        this.startUpload(next.seq, next.job);
        this.again = true;
        continue;
      }
      const seq = this.policy.pickRawUpload();
      if (seq === undefined) break;
      this.policy.startRawUpload(seq);
      this.startUpload(seq, { item: this.items.get(seq)! });
      this.again = true;
    }
  }
}
