import { createHash } from 'node:crypto';
import { lstat, unlink } from 'node:fs/promises';
import {
  asyncScheduler,
  BehaviorSubject,
  concatMap,
  defer,
  filter,
  finalize,
  from,
  map,
  of,
  Subject,
  type Subscription,
  switchMap,
  tap,
  type MonoTypeOperatorFunction,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
} from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { GatewayError } from '../model/GatewayError.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import { errorCodeOf } from '../state/durableWrites.js';
import { hashFile } from '../state/hashFile.js';
import { openAdmitted, readWhole } from '../io/admittedFileInternals.js';
import { concatMapEager } from '../operators/concatMapEager.js';
import { limitOutstanding } from '../operators/limitOutstanding.js';
import { RecentVersions } from './RecentVersions.js';
import { integerAtLeast, messageOf } from '../validation.js';
import type { Ledger, LedgerKey } from '../state/Ledger.js';
import type { LedgerEntry } from '../state/LedgerEntry.js';
import { isFatalStatus, versionKey } from './runAgentInternals.js';

/** Options for {@link createDelivery}. */
export interface CreateDeliveryOptions {
  /** Durable record of every file; without it a restart sends everything again. @default none */
  readonly ledger?: Ledger;
  /** Send files the ledger says were acknowledged already. @default false */
  readonly resend?: boolean;
  /** Delete each original once the gateway acknowledged it. @default false */
  readonly deleteAfterUpload?: boolean;
  /** How the ledger names the reducer and its settings. @default { name: 'custom', settings: {} } */
  readonly reducer?: { readonly name: string; readonly settings: Readonly<Record<string, unknown>> };
  /**
   * File versions remembered as taken, so the same version found again (by the watcher and a
   * walk) is dropped silently. With a ledger, one found again after it was forgotten is
   * recognised there: acknowledged by this delivery, or refused by the gateway during it (a
   * 413, say), it is dropped silently too; delivered by an earlier run, it is skipped with an
   * event. Without a ledger nothing is forgotten, so memory grows with the files seen. A version
   * skipped because an earlier run delivered it is not remembered at all: the ledger is what
   * recognises it, and runAgent's walks drop such files before they get here.
   * @default 4096 with a ledger, unlimited without
   */
  readonly rememberVersions?: number;
  /**
   * Files admitted (recorded, hashed, handed to the schedule) and not yet through `uploadWith`,
   * at most; the others wait before admission, in arrival order, each holding only its file
   * item, so a folder of 100,000 files costs little memory. The schedule chooses among the
   * admitted ones. Every admitted file must reach `uploadWith`, or admission stops once this
   * many are outstanding. While files wait, `events$` reports how many (`waiting`), at most
   * every quarter second, on `scheduler`; once `admitAhead` of them wait, `backlogged$` says
   * so. @default 4096
   */
  readonly admitAhead?: number;
  /** Clock for the events' `at`. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/** The delivery guarantees of one run, as pieces of a pipeline; see {@link createDelivery}. */
export interface Delivery {
  /**
   * What the guarantees have to report: `seen`, `skipped`, `failed` for files they refuse, and
   * `waiting` while files wait for admission (see `admitAhead`).
   */
  readonly events$: Observable<AgentEvent>;
  /**
   * Takes each version of a file (path, size, mtime) once; with a ledger, hashes it (opened
   * once, never through a symlink), skips it if an earlier run had it acknowledged, and records
   * it as seen before it goes on. Emits the admitted files numbered from 0.
   */
  readonly admit: OperatorFunction<FileItem, FileItem>;
  /**
   * True once `admitAhead` files wait before admission, false again once half as many do
   * (and at first): a source that can wait, such as `watchDirectory`'s first scan (`holdScan`),
   * holds off while it is true, so a backlog of any size waits on disk rather than in memory.
   * Emits its current value on subscription, then only changes.
   */
  readonly backlogged$: Observable<boolean>;
  /** Wraps a reducer: the ledger records `reducing`, then `reduced` with the copy's hash, or `seen`. */
  reduceWith(reduce: (item: FileItem) => Observable<Reduction>): (item: FileItem) => Observable<Reduction>;
  /**
   * Wraps an upload: records `uploading`, labels the body with its SHA-256, and acknowledges
   * only a 2xx for a file that did not change while it was sent; removes a delivered (or
   * undelivered) reduced copy, and the original too with `deleteAfterUpload`.
   */
  uploadWith(upload: (job: UploadJob) => Observable<UploadResult | GatewayError>): (job: UploadJob) => Observable<UploadResult | GatewayError>;
  /** Pending ledger entries whose file is gone are failed for good, each with an event. */
  forgetVanished(): Promise<void>;
  /** Adds an event of the caller's (a retry) to `events$`. */
  report(event: AgentEvent): void;
  /** Ends `events$`. */
  complete(): void;
}

/**
 * Versions remembered as taken, with a ledger (about 100 bytes each): what the watcher and a
 * walk both report, close together. Older ones are recognised by the ledger, so a larger number
 * buys nothing but churn: with 65,536, a whole restart measured 30-40 MB more anonymous memory.
 */
const recentVersionsKept = 4096;

/** Files admitted and not yet sent, at most, by default: the schedule's choice, not every file found. */
const admitAheadDefault = 4096;

/** Originals up to this size have their bytes kept from admission to upload... */
const keptBodyBytesAtMost = 64 * 1024;
/** ...while all kept bytes stay within this. */
const keptBytesAtMost = 8 * 2 ** 20;

/** How often, at most, a changing number of files waiting for admission is reported. */
const waitingReportMs = 250;

/** Files admitted at once: enough for one fsync to cover many, few enough to bound open files. */
const admissionConcurrency = 64;
/** Pending entries a start checks for a removed file at once (an `lstat` each). */
const vanishedChecksAtOnce = 64;

const localFileCodes = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP', 'ECHANGED']);


/**
 * The delivery guarantees the agent gives every file, for a pipeline of your own: admission
 * against the ledger, durable records around each reduction and upload, acknowledgement only
 * after a 2xx, and the clean-up of reduced copies.
 *
 * Put `admit` in front of the schedule and wrap its reducer and upload; merge `events$` into
 * what you observe. Without a ledger, the upload's content hash is computed ahead, when the
 * body appears, so the upload rarely waits for it.
 *
 * ```text
 * files:    -a--a--b--      (a found twice: by the watcher and by a walk)
 * admit:    -a-----b--      numbered 0, 1; recorded as seen before they go on
 * events$:  -s-----s--      s seen
 * ```
 *
 * @example
 * ```ts
 * declare const files$: Observable<FileItem>;
 * declare const ledger: Ledger;
 * const delivery = createDelivery({ ledger });
 * const { reduce } = createWorkerPool({ size: 1 });
 * const upload = createUploader({ host: 'gateway:8080', username: 'lab', password: 'pw' });
 * merge(
 *   delivery.events$,
 *   files$.pipe(delivery.admit, scheduleFiles({ strategy: 'adaptive', reduce: delivery.reduceWith(reduce), upload: delivery.uploadWith(upload) })),
 * ).subscribe((event) => console.log(event.type));
 * ```
 *
 * @param options The ledger and what to do with delivered files.
 * @returns The run's delivery guarantees.
 */
export function createDelivery(options: CreateDeliveryOptions = {}): Delivery {
  return new DeliveryGuarantees(options);
}

class DeliveryGuarantees implements Delivery {
  private readonly side = new Subject<AgentEvent>();
  readonly events$ = this.side.asObservable();
  private readonly ledger: Ledger | undefined;
  private readonly scheduler: SchedulerLike;
  private readonly hashes = new Map<string, string>();
  private readonly outputHashes = new Map<string, string>();
  // Without a ledger: body hashes started when the body appeared and not waited for there, so
  // the upload usually finds them done. Keyed by version, reduced copies under `copy:`.
  private readonly hashesAhead = new Map<string, Promise<string | undefined>>();
  // Small originals' bytes, read to hash them at admission, kept for their upload: the body is
  // then the very bytes hashed, and the file is not opened and read a second time. Keyed by
  // version; at most keptBytesAtMost bytes in all.
  private readonly keptBodies = new Map<string, Buffer>();
  private keptBytes = 0;
  // With a ledger, a version forgotten here and found again is recognised there; without one,
  // nothing else remembers what this run took, so nothing is forgotten.
  private readonly taken: RecentVersions;
  // The ledger's clock when this delivery began: an entry acknowledged since was acknowledged by it.
  private readonly since: number;
  private admitted = 0;
  private readonly admitAhead: number;
  // Admitted versions not yet through uploadWith; each one's end lets one more file in.
  private readonly outstanding = new Set<string>();
  private readonly settled = new Subject<void>();
  // Changed only where it flips (see countingWaiting), so it emits changes alone.
  private readonly backlog = new BehaviorSubject<boolean>(false);
  readonly backlogged$ = this.backlog.asObservable();
  // Files held before admission, and what was last reported of them.
  private readonly waiting: { files: number; bytes: number; reported: number; report: Subscription | undefined } = {
    files: 0,
    bytes: 0,
    reported: 0,
    report: undefined,
  };

  constructor(private readonly options: CreateDeliveryOptions) {
    this.ledger = options.ledger;
    this.scheduler = options.scheduler ?? asyncScheduler;
    const remember = options.rememberVersions ?? (options.ledger === undefined ? Number.POSITIVE_INFINITY : recentVersionsKept);
    if (remember !== Number.POSITIVE_INFINITY) integerAtLeast('rememberVersions', remember, 1);
    this.taken = new RecentVersions(remember);
    this.since = options.ledger?.now() ?? 0;
    this.admitAhead = integerAtLeast('admitAhead', options.admitAhead ?? admitAheadDefault, 1);
  }

  report(event: AgentEvent): void {
    this.side.next(event);
  }

  complete(): void {
    this.side.complete();
  }

  readonly admit: OperatorFunction<FileItem, FileItem> = (files$) =>
    files$.pipe(
      // The watcher and the walks report the same files; each version is taken once.
      filter((item) => this.taken.add(item)),
      // Versions this delivery settled and forgot are dropped, as remembered ones are. Files an
      // earlier run delivered, unchanged, leave at once, without waiting their turn: a restart on
      // a folder of a million of them must not hold a new file up behind them.
      filter((item) => !this.settledAlready(item)),
      // What waits beyond this costs its file item only: no record, no hash, no place in the schedule.
      (found$) => this.countingWaiting(found$, limitOutstanding({ limit: this.admitAhead, settled: this.settled })),
      // Admissions overlap, so one journal fsync records many files, but leave in arrival order.
      concatMapEager((item) => this.admitOne(item), { concurrency: admissionConcurrency }),
      map((item) => this.numbered(item)),
    );

  /**
   * `hold` with the files it holds counted, and a `waiting` event when the count has changed,
   * at most every {@link waitingReportMs}: files that pass at once (the usual case) are never
   * reported and schedule nothing.
   */
  private countingWaiting(found$: Observable<FileItem>, hold: MonoTypeOperatorFunction<FileItem>): Observable<FileItem> {
    const waiting = this.waiting;
    const report = (): void => {
      if (waiting.files === waiting.reported) return;
      waiting.reported = waiting.files;
      this.side.next({ type: 'waiting', at: this.now(), files: waiting.files, bytes: waiting.bytes });
    };
    const noteChange = (): void => {
      if (waiting.files === waiting.reported || waiting.report !== undefined) return;
      waiting.report = this.scheduler.schedule(() => {
        waiting.report = undefined;
        report();
      }, waitingReportMs);
    };
    return new Observable<FileItem>((subscriber) => {
      const arrivals = new Subject<FileItem>();
      const subscription = arrivals
        .pipe(
          tap((item) => {
            waiting.files += 1;
            waiting.bytes += item.size;
            if (waiting.files >= this.admitAhead && !this.backlog.value) this.backlog.next(true);
          }),
          hold,
          tap((item) => {
            waiting.files -= 1;
            waiting.bytes -= item.size;
            if (waiting.files <= this.admitAhead / 2 && this.backlog.value) this.backlog.next(false);
          }),
        )
        .subscribe(subscriber);
      // Each look comes once a file, or a settlement, went as far as it could at once: after the
      // hold's own subscription to `settled`, and after the arrival's trip downstream.
      subscription.add(this.settled.subscribe(noteChange));
      subscription.add(
        found$.subscribe({
          next: (item) => {
            arrivals.next(item);
            noteChange();
          },
          error: (error: unknown) => arrivals.error(error),
          complete: () => arrivals.complete(),
        }),
      );
      subscription.add(() => {
        waiting.report?.unsubscribe();
        waiting.report = undefined;
        report();
      });
      return subscription;
    });
  }

  private now(): number {
    return this.scheduler.now();
  }

  private hashAhead(key: string, file: string | FileItem): void {
    this.hashesAhead.set(key, hashFile(file).catch(() => undefined));
  }

  /**
   * The content hash of an original being admitted; a small one's bytes are kept for its upload
   * (see `keptBodies`; with a ledger only, where admission waits for the hash, so no upload can
   * end before they are kept). Rejects as hashFile does (not the file admitted, unreadable).
   */
  private async hashKeeping(item: FileItem): Promise<string> {
    const size = item.size;
    if (size > keptBodyBytesAtMost || this.keptBytes + size > keptBytesAtMost) return hashFile(item);
    // Reserved before the read, so admissions running together stay within the bound.
    this.keptBytes += size;
    let bytes: Buffer;
    try {
      const { handle } = await openAdmitted(item);
      try {
        bytes = await readWhole({ handle, size, path: item.path, held: true });
      } finally {
        await handle.close();
      }
    } catch (error) {
      this.keptBytes -= size;
      throw error;
    }
    this.keptBodies.set(versionKey(item), bytes);
    return createHash('sha256').update(bytes).digest('hex');
  }

  /** Forgets a version's kept bytes (sent, refused, or abandoned). */
  private dropKept(version: string): void {
    const bytes = this.keptBodies.get(version);
    if (bytes === undefined) return;
    this.keptBodies.delete(version);
    this.keptBytes -= bytes.length;
  }

  private ledgerKey(item: FileItem): LedgerKey | undefined {
    const hash = this.hashes.get(versionKey(item));
    return hash === undefined ? undefined : { path: item.path, size: item.size, mtimeMs: item.mtimeMs, hash };
  }

  private write(action: (ledger: Ledger) => Promise<unknown>): Observable<unknown> {
    return this.ledger === undefined ? of(undefined) : from(action(this.ledger));
  }

  private numbered(item: FileItem): FileItem {
    this.outstanding.add(versionKey(item));
    this.side.next({ type: 'seen', at: this.now(), path: item.path, bytes: item.size });
    return { ...item, index: this.admitted++ };
  }

  private admitOne(item: FileItem): Observable<FileItem> {
    // Without a ledger nothing at admission needs the content hash, so it waits for the upload:
    // hashing here would serialise every arrival behind a full read of the file on the
    // threadpool the reducer and the uploads share, and the scheduler would learn of files
    // late. With a ledger the hash is part of the version's key.
    const book = this.ledger;
    if (book === undefined) {
      return defer(() => {
        this.hashAhead(versionKey(item), item);
        return of(item);
      });
    }
    return defer(async (): Promise<FileItem[]> => {
      // A file the ledger has seen, unchanged (device, inode, size, mtime), is not read again:
      // a restart on a folder of a million files must not hash them all.
      const known = book.findUnchanged(item);
      if (known?.state === 'acknowledged' && !this.options.resend) return this.skipAcknowledged(item);
      let hash: string;
      try {
        hash = known?.hash ?? (await this.hashKeeping(item));
      } catch (error) {
        // Forgotten, so a later event or walk that finds it readable takes it again.
        this.taken.delete(item);
        this.settled.next();
        this.side.next({ type: 'failed', at: this.now(), path: item.path, status: 0, error: `Could not read ${item.path}, not sent: ${messageOf(error)}` });
        return [];
      }
      const key = { path: item.path, size: item.size, mtimeMs: item.mtimeMs, hash };
      // Recognised by its content (a source without device and inode numbers).
      const before = book.getByKey(key);
      if (before !== undefined && this.settledHere(before)) {
        this.dropKept(versionKey(item));
        this.dropSettled(item);
        this.settled.next();
        return [];
      }
      if (before?.state === 'acknowledged' && !this.options.resend) {
        this.dropKept(versionKey(item));
        return this.skipAcknowledged(item);
      }
      try {
        await book.record({ ...key, ...identityOf(item), state: 'seen', lastError: null });
      } catch (error) {
        this.dropKept(versionKey(item));
        throw error;
      }
      this.hashes.set(versionKey(item), hash);
      return [item];
    }).pipe(concatMap((items) => from(items)));
  }

  /**
   * Whether this version, forgotten as taken, needs no admission: refused by the gateway or
   * acknowledged (this very file: device, inode, size, mtime) during this delivery, dropped
   * silently as a remembered version is, even with `resend`; or acknowledged by an earlier run,
   * skipped with its event unless `resend`.
   */
  private settledAlready(item: FileItem): boolean {
    const ledger = this.ledger;
    if (ledger === undefined) return false;
    const known = ledger.findUnchanged(item);
    if (known === undefined) return false;
    if (this.settledHere(known)) return this.dropSettled(item);
    if (known.state !== 'acknowledged') return false;
    if (this.options.resend === true) return false;
    this.reportDelivered(item);
    return true;
  }

  /**
   * Whether this delivery acknowledged `entry`, or the gateway refused it during this delivery (a
   * 413, retries used up: failed, not for good). A refused version stays pending in the ledger,
   * for the next run (the gateway's limit may be raised), and is not taken again in this one
   * however long ago it was forgotten as taken, whether the ledger holds it in memory or has
   * archived it. A version that failed for good (a local file problem) may be taken again.
   */
  private settledHere(entry: LedgerEntry): boolean {
    const settled = entry.state === 'acknowledged' || (entry.state === 'failed' && entry.permanent !== true);
    return settled && entry.updatedAt > this.since;
  }

  /** Drops a version this delivery settled, without an event; the ledger recognises it again next time. */
  private dropSettled(item: FileItem): true {
    this.taken.delete(item);
    return true;
  }

  /** Skips, during its admission, a file an earlier run delivered: the next file may be admitted. */
  private skipAcknowledged(item: FileItem): FileItem[] {
    this.settled.next();
    this.reportDelivered(item);
    return [];
  }

  private reportDelivered(item: FileItem): void {
    // Not remembered: the ledger recognises it whenever it is found again. Remembering each of a
    // restart's million old files churned through the remembered versions, and the garbage that
    // left grew the heap by ~50 MB during the walk.
    this.taken.delete(item);
    this.side.next({ type: 'skipped', at: this.now(), path: item.path, bytes: item.size, reason: 'acknowledged in an earlier run' });
  }

  reduceWith(reduce: (item: FileItem) => Observable<Reduction>): (item: FileItem) => Observable<Reduction> {
    return (item) => {
      const key = this.ledgerKey(item);
      const version = versionKey(item);
      return this.write((l) => (key ? l.transition(key, 'reducing') : Promise.resolve())).pipe(
        switchMap(() => reduce(item)),
        tap((reduction) => {
          if (!reduction.reduced || reduction.outputPath === undefined) return;
          // A reducer that hashed the bytes it wrote saves reading the copy back.
          if (reduction.outputSha256 !== undefined) this.outputHashes.set(version, reduction.outputSha256);
          // The core is not held while the copy is read back (unless the ledger needs its hash).
          else if (this.ledger === undefined) this.hashAhead(`copy:${version}`, reduction.outputPath);
        }),
        concatMap((reduction) => from(this.recordReduction(key, version, reduction)).pipe(map(() => reduction))),
      );
    };
  }

  private async recordReduction(key: LedgerKey | undefined, version: string, reduction: Reduction): Promise<void> {
    const ledger = this.ledger;
    if (ledger === undefined || key === undefined) return;
    if (!reduction.reduced || reduction.outputPath === undefined) {
      await ledger.transition(key, 'seen');
      return;
    }
    const outputHash = this.outputHashes.get(version) ?? (await hashFile(reduction.outputPath));
    this.outputHashes.set(version, outputHash);
    const reducer = this.options.reducer ?? { name: 'custom', settings: {} };
    await ledger.transition(key, 'reduced', {
      reduction: { reducer: reducer.name, settings: reducer.settings, outputHash, bytesSaved: reduction.bytesIn - reduction.bytesOut, cpuMs: reduction.cpuMs },
    });
  }

  uploadWith(upload: (job: UploadJob) => Observable<UploadResult | GatewayError>): (job: UploadJob) => Observable<UploadResult | GatewayError> {
    return (given) => {
      const key = this.ledgerKey(given.item);
      const sendsCopy = given.bodyPath !== undefined && given.bodyPath !== given.item.path;
      const body = given.bodyPath ?? given.item.path;
      const version = versionKey(given.item);
      const known = sendsCopy ? this.outputHashes.get(version) : this.hashes.get(version);
      const ahead = this.hashesAhead.get(sendsCopy ? `copy:${version}` : version);
      // A body that cannot be read fails the upload with the fs error as its cause, so an
      // unreadable hash is left out rather than reported twice.
      const bodySha256$: Observable<string | undefined> =
        known !== undefined ? of(known) : ahead !== undefined ? from(ahead) : defer(() => hashFile(body).catch(() => undefined));
      return defer(() => {
        // Recorded but not waited for: the attempt needs no durability before the bytes go (a
        // crash first only means a repeat, which the gateway drops by hash), and waiting would
        // add an fsync to every upload. The acknowledgement's record queues behind it, and a
        // ledger that cannot write refuses that one too.
        if (key !== undefined) this.ledger?.transition(key, 'uploading').catch(() => undefined);
        return bodySha256$;
      }).pipe(
        map((bodySha256): UploadJob => {
          // The bytes hashed at admission: sent as they are, not read again from a path that may have changed since.
          const kept = sendsCopy ? undefined : this.keptBodies.get(version);
          return { ...given, ...(bodySha256 === undefined ? {} : { bodySha256 }), ...(kept === undefined ? {} : { bodyBytes: kept }) };
        }),
        switchMap((job) => upload(job).pipe(concatMap((outcome) => from(this.settle(job, outcome))))),
        concatMap(async (outcome) => {
          // This version is done with; a long-running agent must not keep every hash it saw.
          this.hashes.delete(version);
          this.outputHashes.delete(version);
          this.hashesAhead.delete(version);
          this.hashesAhead.delete(`copy:${version}`);
          // A reduced copy that was not delivered is redone from the original next time.
          if (outcome instanceof GatewayError && sendsCopy) await unlink(body).catch(() => undefined);
          return outcome;
        }),
        finalize(() => this.release(given.item)),
      );
    };
  }

  /**
   * An admitted version is through (sent, failed, or its upload abandoned): its kept bytes go,
   * and the next file may be admitted.
   */
  private release(item: FileItem): void {
    this.dropKept(versionKey(item));
    if (!this.outstanding.delete(versionKey(item))) return;
    this.taken.finish(item);
    this.settled.next();
  }

  /** Records an upload's outcome: acknowledged only for a 2xx of a file that did not change. */
  private async settle(job: UploadJob, outcome: UploadResult | GatewayError): Promise<UploadResult | GatewayError> {
    const { item } = job;
    const key = this.ledgerKey(item);
    const ledger = this.ledger;
    if (outcome instanceof GatewayError) {
      if (key !== undefined && ledger !== undefined) {
        if (isFatalStatus(outcome.status)) {
          // Not the file's fault: it stays pending for a run with the right settings.
          await ledger.transition(key, 'seen', { lastError: outcome.message });
        } else {
          const permanent = localFileCodes.has(errorCodeOf(outcome.cause) ?? '');
          // Unless permanent: pending for the next run, but not sent again in this one (settledHere).
          await ledger.transition(key, 'failed', { lastError: outcome.message, permanent });
        }
      }
      return outcome;
    }
    if (await changedSince(item)) {
      const changed = new GatewayError(
        `${item.path} changed or vanished while it was being sent; the gateway's copy may be inconsistent, and a new version is sent when it settles`,
        { status: 0, path: item.path, item },
      );
      if (key !== undefined) await ledger?.transition(key, 'failed', { lastError: changed.message, permanent: true });
      return changed;
    }
    if (key !== undefined) await ledger?.transition(key, 'acknowledged', { lastError: null });
    if (job.bodyPath !== undefined && job.bodyPath !== item.path) {
      await unlink(job.bodyPath).catch(() => undefined);
    }
    if (this.options.deleteAfterUpload === true) {
      await unlink(item.path).catch((error: unknown) => {
        this.side.next({ type: 'failed', at: this.now(), path: item.path, status: 0, error: `Uploaded, but could not delete it: ${messageOf(error)}` });
      });
    }
    return outcome;
  }

  async forgetVanished(): Promise<void> {
    const ledger = this.ledger;
    if (ledger === undefined) return;
    // The pending entries in memory, then the refused ones archived (each transition below
    // brings one into memory, and the archive's list skips those), vanishedChecksAtOnce at a
    // time: one after another, 100,000 of them held a start up 5.6 s.
    let batch: LedgerEntry[] = [];
    const check = async (): Promise<void> => {
      await Promise.all(batch.map((entry) => this.forgetIfVanished(ledger, entry)));
      batch = [];
    };
    for (const entry of ledger.pending()) {
      batch.push(entry);
      if (batch.length === vanishedChecksAtOnce) await check();
    }
    for await (const entry of ledger.archivedPending()) {
      batch.push(entry);
      if (batch.length === vanishedChecksAtOnce) await check();
    }
    await check();
  }

  private async forgetIfVanished(ledger: Ledger, entry: LedgerEntry): Promise<void> {
    const present = await lstat(entry.path).then(
      () => true,
      (error: unknown) => !['ENOENT', 'ENOTDIR'].includes(errorCodeOf(error) ?? ''),
    );
    if (present) return;
    const reason = `${entry.path} was pending but no longer exists (removed while the agent was not running); it cannot be sent`;
    await ledger.transition(entry, 'failed', { lastError: reason, permanent: true });
    this.side.next({ type: 'failed', at: this.now(), path: entry.path, status: 0, error: reason });
  }
}

/** Whether the file at `item.path` is no longer the version that was sent (lstat: a symlink swapped in counts). */
async function changedSince(item: FileItem): Promise<boolean> {
  const now = await lstat(item.path).catch(() => undefined);
  return (
    now === undefined ||
    !now.isFile() ||
    now.size !== item.size ||
    now.mtimeMs !== item.mtimeMs ||
    (item.ino !== undefined && now.ino !== item.ino)
  );
}

/** The device and inode an item was found with, when the source knew them. */
function identityOf(item: FileItem): { dev?: number; ino?: number } {
  return item.dev === undefined || item.ino === undefined ? {} : { dev: item.dev, ino: item.ino };
}
