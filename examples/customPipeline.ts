/**
 * A custom pipeline: watch a folder of instrument logs (CSV), gzip the ones worth it on a
 * worker-free reducer of our own, and post them to a HASTE gateway, scheduled by `prioritize`.
 *
 * Run it with `npx tsx examples/customPipeline.ts <folder> <host:port> <username>` and
 * HASTE_PASSWORD set; the test in test/examples runs it against the embedded gateway.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { defer, filter, type Observable, type Subscription } from 'rxjs';
import { createUploader, prioritize, retryUploads, watchDirectory, type FileItem, type Reduction } from '../src/index.js';

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
  readonly onUploaded?: (path: string, bytes: number) => void;
}

/** Watch → prioritize (with the gzip reducer) → post; unsubscribe to stop. */
export function startCustomPipeline(options: CustomPipelineOptions): Subscription {
  const upload = retryUploads({
    upload: createUploader({ host: options.host, username: options.username, password: options.password, tag: 'vironova' }),
  });
  return watchDirectory(options.folder, { include: ['csv'] })
    .pipe(
      prioritize({ strategy: 'splines', cores: 1, uploadSlots: 1, reduce: gzipInto(options.spoolDir), upload }),
      filter((event) => event.type === 'upload-end'),
    )
    .subscribe((event) => {
      if (event.type === 'upload-end' && !(event.result instanceof Error)) options.onUploaded?.(event.item.path, event.result.bytes);
    });
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
      onUploaded: (path, bytes) => process.stdout.write(`sent ${path} (${bytes} bytes)\n`),
    });
  }
}
