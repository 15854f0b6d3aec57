import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Observable } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { startWorkerPool } from './startWorkerPool.js';
import type { ReduceImageOptions } from './reduceImage.js';
import type { PngEffort } from './pngEffort.js';
import { normaliseReduceImageOptions } from './reduceImageInternals.js';
import { integerAtLeast } from '../validation.js';

/** Options for {@link createWorkerPool}. */
export interface CreateWorkerPoolOptions {
  /**
   * Number of worker threads, each reducing one file at a time on one core.
   * @default 1
   */
  readonly size?: number;
  /**
   * Tolerance, spool folder and PNG settings passed to every reduction.
   * @default {}
   */
  readonly reducerOptions?: ReduceImageOptions;
}

/** A running pool of reducer threads. */
export interface WorkerPool {
  /**
   * A cold Observable that, on subscribe, queues `item` for the next free worker and emits its
   * Reduction once, then completes. Unsubscribing before a worker takes the item removes it
   * from the queue; unsubscribing later lets the worker finish and drops the answer.
   * `pngEffort`, when given, replaces the pool's PNG settings for this file (as the agent's
   * per-stream choice does); an unknown name throws a TypeError at the call.
   */
  reduce(item: FileItem, pngEffort?: PngEffort): Observable<Reduction>;
  /** Terminates every worker; pending reductions error. Resolves when all threads have ended. */
  close(): Promise<void>;
}

/**
 * Starts a fixed-size pool of worker threads that run {@link reduceImage} off the main thread.
 *
 * Workers start on demand, up to `size`; further requests wait in a FIFO queue. A worker that
 * crashes is replaced, and the file it was working on comes back as `reduced: false` with the
 * reason, so one poisonous file cannot stall the stream. Idle workers are unref'd, so the pool
 * never keeps the process alive on its own; call `close()` when done anyway.
 *
 * ```
 * reduce(a), reduce(b), reduce(c) with size 2:
 * worker 1: [---a---][--c--]
 * worker 2: [----b----]
 * ```
 *
 * ```ts
 * declare const spoolDir: string, item: FileItem;
 * const pool = createWorkerPool({ size: 2, reducerOptions: { spoolDir } });
 * pool.reduce(item).subscribe((reduction) => console.log(reduction.bytesOut));
 * await pool.close();
 * ```
 *
 * @param options Pool size and reducer options, validated immediately.
 * @returns The pool's `reduce` and `close`.
 */
export function createWorkerPool(options: CreateWorkerPoolOptions = {}): WorkerPool {
  const { size = 1, reducerOptions } = options;
  integerAtLeast('size', size, 1);
  return startWorkerPool(size, normaliseReduceImageOptions(reducerOptions), spawnReduceWorker);
}

function spawnReduceWorker(): Worker {
  loadSharpHere();
  if (import.meta.url.endsWith('.ts')) {
    // Running from source under tsx (tests, benchmarks): a fresh thread knows nothing of the
    // parent's loader, so register tsx inside it before importing the TypeScript entry point.
    const workerUrl = new URL('./reduceWorker.ts', import.meta.url).href;
    const shim =
      `import(${JSON.stringify(tsxEsmApiUrl())})` +
      `.then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); });`;
    return new Worker(shim, { eval: true });
  }
  return new Worker(new URL('./reduceWorker.js', import.meta.url));
}

let sharpLoaded = false;

/**
 * On glibc Linux, libvips must be loaded by the main thread before any worker loads it, or its
 * shared libraries can be unloaded under a still-running worker when that worker exits. Loaded
 * with the first worker rather than with this module: libvips costs the process ~20 MB of RSS,
 * which a process that never starts a reducer thread (an agent run with `--no-reduce`, the
 * gateway, `status`) need not pay.
 */
function loadSharpHere(): void {
  if (sharpLoaded) return;
  createRequire(import.meta.url)('sharp');
  sharpLoaded = true;
}

/**
 * Where `import('tsx/esm/api')` would lead, worked out in this thread: an eval'd worker resolves
 * bare names from the working directory, import.meta.resolve is missing when tsx loads this
 * file as CommonJS (as under mocha), and require.resolve picks tsx's CommonJS build, whose
 * register() cannot find its loader. So read the ESM entry from tsx's own exports map.
 */
function tsxEsmApiUrl(): string {
  const requireHere = createRequire(import.meta.url);
  const manifestPath = requireHere.resolve('tsx/package.json');
  const manifest = requireHere(manifestPath) as {
    exports: Record<string, { import: { default: string } }>;
  };
  return pathToFileURL(path.join(path.dirname(manifestPath), manifest.exports['./esm/api']!.import.default)).href;
}
