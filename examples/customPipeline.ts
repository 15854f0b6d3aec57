/**
 * A custom pipeline: watch a folder of instrument logs (CSV), gzip the ones worth it on a
 * worker-free reducer of our own, and post them to a HASTE gateway: the priority merge, its two
 * branches and the loop that feeds their outcomes back, composed by hand, with our own uplink
 * figure instead of the measured one. The README's *Library* section shows the region marked
 * `pipeline`, and a test checks that it still does.
 *
 * Run it with `npx tsx examples/customPipeline.ts <folder> <host:port> <username>` and
 * HASTE_PASSWORD set; the test in test/examples runs it against the embedded gateway.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { defer, of, Subject, tap, type Observable, type Subscription } from 'rxjs';
import {
  createUploader,
  postToGateway,
  prioritize,
  reduceLocally,
  retryUploads,
  routeDecisions,
  watchDirectory,
  type FileItem,
  type Reduction,
  type ScheduleOutcome,
} from '../src/index.js';

/** A user reducer: gzip one file into `spoolDir`, measuring its CPU time. */
export function gzipInto(spoolDir: string): (item: FileItem) => Observable<Reduction> {
  return (item) =>
    defer(async (): Promise<Reduction> => {
      await mkdir(spoolDir, { recursive: true });
      const outputPath = join(spoolDir, `${item.index}-${basename(item.path)}.gz`);
      const cpuBefore = process.cpuUsage();
      await pipeline(createReadStream(item.path), createGzip({ level: 6 }), createWriteStream(outputPath));
      const cpu = process.cpuUsage(cpuBefore);
      const bytesOut = (await stat(outputPath)).size;
      return { item, reduced: bytesOut < item.size, outputPath, bytesIn: item.size, bytesOut, cpuMs: (cpu.user + cpu.system) / 1000 };
    });
}

/** Options for {@link startCustomPipeline}. */
export interface CustomPipelineOptions {
  readonly folder: string;
  readonly host: string;
  readonly username: string;
  readonly password: string;
  readonly spoolDir: string;
  /** Your own figure for the uplink, in bytes/second: here a stream with one value. */
  readonly uplink$: Observable<number>;
  readonly onUploaded?: (path: string, bytes: number) => void;
}

/** Watch → prioritize ⇄ (reduce with gzip | post) with the outcomes fed back; unsubscribe to stop. */
export function startCustomPipeline(options: CustomPipelineOptions): Subscription {
  const { folder, host, username, password, spoolDir, uplink$ } = options;
  const onUploaded = options.onUploaded ?? (() => undefined);
  // #region pipeline
  const upload = retryUploads({ upload: createUploader({ host, username, password, tag: 'vironova' }) });
  const outcomes$ = new Subject<ScheduleOutcome>(); // the feedback loop: what the branches did
  const subscription = watchDirectory(folder, { include: ['csv'] })
    .pipe(
      // The priority merge: releases a file to a branch only when that branch has a free slot.
      prioritize({ strategy: 'adaptive', cores: 1, uploadSlots: 1, outcomes: outcomes$, bandwidth: uplink$ }),
      routeDecisions({
        reduce: reduceLocally({ cores: 1, reduce: gzipInto(spoolDir) }), // the local-reduce branch
        upload: postToGateway({ concurrency: 1, upload }), // the direct-upload branch
      }),
      tap((outcome) => outcomes$.next(outcome)), // back into the merge
    )
    .subscribe((outcome) => {
      if (outcome.type === 'upload-end' && !(outcome.result instanceof Error)) onUploaded(outcome.item.path, outcome.result.bytes);
    });
  // #endregion pipeline
  return subscription;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(basename(process.argv[1]))) {
  const [folder, host, username] = process.argv.slice(2);
  if (folder === undefined || host === undefined || username === undefined || process.env.HASTE_PASSWORD === undefined) {
    process.stderr.write('usage: HASTE_PASSWORD=… npx tsx examples/customPipeline.ts <folder> <host:port> <username>\n');
    process.exitCode = 2;
  } else {
    startCustomPipeline({
      folder,
      host,
      username,
      password: process.env.HASTE_PASSWORD,
      spoolDir: join(folder, '..', '.haste-spool'),
      uplink$: of(Number(process.env.UPLINK_BYTES_PER_SECOND ?? 1_000_000)),
      onUploaded: (path, bytes) => process.stdout.write(`sent ${path} (${bytes} bytes)\n`),
    });
  }
}
