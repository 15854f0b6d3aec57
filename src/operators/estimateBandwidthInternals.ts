// The busy-time bandwidth meter shared by estimateBandwidth and the adaptive scheduler.

interface Interval {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly bytes: number;
}

/**
 * Bytes delivered over the time the uplink was busy, within a sliding window.
 *
 * Busy time is the union of the upload intervals: uploads in flight together share the link, so
 * summing their durations would count the same second twice, and the gaps between uploads say
 * nothing about the link's capacity.
 */
export class BandwidthMeter {
  private intervals: Interval[] = [];

  constructor(private readonly windowMs: number) {}

  /** Adds one finished upload and returns bytes/second, or undefined while no busy time is known. */
  add(interval: Interval, now: number): number | undefined {
    if (Number.isFinite(interval.startedAt) && Number.isFinite(interval.finishedAt) && interval.bytes >= 0) {
      this.intervals.push(interval);
    }
    return this.rate(now);
  }

  rate(now: number): number | undefined {
    const horizon = now - this.windowMs;
    // Keep at least the latest upload, so a slow link (one upload longer than the window)
    // still has an estimate.
    this.intervals = this.intervals.filter(
      (entry, i, all) => entry.finishedAt > horizon || i === all.length - 1,
    );
    const sorted = [...this.intervals].sort((a, b) => a.startedAt - b.startedAt);
    let bytes = 0;
    let busy = 0;
    let coveredUntil = -Infinity;
    for (const entry of sorted) {
      bytes += entry.bytes;
      const start = Math.max(entry.startedAt, coveredUntil);
      if (entry.finishedAt > start) busy += entry.finishedAt - start;
      coveredUntil = Math.max(coveredUntil, entry.finishedAt);
    }
    return busy > 0 ? (bytes * 1000) / busy : undefined;
  }
}
