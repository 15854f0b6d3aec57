// The bandwidth meter shared by estimateBandwidth and the adaptive scheduler.

interface Interval {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly bytes: number;
}

interface Sample extends Interval {
  /** Whether the meter heard of it when it started, so it was counted while in flight too. */
  readonly announced: boolean;
  /** Whether it started {@link LOADED_AFTER_MS} or more into a busy stretch of the link, so any burst allowance was spent. */
  readonly loaded: boolean;
}

interface Start {
  readonly at: number;
  readonly loaded: boolean;
}

interface Span {
  readonly startedAt: number;
  readonly finishedAt: number;
}

/** Failures `BandwidthMeter.fail` lets pile up before it looks for those no estimate needs. */
const FAILED_PRUNE_SLACK = 64;

/** Inserts by finishedAt; uploads end in about the order they are reported, so this is O(1) mostly. */
function insertByFinish<T extends Span>(list: T[], entry: T): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.finishedAt > entry.finishedAt) i -= 1;
  list.splice(i, 0, entry);
}

/** Drops the entries of a finish-ordered list that finished before `from`. */
function dropBefore(list: Span[], from: number): void {
  let i = 0;
  while (i < list.length && list[i]!.finishedAt < from) i += 1;
  if (i > 0) list.splice(0, i);
}

/**
 * Bytes per second of the uplink, from uploads that finished within a sliding window.
 *
 * Uploads in flight together share the link, and which of them the window sees decides the
 * arithmetic. When the meter hears every upload start (`start`), each finished upload's bytes are
 * set against its fair share of the time it took, ∫ 1/k(t) dt with k(t) the uploads in flight at
 * t; each upload is then counted whole with exactly its own time, so uploads cut by the window's
 * edges or still in flight cost nothing, and idle gaps are never counted. What remains is how
 * unevenly the link really shares between the uploads at the window's edges. Results that arrive
 * without a start (`add`) leave k unknown while they were in flight, so then the window is
 * anchored at a finish instead (see `anchored`): an estimate without a bias of its own, but
 * noisier.
 *
 * A long window is steady but follows a change of the link only as fast as it slides: after a
 * step the estimate would mix both rates for a whole window. With every start heard, each
 * upload's own rate (its bytes over its fair share) is exact on an evenly shared link, so a
 * step shows in the first uploads that ran after it: when the latest {@link STEP_SAMPLES}
 * uploads all lie more than {@link STEP_RATIO} times above (or all below) the window's
 * estimate, the window restarts at the first of them, and the estimate is theirs at once. A
 * step is then followed within about two uploads' time; on a steady link the restart is rare
 * (uneven TCP sharing moves single uploads up and down, rarely two in a row the same way by a
 * third) and only shortens the window for a while.
 *
 * Many links let a burst through at once after an idle moment: a token-bucket shaper or policer
 * (tc's htb and tbf, cable and cellular policers) saves up credit while idle and spends it at the
 * line's rate. A small upload on a rested link then finishes at many times the rate the link
 * keeps up, which a backlog gets; and a stream of small files with gaps between them may never
 * show that rate at all. So the meter tells the uploads that started into a busy stretch of the
 * link ({@link LOADED_AFTER_MS} or more after it last went from idle to busy, with an upload in
 * flight all along or the next started within {@link BACK_TO_BACK_MS} of the last end), by which
 * time the credit is spent, from those started on a rested link. When the window holds at least
 * {@link MIN_LOADED_SAMPLES} loaded uploads, the estimate is theirs alone; and the window
 * restarts at a faster rate only on loaded uploads, while a slower rate needs no such proof. On a
 * link without a burst, both kinds run at the same rate, and the estimate only draws on fewer
 * uploads.
 */
export class BandwidthMeter<K = unknown> {
  private readonly inFlight = new Map<K, Start>();
  /** When the latest upload to end finished or failed. */
  private lastEnd = Number.NEGATIVE_INFINITY;
  /** When the link last went from idle to busy: an upload started with none in flight, after a pause. */
  private busySince = Number.NEGATIVE_INFINITY;
  /** Where the window restarted after the last step of the link; uploads finished before it are forgotten. */
  private since = Number.NEGATIVE_INFINITY;
  /** Successful uploads, by finish. */
  private samples: Sample[] = [];
  /** Failed uploads, by finish: they shared the link (k) but say nothing of its rate. */
  private failed: Span[] = [];
  /** The length of `failed` beyond which `fail` prunes it. */
  private failedPruneAt = FAILED_PRUNE_SLACK;

  constructor(private readonly windowMs: number) {}

  /** Notes that the upload `key` started at `at`, so it is counted among those sharing the link. */
  start(key: K, at: number): void {
    if (!Number.isFinite(at)) return;
    if (this.inFlight.size === 0 && at - this.lastEnd > BACK_TO_BACK_MS) this.busySince = at;
    this.inFlight.set(key, { at, loaded: at - this.busySince >= LOADED_AFTER_MS });
  }

  /**
   * Records the upload `key` as finished with `interval` and returns bytes/second, or undefined
   * while nothing is known. An unknown key is taken as a result without a start, like `add`.
   */
  finish(key: K, interval: Interval, now: number): number | undefined {
    const started = this.inFlight.get(key);
    this.inFlight.delete(key);
    this.record(interval, started !== undefined, started?.loaded ?? false);
    this.ended(interval.finishedAt);
    return this.rate(now);
  }

  /** Records the upload `key` as failed at `at`: it shared the link until then, but gives no sample. */
  fail(key: K, at: number): void {
    const started = this.inFlight.get(key);
    if (started === undefined) return;
    this.inFlight.delete(key);
    const startedAt = started.at;
    this.ended(at);
    if (Number.isFinite(at) && at >= startedAt) insertByFinish(this.failed, { startedAt, finishedAt: at });
    if (this.failed.length > this.failedPruneAt) this.pruneFailed();
  }

  /**
   * Forgets the failures no estimate can count any more. `rate` forgets old ones, but it may not
   * be asked again (nothing succeeds: a gateway refusing every file, for days, after some
   * uploads went through or none). A failure counts only while it overlaps a sample kept (they
   * span sampleFrom..sampleTo) or an upload still to finish (started at inFlightFrom or later).
   * Run when the list has doubled since the last time, so it costs O(1) a failure, amortised.
   */
  private pruneFailed(): void {
    let sampleFrom = Number.POSITIVE_INFINITY;
    let sampleTo = Number.NEGATIVE_INFINITY;
    for (const sample of this.samples) {
      sampleFrom = Math.min(sampleFrom, sample.startedAt);
      sampleTo = Math.max(sampleTo, sample.finishedAt);
    }
    let inFlightFrom = Number.POSITIVE_INFINITY;
    for (const started of this.inFlight.values()) inFlightFrom = Math.min(inFlightFrom, started.at);
    this.failed = this.failed.filter((span) => span.finishedAt >= inFlightFrom || (span.finishedAt >= sampleFrom && span.startedAt <= sampleTo));
    this.failedPruneAt = 2 * this.failed.length + FAILED_PRUNE_SLACK;
  }

  /**
   * Uploads the meter holds: finished in or near its window, failed while they could still
   * overlap one of those, and in flight. Bounded by the window and the uploads in flight, not by
   * the uploads ever heard of.
   */
  get size(): number {
    return this.samples.length + this.failed.length + this.inFlight.size;
  }

  /** Adds a finished upload whose start the meter did not hear of, and returns bytes/second or undefined. */
  add(interval: Interval, now: number): number | undefined {
    this.record(interval, false, false);
    return this.rate(now);
  }

  /** The estimate at `now` without adding anything, or undefined while nothing is known. */
  rate(now: number): number | undefined {
    const { samples } = this;
    if (samples.length === 0) return undefined;
    // At most the latest MAX_WINDOW_SAMPLES uploads: at a thousand small files a second a 5 s
    // window would hold thousands, and each estimate sorts the window's starts and ends.
    const capped = samples.length > MAX_WINDOW_SAMPLES ? samples[samples.length - MAX_WINDOW_SAMPLES - 1]!.finishedAt : Number.NEGATIVE_INFINITY;
    const horizon = Math.max(now - this.windowMs, this.since, capped);
    // The latest upload always counts, so a link slower than one upload per window still has a rate.
    let first = 0;
    while (first < samples.length - 1 && samples[first]!.finishedAt <= horizon) first += 1;
    let allAnnounced = true;
    for (let i = first; i < samples.length; i++) allAnnounced &&= samples[i]!.announced;
    let rate: number | undefined;
    if (allAnnounced) {
      const shares = cumulativeShares(this.samples, this.failed, this.inFlightStarts());
      rate = this.fairShare(first, shares);
      const restart = rate === undefined ? undefined : this.stepStart(first, shares, rate);
      if (restart !== undefined) {
        this.since = restart.since;
        first = restart.first;
        rate = this.fairShare(first, shares);
      }
    } else {
      rate = this.anchored(horizon);
    }
    let windowStart = Number.POSITIVE_INFINITY;
    for (let i = first; i < samples.length; i++) windowStart = Math.min(windowStart, samples[i]!.startedAt);
    // Forget what can no longer overlap an upload in the window or one still to finish, but keep
    // the anchored estimate's anchor: the newest sample at or before the horizon.
    let keepFrom = windowStart;
    for (const started of this.inFlight.values()) keepFrom = Math.min(keepFrom, started.at);
    if (first > 0) keepFrom = Math.min(keepFrom, samples[first - 1]!.finishedAt);
    dropBefore(this.samples, keepFrom);
    dropBefore(this.failed, keepFrom);
    return rate;
  }

  private record(interval: Interval, announced: boolean, loaded: boolean): void {
    const { startedAt, finishedAt, bytes } = interval;
    if (Number.isFinite(startedAt) && Number.isFinite(finishedAt) && finishedAt >= startedAt && bytes >= 0) {
      insertByFinish(this.samples, { startedAt, finishedAt, bytes, announced, loaded });
    }
  }

  /** Notes an upload's end, so the next start knows whether the link rested before it. */
  private ended(at: number): void {
    if (Number.isFinite(at)) this.lastEnd = Math.max(this.lastEnd, at);
  }

  private *inFlightStarts(): Iterable<number> {
    for (const started of this.inFlight.values()) yield started.at;
  }

  /**
   * Where the window restarts when the latest uploads show that the link stepped away from
   * `rate`: at the earliest start among them (`since`), with `first` the first sample that
   * finished after it; undefined when the link did not step.
   */
  private stepStart(first: number, shares: ReadonlyMap<number, number>, rate: number): { since: number; first: number } | undefined {
    const { samples } = this;
    const latest = samples.length - STEP_SAMPLES;
    if (latest <= first) return undefined;
    let above = 0;
    let below = 0;
    let startedAt = Number.POSITIVE_INFINITY;
    for (let i = latest; i < samples.length; i++) {
      const upload = samples[i]!;
      const shareMs = shares.get(upload.finishedAt)! - shares.get(upload.startedAt)!;
      if (!(shareMs > 0)) return undefined;
      const own = (upload.bytes * 1000) / shareMs;
      // Faster only on a loaded link: on a rested one, a burst allowance may have carried it.
      if (own > rate * STEP_RATIO && upload.loaded) above += 1;
      else if (own * STEP_RATIO < rate) below += 1;
      startedAt = Math.min(startedAt, upload.startedAt);
    }
    if (above < STEP_SAMPLES && below < STEP_SAMPLES) return undefined;
    // Keep the uploads that finished after the first of the stepped ones started: they ran
    // (mostly) at the new rate too.
    let restartFirst = first;
    while (restartFirst < latest && samples[restartFirst]!.finishedAt <= startedAt) restartFirst += 1;
    return { since: startedAt, first: restartFirst };
  }

  /** Bytes over fair shares of the samples from `first` on: of the loaded ones alone, when there are enough of them. */
  private fairShare(first: number, shares: ReadonlyMap<number, number>): number | undefined {
    let loaded = 0;
    for (let i = first; i < this.samples.length; i++) if (this.samples[i]!.loaded) loaded += 1;
    const loadedOnly = loaded >= MIN_LOADED_SAMPLES;
    let bytes = 0;
    let shareMs = 0;
    for (let i = first; i < this.samples.length; i++) {
      const upload = this.samples[i]!;
      if (loadedOnly && !upload.loaded) continue;
      bytes += upload.bytes;
      shareMs += shares.get(upload.finishedAt)! - shares.get(upload.startedAt)!;
    }
    return shareMs > 0 ? (bytes * 1000) / shareMs : undefined;
  }

  /**
   * The window anchored at a finish, for uploads whose starts were not heard of.
   *
   * Taking the union of the kept uploads' spans (bytes over busy time) runs low with parallel
   * uploads: at the window's start the span reaches back over uploads already dropped, at its end
   * over uploads still in flight, and both shared the link uncounted. Starting the window at the
   * *finish* of the newest upload at or before the horizon (whose own bytes are then left out)
   * cuts both edges alike: uploads in flight at the anchor bring all their bytes for part of their
   * time, which on average makes up for those in flight at the end.
   */
  private anchored(horizon: number): number | undefined {
    const { samples } = this;
    if (samples.length === 1) return busyRate(samples);
    let anchor = 0;
    while (anchor + 2 < samples.length && samples[anchor + 1]!.finishedAt <= horizon) anchor += 1;
    const from = samples[anchor]!.finishedAt;
    const span = samples.at(-1)!.finishedAt - from;
    // Uploads finishing just after the anchor sent most of their bytes before it; until the span
    // after the anchor is as long as the anchor upload took, that over-count would dwarf the
    // time, so use the plain busy-time rate (at start-up the window still holds everything).
    if (span < from - samples[anchor]!.startedAt) return busyRate(samples.slice(anchor));
    return busyRate(samples.slice(anchor + 1).map((upload) => ({ ...upload, startedAt: Math.max(upload.startedAt, from) })));
  }
}

/** Uploads an estimate looks at, at most, however many the window holds. */
export const MAX_WINDOW_SAMPLES = 256;

/** How many of the latest uploads must agree that the link stepped. */
export const STEP_SAMPLES = 2;
/** How far (as a factor) each of them must lie from the window's estimate. */
export const STEP_RATIO = 1.3;

/**
 * How long the link must have been busy before an upload starts for it to count as loaded: long
 * enough that any burst allowance is spent, since the link sends that at its line's rate
 * (at 1 Gb/s, 625 kB in 5 ms; the benchmark's shaped loopback lets 192 KiB through at once).
 */
export const LOADED_AFTER_MS = 5;
/** The longest pause between one upload's end and the next one's start that still keeps the link busy. */
export const BACK_TO_BACK_MS = 1;
/** Loaded uploads the window must hold for the estimate to be theirs alone. */
export const MIN_LOADED_SAMPLES = 2;

/** Bytes over the union of the uploads' spans, so parallel time is not double-counted and gaps are skipped. */
export function busyRate(uploads: readonly { startedAt: number; finishedAt: number; bytes: number }[]): number | undefined {
  const sorted = [...uploads].sort((a, b) => a.startedAt - b.startedAt);
  let bytes = 0;
  let busy = 0;
  let coveredUntil = Number.NEGATIVE_INFINITY;
  for (const upload of sorted) {
    bytes += upload.bytes;
    const start = Math.max(upload.startedAt, coveredUntil);
    if (upload.finishedAt > start) busy += upload.finishedAt - start;
    coveredUntil = Math.max(coveredUntil, upload.finishedAt);
  }
  return busy > 0 ? (bytes * 1000) / busy : undefined;
}

/**
 * G(t) = ∫ 1/k over the busy time before t, at every start and finish of the uploads given, k
 * counting those in flight; an upload's fair share of the link is then G(finish) - G(start),
 * because k is at least 1 (itself) throughout its span. One sweep serves every upload in the window.
 */
function cumulativeShares(samples: readonly Span[], failed: readonly Span[], inFlightStarts: Iterable<number>): Map<number, number> {
  const starts: number[] = [...inFlightStarts];
  const ends: number[] = [];
  for (const list of [samples, failed]) {
    for (const upload of list) {
      starts.push(upload.startedAt);
      ends.push(upload.finishedAt);
    }
  }
  starts.sort((a, b) => a - b);
  ends.sort((a, b) => a - b);
  const shares = new Map<number, number>();
  let active = 0;
  let previous = 0;
  let total = 0;
  let s = 0;
  let e = 0;
  // Ends before starts at the same instant, so back-to-back uploads do not overlap.
  while (s < starts.length || e < ends.length) {
    const isEnd = e < ends.length && (s === starts.length || ends[e]! <= starts[s]!);
    const at = isEnd ? ends[e++]! : starts[s++]!;
    if (active > 0) total += (at - previous) / active;
    active += isEnd ? -1 : 1;
    previous = at;
    shares.set(at, total);
  }
  return shares;
}
