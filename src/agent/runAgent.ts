import {
  asyncScheduler,
  defer,
  EMPTY,
  endWith,
  filter,
  finalize,
  from,
  identity,
  ignoreElements,
  map,
  merge,
  NEVER,
  Subject,
  switchMap,
  takeUntil,
  tap,
  type Observable,
  type SchedulerLike,
} from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import { GatewayError } from '../model/GatewayError.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
import { retryUploads } from '../operators/retryUploads.js';
import { scheduleFiles } from '../operators/scheduleFiles.js';
import { takeUntilIdle } from '../operators/takeUntilIdle.js';
import { BandwidthMeter } from '../operators/BandwidthMeter.js';
import type { PngEffort } from '../reducers/pngEffort.js';
import type { ReduceImageOptions } from '../reducers/reduceImage.js';
import { createUploader } from '../sinks/createUploader.js';
import type { GatewayRequest } from '../sinks/GatewayRequest.js';
import type { GatewayResponse } from '../sinks/GatewayResponse.js';
import { rescanDirectory } from '../sources/rescanDirectory.js';
import { mtimeGranularityMs } from '../sources/settleRule.js';
import { watchDirectory, type WatchDirectoryOptions } from '../sources/watchDirectory.js';
import type { Ledger } from '../state/Ledger.js';
import { finiteNumberAtLeast, integerAtLeast, nonEmptyString, objectOption } from '../validation.js';
import { createDelivery, type Delivery } from './createDelivery.js';
import { ledgerEvents } from './ledgerEvents.js';
import { openSpool, type Spool } from './openSpool.js';
import { isFatalStatus, isReducibleImage, measuringUplink } from './runAgentInternals.js';

/** Options for {@link runAgent}. */
export interface RunAgentOptions {
  /** The folder to watch (recursively). */
  readonly path: string;
  /** Extensions to send, with or without the dot. @default every file */
  readonly include?: readonly string[];
  /** Watcher settings other than `include`. @default watchDirectory's defaults */
  readonly watch?: Omit<WatchDirectoryOptions, 'include'>;
  /** The gateway: `host:port` or an http(s) URL; not used with `upload`. */
  readonly host?: string;
  /** Basic-auth user name; not used with `upload`. */
  readonly username?: string;
  /** Basic-auth password; never logged; not used with `upload`. */
  readonly password?: string;
  /**
   * Stores one file somewhere other than a HASTE gateway (e.g. `createNatsUploader`), in place
   * of the gateway's uploader; it gets the same ledger, retries, bandwidth estimate and schedule.
   * @default createUploader with `host`, `username`, `password`, `tag`, `streamId` and `post`
   */
  readonly upload?: (job: UploadJob) => Observable<UploadResult | GatewayError>;
  /** The gateway tag. @default 'vironova' */
  readonly tag?: string;
  /** The stream id. @default the start time and the tag, as `streamId` formats them */
  readonly streamId?: string;
  /** How to choose what to reduce and what to upload. @default 'adaptive' */
  readonly strategy?: PrioritizeStrategy;
  /** Reductions in flight at once, each on its own worker thread. @default 1 */
  readonly cores?: number;
  /** Uploads in flight at once. @default 2 */
  readonly uploadSlots?: number;
  /**
   * Reduce `.png`/`.tif` files locally when the strategy finds it worth it; false sends every
   * file as it is.
   * @default true
   */
  readonly reduce?: boolean;
  /** Settings of the image reducer. @default reduceImage's defaults, spool under the state dir */
  readonly reducer?: ReduceImageOptions;
  /**
   * The image reducer's PNG setting: `auto` chooses per file from the reductions measured in
   * this run and the uplink's measured bandwidth (see `choosePngEffort`); a name fixes it.
   * @default 'auto', unless `reducer` names a setting or libvips' settings
   */
  readonly pngEffort?: PngEffort | 'auto';
  /**
   * Replaces the image reducer (for other kinds of data); called only for files it should try.
   * @default a worker pool running reduceImage on .png/.tif files
   */
  readonly reduceFile?: (item: FileItem) => Observable<Reduction>;
  /** True scores for the `oracle` strategy, by arrival index. */
  readonly oracleScores?: ReadonlyMap<number, number> | ((item: FileItem) => number);
  /** Uplink rate (bytes/s) `adaptive` assumes before its first upload. @default unknown */
  readonly initialBandwidth?: number;
  /** Sends one request; tests and benchmarks replace it. @default node-fetch, streamed from disk */
  readonly post?: (request: GatewayRequest) => Observable<GatewayResponse>;
  /** Backoff for network errors, 408, 429 and 5xx. @default base 500 ms, cap 30 s, no limit */
  readonly retry?: { readonly baseMs?: number; readonly capMs?: number; readonly maxRetries?: number };
  /** Durable record of every file; without it a restart sends everything again. @default none */
  readonly ledger?: Ledger;
  /** Send files the ledger says were acknowledged already. @default false */
  readonly resend?: boolean;
  /**
   * Files taken into the schedule and not yet sent, at most: the strategy chooses among these;
   * the others wait in arrival order, costing little memory, and once as many wait, the
   * watcher's first scan of the folder holds off (`holdScan`), so a backlog of any size waits
   * on disk. @default 4096
   */
  readonly admitAhead?: number;
  /** Delete each original once the gateway acknowledged it. @default false */
  readonly deleteAfterUpload?: boolean;
  /**
   * Milliseconds between walks of the folder that catch files whose watcher event was lost, the
   * first this long after the watcher's first scan is done; 0 turns them off. Files found twice
   * (by the watcher and a walk) are taken once. A walk takes every settled file at any depth,
   * including those `watch.ignoreInitial` or `watch.depth` left out; turn walks off to keep
   * such files out.
   * @default 30000
   */
  readonly rescanIntervalMs?: number;
  /** When it emits, no new files are taken; the run completes once the ones taken are done. @default never */
  readonly stop?: Observable<unknown>;
  /**
   * Batch mode: once the watcher's first scan of the folder is done, stop taking new files when
   * none has been found for this many milliseconds, and complete once the files taken are done.
   * The wait is at least the settle time plus 2 s (plus the poll interval when polling), so the
   * files already in the folder, even ones still being written, are taken first; 0 therefore
   * means "what is in the folder now". A file still being written when the wait runs out is
   * left for the next run. @default undefined (the run goes on until `stop` or `halt`)
   */
  readonly idleExitMs?: number;
  /**
   * When it emits, nothing new starts: reductions and uploads in flight finish, then the run
   * completes; files not yet started stay pending in the ledger (a shutdown). @default never
   */
  readonly halt?: Observable<unknown>;
  /** Clock for event times and backoff waits. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

/**
 * How old a file's mtime must be before a walk takes it: never younger than the watcher's
 * settle time (plus FAT's 2 s mtime rounding), or a walk would take a file the watcher still
 * waits on, with a writer paused mid-file.
 */
function rescanMinAgeMs(watch: RunAgentOptions['watch']): number {
  const setting = watch?.awaitWriteFinish;
  const settleMs = setting === false ? 0 : typeof setting === 'object' ? (setting.stabilityThreshold ?? 500) : 500;
  return settleMs + mtimeGranularityMs;
}

/** The quiet time after which a batch run stops taking files: `idleExitMs`, but never before files present at start have settled. */
function batchIdleMs(options: RunAgentOptions, idleExitMs: number): number {
  const pollMs = options.watch?.usePolling === true ? (options.watch.interval ?? 100) : 0;
  return Math.max(idleExitMs, rescanMinAgeMs(options.watch) + pollMs);
}

/**
 * Runs the whole agent: watch a folder, schedule each file onto the local cores and the uplink,
 * and post it to a HASTE gateway, reporting every step as an {@link AgentEvent}.
 *
 * A short composition of the library's own pieces: `watchDirectory` and `rescanDirectory` →
 * `createDelivery`'s `admit` → `scheduleFiles` (the priority merge with its two branches), whose
 * reducer (`openSpool`'s workers) and upload (`createUploader` in `retryUploads`) are wrapped by
 * the delivery's `reduceWith` and `uploadWith`; a custom pipeline can use the same pieces and
 * gets the same guarantees. A periodic walk of the folder (`rescanIntervalMs`) backs up the
 * watcher, and each version (path, size, mtime) is taken once.
 * Every upload carries `X-HASTE-content-sha256`, the hash of the bytes sent, so a gateway can
 * drop a repeat. With a `ledger`, files an earlier run delivered are skipped, pending entries
 * whose file is gone are failed for good, every state change is made durable before the next
 * step, and a file is acknowledged only after the gateway's 2xx. A file that changes while it
 * is being sent is recorded as failed (its new version is sent when it settles). A 401, 403 or
 * 412 ends the run with that `GatewayError`: nothing else could succeed, and the ledger keeps
 * the file pending. A ledger that cannot write its state dir (disk full, I/O errors) pauses the
 * run rather than ending it: see {@link ledgerEvents}.
 *
 * ```text
 * folder:   -a--b-----c------  (stop)--
 * events:   -s--s-r-u-s-U-U-...---U|     s seen, r reduce, u upload-start, U uploaded
 * ```
 *
 * @example
 * ```ts
 * declare const username: string, password: string;
 * runAgent({ path: '/data/run1', include: ['png'], host: 'gateway:8080', username, password })
 *   .subscribe((event) => console.log(formatLogLine(event, 'human')));
 * ```
 *
 * @param options Where to watch, where to send, and how to schedule.
 * @returns The agent's events; completes after `stop` once every taken file is done.
 */
export function runAgent(options: RunAgentOptions): Observable<AgentEvent> {
  const settings = normalise(options);
  const { scheduler, ledger } = settings;
  // Built eagerly so that a bad host, tag or credential shape is reported before anything runs.
  const uploadOnce = options.upload ?? createUploader({
    host: options.host as string,
    username: options.username as string,
    password: options.password as string,
    ...(options.tag === undefined ? {} : { tag: options.tag }),
    ...(options.streamId === undefined ? {} : { streamId: options.streamId }),
    ...(options.post === undefined ? {} : { post: options.post }),
    scheduler,
  });

  return defer(() => {
    const delivery = createDelivery({
      ...(ledger === undefined ? {} : { ledger }),
      resend: options.resend ?? false,
      ...(options.admitAhead === undefined ? {} : { admitAhead: options.admitAhead }),
      deleteAfterUpload: options.deleteAfterUpload ?? false,
      reducer: { name: options.reduceFile === undefined ? 'reduceImage' : 'custom', settings: { ...options.reducer, spoolDir: undefined } },
      scheduler,
    });
    let spool: Spool | undefined;
    // The link's rate as the uploads show it: on each `uploaded` event (status, ETA) and what
    // the PNG setting is chosen against. The schedule keeps its own estimate.
    const uplink = new BandwidthMeter<string>(5000);
    const start = async (): Promise<void> => {
      if (settings.cores > 0 && options.reduceFile === undefined) {
        spool = await openSpool({
          cores: settings.cores,
          ...(options.reducer === undefined ? {} : { reducer: options.reducer }),
          ...(ledger === undefined ? {} : { ledger }),
          ...pngEffortOf(options),
          bandwidth: () => uplink.rate(scheduler.now()) ?? options.initialBandwidth,
          // Only images to come (`include`): the threads start now. Otherwise with the first image
          // noticed, while it is still being written, and a stream with none never pays for them.
          warmAtOpen: onlyImages(options.include),
        });
      }
      await delivery.forgetVanished();
    };
    let warmed = false;
    const noticed = (path: string): void => {
      if (warmed || spool === undefined || !isReducibleImage(path)) return;
      warmed = true;
      spool.warm();
    };
    const scanned = new Subject<void>();
    const work$ = from(start()).pipe(
      switchMap(() => foundFiles(options, settings, { scanned, backlogged: delivery.backlogged$, noticed })),
      settings.idleExitMs === undefined ? identity : takeUntilIdle({ idleMs: batchIdleMs(options, settings.idleExitMs), ready: scanned, scheduler }),
      takeUntil(options.stop ?? NEVER),
      delivery.admit,
      scheduleFiles({
        strategy: settings.strategy,
        cores: settings.cores,
        uploadSlots: settings.uploadSlots,
        reduce: delivery.reduceWith(options.reduceFile ?? ((item: FileItem) => spool!.reduce(item))),
        upload: delivery.uploadWith(retrying(uploadOnce, options, delivery, scheduler)),
        scheduler,
        ...(options.oracleScores === undefined ? {} : { oracleScores: options.oracleScores }),
        ...(options.initialBandwidth === undefined ? {} : { initialBandwidth: options.initialBandwidth }),
        ...(options.halt === undefined ? {} : { halt: options.halt }),
      }),
      map(measuringUplink(uplink)),
      tap(endOnFatalStatus),
      finalize(() => delivery.complete()),
    );
    // A damaged ledger is reported first; a state dir that cannot be written, while it lasts.
    const ledgerNews$ =
      ledger === undefined ? EMPTY : ledgerEvents(ledger, () => scheduler.now()).pipe(takeUntil(delivery.events$.pipe(ignoreElements(), endWith(null))));
    return merge(delivery.events$, ledgerNews$, work$).pipe(finalize(() => void spool?.close().catch(() => undefined)));
  });
}

/** Whether `include` lets nothing but images the reducer knows through (watchDirectory checks its entries). */
function onlyImages(include: readonly string[] | undefined): boolean {
  return (
    Array.isArray(include) &&
    include.length > 0 &&
    include.every((extension) => typeof extension === 'string' && isReducibleImage(`file${extension.startsWith('.') ? '' : '.'}${extension}`))
  );
}

/** `auto` unless the reducer's own settings fix the PNG encoder. */
function pngEffortOf(options: RunAgentOptions): { pngEffort?: PngEffort | 'auto' } {
  if (options.pngEffort !== undefined) return { pngEffort: options.pngEffort };
  const { pngEffort, compressionLevel, adaptiveFiltering } = options.reducer ?? {};
  return pngEffort === undefined && compressionLevel === undefined && adaptiveFiltering === undefined ? { pngEffort: 'auto' } : {};
}

/** The options runAgent checks at the call, with their defaults. */
function normalise(options: RunAgentOptions) {
  objectOption('options', options);
  nonEmptyString('path', options.path);
  const strategy = options.strategy ?? 'adaptive';
  const reduceEnabled = (options.reduce ?? true) && strategy !== 'none';
  return {
    strategy,
    cores: reduceEnabled ? integerAtLeast('cores', options.cores ?? 1, 1) : 0,
    uploadSlots: integerAtLeast('uploadSlots', options.uploadSlots ?? 2, 1),
    rescanIntervalMs: integerAtLeast('rescanIntervalMs', options.rescanIntervalMs ?? 30_000, 0),
    idleExitMs: options.idleExitMs === undefined ? undefined : finiteNumberAtLeast('idleExitMs', options.idleExitMs, 0),
    ledger: options.ledger,
    scheduler: options.scheduler ?? asyncScheduler,
  };
}

/**
 * The watcher's files, and the periodic walks that catch what its events missed, the first one
 * interval after the watcher's first scan is done (`scanned` emits then). The scan is held
 * while `backlogged` says enough files wait; `noticed` hears each file the watcher notices,
 * before it settles.
 */
function foundFiles(
  options: RunAgentOptions,
  settings: { readonly rescanIntervalMs: number; readonly scheduler: SchedulerLike },
  hooks: { readonly scanned: Subject<void>; readonly backlogged: Observable<boolean>; readonly noticed: (path: string) => void },
): Observable<FileItem> {
  const { scanned, backlogged } = hooks;
  const include = options.include === undefined ? {} : { include: options.include };
  const { rescanIntervalMs, scheduler } = settings;
  const onReady = (): void => {
    options.watch?.onReady?.();
    scanned.next();
  };
  const onNoticed = (path: string): void => {
    options.watch?.onNoticed?.(path);
    hooks.noticed(path);
  };
  // The walks are subscribed first, so they hear the watcher's first scan end however soon it does.
  return merge(
    rescanIntervalMs === 0
      ? EMPTY
      : rescanDirectory(options.path, {
          ...include,
          intervalMs: rescanIntervalMs,
          minAgeMs: rescanMinAgeMs(options.watch),
          // A walk beside the first scan would go over the same files again (on a million, minutes of it).
          startAfter: scanned,
          scheduler,
        }).pipe(
          // A walk finds what the ledger has delivered again and again: not news, so not an event.
          filter((item) => !isDelivered(options.ledger, item)),
        ),
    // The first scan waits while enough files wait for admission: a backlog of any size stays on disk.
    watchDirectory(options.path, { holdScan: backlogged, ...options.watch, ...include, onReady, onNoticed }),
  );
}

/** Whether the ledger has this very file (device, inode, size, mtime) acknowledged. */
function isDelivered(ledger: Ledger | undefined, item: FileItem): boolean {
  return ledger?.findUnchanged(item)?.state === 'acknowledged';
}

/** The upload with the retry policy, each retry reported as an event. */
function retrying(
  upload: (job: UploadJob) => Observable<UploadResult | GatewayError>,
  options: RunAgentOptions,
  delivery: Delivery,
  scheduler: SchedulerLike,
): (job: UploadJob) => Observable<UploadResult | GatewayError> {
  return retryUploads({
    upload,
    scheduler,
    ...(options.retry?.baseMs === undefined ? {} : { baseMs: options.retry.baseMs }),
    ...(options.retry?.capMs === undefined ? {} : { capMs: options.retry.capMs }),
    ...(options.retry?.maxRetries === undefined ? {} : { maxRetries: options.retry.maxRetries }),
    onRetry: (info) =>
      delivery.report({ type: 'retried', at: scheduler.now(), path: info.job.item.path, attempt: info.attempt, delayMs: info.delayMs, error: info.error.message }),
  });
}

/** 401, 403 and 412 end the run: nothing else could succeed until a person changes something. */
function endOnFatalStatus(event: AgentEvent): void {
  if (event.type === 'failed' && isFatalStatus(event.status)) {
    throw new GatewayError(event.error, { status: event.status, path: event.path });
  }
}

