import { lstat, mkdir, mkdtemp, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  asyncScheduler,
  concatMap,
  defer,
  EMPTY,
  endWith,
  filter,
  ignoreElements,
  finalize,
  from,
  map,
  merge,
  NEVER,
  Observable,
  of,
  Subject,
  switchMap,
  takeUntil,
  tap,
  type SchedulerLike,
} from 'rxjs';
import { GatewayError } from '../model/GatewayError.js';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
import { scheduleFiles } from '../operators/scheduleFiles.js';
import { retryUploads } from '../operators/retryUploads.js';
import { createWorkerPool } from '../reducers/createWorkerPool.js';
import type { ReduceImageOptions } from '../reducers/reduceImage.js';
import { createUploader } from '../sinks/createUploader.js';
import type { GatewayRequest } from '../sinks/GatewayRequest.js';
import type { GatewayResponse } from '../sinks/GatewayResponse.js';
import { rescanDirectory } from '../sources/rescanDirectory.js';
import { watchDirectory, type WatchDirectoryOptions } from '../sources/watchDirectory.js';
import type { Ledger } from '../state/Ledger.js';
import { hashFile } from '../state/hashFile.js';
import { isFatalStatus, isReducibleImage, toAgentEvent, versionKey } from './runAgentInternals.js';
import { ledgerEvents } from './ledgerEvents.js';
import { notReduced } from '../reducers/reduceImageInternals.js';

/** Options for {@link runAgent}. */
export interface RunAgentOptions {
  /** The folder to watch (recursively). */
  readonly path: string;
  /** Extensions to send, with or without the dot. @default every file */
  readonly include?: readonly string[];
  /** Watcher settings other than `include`. @default watchDirectory's defaults */
  readonly watch?: Omit<WatchDirectoryOptions, 'include'>;
  /** The gateway: `host:port` or an http(s) URL. */
  readonly host: string;
  /** Basic-auth user name. */
  readonly username: string;
  /** Basic-auth password; never logged. */
  readonly password: string;
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
  /** Delete each original once the gateway acknowledged it. @default false */
  readonly deleteAfterUpload?: boolean;
  /**
   * Milliseconds between full walks of the folder that catch files whose watcher event was lost;
   * 0 turns them off. Files found twice (by the watcher and a walk) are taken once. A walk takes
   * every settled file at any depth, including those `watch.ignoreInitial` or `watch.depth`
   * left out; turn walks off to keep such files out.
   * @default 30000
   */
  readonly rescanIntervalMs?: number;
  /** When it emits, no new files are taken; the run completes once the ones taken are done. @default never */
  readonly stop?: Observable<unknown>;
  /**
   * When it emits, nothing new starts: reductions and uploads in flight finish, then the run
   * completes; files not yet started stay pending in the ledger (a shutdown). @default never
   */
  readonly halt?: Observable<unknown>;
  /** Clock for event times and backoff waits. @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
}

const localFileCodes = new Set(['ENOENT', 'EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'ELOOP', 'ECHANGED']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function integerAtLeast(name: string, value: number, minimum: number): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new TypeError(`Expected \`${name}\` to be an integer >= ${minimum}, got ${String(value)}`);
  }
  return value;
}

/**
 * How old a file's mtime must be before a walk takes it: never younger than the watcher's
 * settle time (plus FAT's 2 s mtime rounding), or a walk would take a file the watcher still
 * waits on, with a writer paused mid-file.
 */
function rescanMinAgeMs(watch: RunAgentOptions['watch']): number {
  const setting = watch?.awaitWriteFinish;
  const settleMs = setting === false ? 0 : typeof setting === 'object' ? (setting.stabilityThreshold ?? 500) : 500;
  return Math.max(2000, settleMs + 2000);
}

/**
 * Runs the whole agent: watch a folder, schedule each file onto the local cores and the uplink,
 * and post it to a HASTE gateway, reporting every step as an {@link AgentEvent}.
 *
 * Composes `watchDirectory` → (ledger check) → `prioritize` with the image reducer on worker
 * threads and `createUploader` wrapped in `retryUploads`. A periodic walk of the folder
 * (`rescanIntervalMs`) backs up the watcher, and each version (path, size, mtime) is taken once.
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
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`Expected \`options\` to be an object, got ${String(options)}`);
  }
  if (typeof options.path !== 'string' || options.path === '') {
    throw new TypeError(`Expected \`path\` to be a non-empty string, got ${JSON.stringify(options.path)}`);
  }
  const scheduler = options.scheduler ?? asyncScheduler;
  const strategy = options.strategy ?? 'adaptive';
  const reduceEnabled = (options.reduce ?? true) && strategy !== 'none';
  const cores = reduceEnabled ? integerAtLeast('cores', options.cores ?? 1, 1) : 0;
  const uploadSlots = integerAtLeast('uploadSlots', options.uploadSlots ?? 2, 1);
  const { ledger, resend = false, deleteAfterUpload = false } = options;
  const rescanIntervalMs = integerAtLeast('rescanIntervalMs', options.rescanIntervalMs ?? 30_000, 0);
  // Built eagerly so that a bad host, tag or credential shape is reported before anything runs.
  const uploadOnce = createUploader({
    host: options.host,
    username: options.username,
    password: options.password,
    ...(options.tag === undefined ? {} : { tag: options.tag }),
    ...(options.streamId === undefined ? {} : { streamId: options.streamId }),
    ...(options.post === undefined ? {} : { post: options.post }),
    scheduler,
  });

  return defer(() => {
    const side = new Subject<AgentEvent>();
    const hashes = new Map<string, string>();
    const outputHashes = new Map<string, string>();
    // Without a ledger: body hashes started when the body appeared and not waited for there, so
    // the upload usually finds them done. Keyed by version, reduced copies under `copy:`.
    const hashesAhead = new Map<string, Promise<string | undefined>>();
    const hashAhead = (key: string, file: string | FileItem): void => {
      hashesAhead.set(key, hashFile(file).catch(() => undefined));
    };
    const taken = new Set<string>();
    let admitted = 0;
    let spoolDir: string | undefined;
    let ownsSpool = false;
    let pool: ReturnType<typeof createWorkerPool> | undefined;

    const now = (): number => scheduler.now();
    const ledgerKey = (item: FileItem) => {
      const hash = hashes.get(versionKey(item));
      return hash === undefined ? undefined : { path: item.path, size: item.size, mtimeMs: item.mtimeMs, hash };
    };
    const write = (action: (ledger: Ledger) => Promise<unknown>): Observable<unknown> =>
      ledger === undefined ? of(undefined) : from(action(ledger));

    const prepareSpool = async (): Promise<void> => {
      if (!reduceEnabled || options.reduceFile !== undefined) return;
      if (options.reducer?.spoolDir !== undefined) {
        spoolDir = options.reducer.spoolDir;
      } else if (ledger !== undefined) {
        // Spool files of an earlier run were never acknowledged; their originals are pending
        // and will be reduced again, so the leftovers are only clutter.
        spoolDir = join(ledger.dir, 'spool');
        await rm(spoolDir, { recursive: true, force: true });
      } else {
        spoolDir = await mkdtemp(join(tmpdir(), 'haste-agent-spool-'));
        ownsSpool = true;
      }
      await mkdir(spoolDir, { recursive: true });
      pool = createWorkerPool({ size: cores, reducerOptions: { ...options.reducer, spoolDir } });
      // The pool starts a thread only when it is first given a file, and a thread needs a few
      // hundred ms to load sharp: the first files of a run would find the cores cold. Asking
      // each thread for a file that does not exist starts them all now, while the watcher
      // starts; the answer ("cannot read") is dropped, and no event is reported.
      for (let slot = 0; slot < cores; slot += 1) {
        const absent: FileItem = { path: join(spoolDir, `.warm-up-${slot}.png`), size: 0, mtimeMs: 0, index: -1 };
        pool.reduce(absent).subscribe({ error: () => undefined });
      }
    };

    const admitUnhashed = (item: FileItem): FileItem => {
      side.next({ type: 'seen', at: now(), path: item.path, bytes: item.size });
      return { ...item, index: admitted++ };
    };

    const admit = (item: FileItem): Observable<FileItem> => {
      // Without a ledger nothing at admission needs the content hash, so it waits for the upload
      // (see `upload`): hashing here would serialise every arrival behind a full read of the
      // file on the threadpool the reducer and the uploads share, and the scheduler would learn
      // of files late. With a ledger the hash is part of the version's key.
      const book = ledger;
      if (book === undefined) {
        return defer(() => {
          hashAhead(versionKey(item), item);
          return of(admitUnhashed(item));
        });
      }
      return defer(async (): Promise<FileItem[]> => {
        let hash: string;
        try {
          hash = await hashFile(item);
        } catch (error) {
          // Forgotten, so a later event or walk that finds it readable takes it again.
          taken.delete(versionKey(item));
          side.next({ type: 'failed', at: now(), path: item.path, status: 0, error: `Could not read ${item.path}, not sent: ${messageOf(error)}` });
          return [];
        }
        const key = { path: item.path, size: item.size, mtimeMs: item.mtimeMs, hash };
        if (!resend && book.getByKey(key)?.state === 'acknowledged') {
          side.next({ type: 'skipped', at: now(), path: item.path, bytes: item.size, reason: 'acknowledged in an earlier run' });
          return [];
        }
        await book.record({ ...key, state: 'seen', lastError: null });
        hashes.set(versionKey(item), hash);
        return [admitUnhashed(item)];
      }).pipe(concatMap((items) => from(items)));
    };

    const reduce = (item: FileItem): Observable<Reduction> => {
      const key = ledgerKey(item);
      const run = (): Observable<Reduction> => {
        if (options.reduceFile !== undefined) return options.reduceFile(item);
        if (!isReducibleImage(item.path) || pool === undefined) return of(notReduced(item, item.size, 0, 'not an image the reducer knows'));
        return pool.reduce(item);
      };
      return write((l) => (key ? l.transition(key, 'reducing') : Promise.resolve())).pipe(
        switchMap(run),
        tap((reduction) => {
          if (!reduction.reduced || reduction.outputPath === undefined) return;
          // A reducer that hashed the bytes it wrote saves reading the copy back.
          if (reduction.outputSha256 !== undefined) outputHashes.set(versionKey(item), reduction.outputSha256);
          // The core is not held while the copy is read back (unless the ledger needs its hash).
          else if (ledger === undefined) hashAhead(`copy:${versionKey(item)}`, reduction.outputPath);
        }),
        concatMap((reduction) =>
          from(
            ledger !== undefined && reduction.reduced && reduction.outputPath !== undefined && !outputHashes.has(versionKey(item))
              ? hashFile(reduction.outputPath).then((hash) => {
                  outputHashes.set(versionKey(item), hash);
                })
              : Promise.resolve(),
          ).pipe(map(() => reduction)),
        ),
        concatMap((reduction) =>
          write(async (l) => {
            if (key === undefined) return;
            if (!reduction.reduced || reduction.outputPath === undefined) {
              await l.transition(key, 'seen');
              return;
            }
            await l.transition(key, 'reduced', {
              reduction: {
                reducer: options.reduceFile === undefined ? 'reduceImage' : 'custom',
                settings: { ...options.reducer, spoolDir: undefined },
                outputHash: outputHashes.get(versionKey(item)) ?? (await hashFile(reduction.outputPath)),
                bytesSaved: reduction.bytesIn - reduction.bytesOut,
                cpuMs: reduction.cpuMs,
              },
            });
          }).pipe(map(() => reduction)),
        ),
      );
    };

    const retrying = retryUploads({
      upload: uploadOnce,
      scheduler,
      ...(options.retry?.baseMs === undefined ? {} : { baseMs: options.retry.baseMs }),
      ...(options.retry?.capMs === undefined ? {} : { capMs: options.retry.capMs }),
      ...(options.retry?.maxRetries === undefined ? {} : { maxRetries: options.retry.maxRetries }),
      onRetry: (info) =>
        side.next({
          type: 'retried',
          at: now(),
          path: info.job.item.path,
          attempt: info.attempt,
          delayMs: info.delayMs,
          error: info.error.message,
        }),
    });

    const settle = async (job: UploadJob, outcome: UploadResult | GatewayError): Promise<UploadResult | GatewayError> => {
      const { item } = job;
      const key = ledgerKey(item);
      if (outcome instanceof GatewayError) {
        if (key !== undefined && ledger !== undefined) {
          if (isFatalStatus(outcome.status)) {
            // Not the file's fault: it stays pending for a run with the right settings.
            await ledger.transition(key, 'seen', { lastError: outcome.message });
          } else {
            const permanent = localFileCodes.has(errorCode(outcome.cause) ?? '');
            await ledger.transition(key, 'failed', { lastError: outcome.message, permanent });
          }
        }
        return outcome;
      }
      // lstat: a symlink swapped in since is a change too, whatever it points to.
      const now = await lstat(item.path).catch(() => undefined);
      if (
        now === undefined ||
        !now.isFile() ||
        now.size !== item.size ||
        now.mtimeMs !== item.mtimeMs ||
        (item.ino !== undefined && now.ino !== item.ino)
      ) {
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
      if (deleteAfterUpload) {
        await unlink(item.path).catch((error: unknown) => {
          side.next({ type: 'failed', at: scheduler.now(), path: item.path, status: 0, error: `Uploaded, but could not delete it: ${messageOf(error)}` });
        });
      }
      return outcome;
    };

    const upload = (given: UploadJob): Observable<UploadResult | GatewayError> => {
      const key = ledgerKey(given.item);
      const sendsCopy = given.bodyPath !== undefined && given.bodyPath !== given.item.path;
      const body = given.bodyPath ?? given.item.path;
      const version = versionKey(given.item);
      const known = sendsCopy ? outputHashes.get(version) : hashes.get(version);
      const ahead = hashesAhead.get(sendsCopy ? `copy:${version}` : version);
      // A body that cannot be read fails the upload with the fs error as its cause, so an
      // unreadable hash is left out rather than reported twice.
      const bodySha256$: Observable<string | undefined> =
        known !== undefined ? of(known) : ahead !== undefined ? from(ahead) : defer(() => hashFile(body).catch(() => undefined));
      return write((l) => (key ? l.transition(key, 'uploading') : Promise.resolve())).pipe(
        switchMap(() => bodySha256$),
        map((bodySha256): UploadJob => (bodySha256 === undefined ? given : { ...given, bodySha256 })),
        switchMap((job) => retrying(job).pipe(concatMap((outcome) => from(settle(job, outcome))))),
        concatMap(async (outcome) => {
          // This version is done with; a long-running agent must not keep every hash it saw.
          hashes.delete(version);
          outputHashes.delete(version);
          hashesAhead.delete(version);
          hashesAhead.delete(`copy:${version}`);
          // A reduced copy that was not delivered is redone from the original next time.
          if (outcome instanceof GatewayError && sendsCopy) await unlink(body).catch(() => undefined);
          return outcome;
        }),
      );
    };

    const forgetVanished = async (): Promise<void> => {
      if (ledger === undefined) return;
      for (const entry of ledger.pending()) {
        const present = await lstat(entry.path).then(
          () => true,
          (error: unknown) => !['ENOENT', 'ENOTDIR'].includes(errorCode(error) ?? ''),
        );
        if (present) continue;
        const reason = `${entry.path} was pending but no longer exists (removed while the agent was not running); it cannot be sent`;
        await ledger.transition(entry, 'failed', { lastError: reason, permanent: true });
        side.next({ type: 'failed', at: now(), path: entry.path, status: 0, error: reason });
      }
    };

    const include = options.include ? { include: options.include } : {};
    const files$ = merge(
      watchDirectory(options.path, { ...options.watch, ...include }),
      rescanIntervalMs === 0
        ? EMPTY
        : rescanDirectory(options.path, { ...include, intervalMs: rescanIntervalMs, minAgeMs: rescanMinAgeMs(options.watch), scheduler }),
    ).pipe(
      // The watcher and the walks report the same files; each version is taken once.
      filter((item) => {
        const version = versionKey(item);
        if (taken.has(version)) return false;
        taken.add(version);
        return true;
      }),
    );

    const stop$ = options.stop ?? NEVER;
    const work$ = from(prepareSpool().then(forgetVanished)).pipe(
      switchMap(() => files$),
      takeUntil(stop$),
      concatMap(admit),
      scheduleFiles({
        strategy,
        cores,
        uploadSlots,
        reduce,
        upload,
        scheduler,
        ...(options.oracleScores === undefined ? {} : { oracleScores: options.oracleScores }),
        ...(options.initialBandwidth === undefined ? {} : { initialBandwidth: options.initialBandwidth }),
        ...(options.halt === undefined ? {} : { halt: options.halt }),
      }),
      map(toAgentEvent),
      tap((event) => {
        if (event.type === 'failed' && isFatalStatus(event.status)) {
          throw new GatewayError(event.error, { status: event.status, path: event.path });
        }
      }),
      finalize(() => side.complete()),
    );

    // A damaged ledger is reported first; a state dir that cannot be written, while it lasts.
    const ledgerNews$ = ledger === undefined ? EMPTY : ledgerEvents(ledger, now).pipe(takeUntil(side.pipe(ignoreElements(), endWith(null))));
    return merge(side, ledgerNews$, work$).pipe(
      finalize(() => {
        const closing = pool?.close() ?? Promise.resolve();
        void closing.then(() => (ownsSpool && spoolDir ? rm(spoolDir, { recursive: true, force: true }) : undefined)).catch(() => undefined);
      }),
    );
  });
}

