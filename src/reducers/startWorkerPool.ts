import type { Worker } from 'node:worker_threads';
import { Observable, type Subscriber } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { messageOf, notReduced, type NormalisedReduceImageOptions } from './reduceImageInternals.js';
import { isPngEffort, PNG_EFFORTS, type PngEffort } from './pngEffort.js';
import type { WorkerRequest, WorkerResponse } from './workerMessages.js';

interface PendingRequest {
  readonly id: number;
  readonly item: FileItem;
  /** Overrides the pool's PNG setting for this file. */
  readonly pngEffort: PngEffort | undefined;
  readonly subscriber: Subscriber<Reduction>;
  /** Unsubscribed while in a worker: the worker cannot be interrupted, so its answer is dropped. */
  dropped: boolean;
}

interface Slot {
  readonly worker: Worker;
  current?: PendingRequest;
  dead: boolean;
}

/** The pool's state: its workers, the requests waiting for one, and how to start another. */
interface Pool {
  readonly size: number;
  readonly options: NormalisedReduceImageOptions;
  readonly spawn: () => Worker;
  readonly slots: Slot[];
  readonly queue: PendingRequest[];
  nextId: number;
  closed: boolean;
}

function startSlot(pool: Pool): Slot {
  const slot: Slot = { worker: pool.spawn(), dead: false };
  // An idle worker must not keep the process alive; a busy one must, or a script whose
  // only pending work is a reduction would exit before the answer arrives.
  slot.worker.unref();
  slot.worker.on('message', (response: WorkerResponse) => finish(pool, slot, response));
  slot.worker.on('error', (error) => crash(pool, slot, `Reducer worker crashed: ${messageOf(error)}`));
  slot.worker.on('exit', (code) => crash(pool, slot, `Reducer worker exited with code ${code}`));
  pool.slots.push(slot);
  return slot;
}

/** Hands queued requests to idle workers, starting workers up to `size` while there is work. */
function pump(pool: Pool): void {
  const { slots, queue } = pool;
  while (!pool.closed && queue.length > 0) {
    let slot = slots.find((s) => s.current === undefined);
    if (slot === undefined && slots.length < pool.size) {
      try {
        slot = startSlot(pool);
      } catch (error) {
        // Without a thread the file can still go up raw; the next request tries again.
        const request = queue.shift()!;
        request.subscriber.next(
          notReduced(request.item, request.item.size, 0, `Cannot start reducer worker: ${messageOf(error)}`),
        );
        request.subscriber.complete();
        continue;
      }
    }
    if (slot === undefined) return;
    const request = queue.shift()!;
    slot.current = request;
    slot.worker.ref();
    const { tolerance, spoolDir } = pool.options;
    const options: NormalisedReduceImageOptions =
      request.pngEffort === undefined ? pool.options : { tolerance, spoolDir, pngEffort: request.pngEffort };
    const message: WorkerRequest = { id: request.id, item: request.item, options };
    slot.worker.postMessage(message);
  }
}

function finish(pool: Pool, slot: Slot, response: WorkerResponse): void {
  const request = slot.current;
  if (request === undefined || request.id !== response.id) return;
  slot.current = undefined;
  slot.worker.unref();
  if (!request.dropped) {
    if ('error' in response) {
      request.subscriber.error(new Error(response.error));
    } else {
      request.subscriber.next(response.reduction);
      request.subscriber.complete();
    }
  }
  pump(pool);
}

// 'error' is followed by 'exit'; only the first one counts.
function crash(pool: Pool, slot: Slot, reason: string): void {
  if (slot.dead) return;
  slot.dead = true;
  pool.slots.splice(pool.slots.indexOf(slot), 1);
  void slot.worker.terminate().catch(() => undefined);
  const request = slot.current;
  slot.current = undefined;
  if (request !== undefined && !request.dropped) {
    // The file itself may be what killed the worker, so it is not retried: it goes up raw.
    request.subscriber.next(notReduced(request.item, request.item.size, 0, reason));
    request.subscriber.complete();
  }
  // A replacement is started only when there is work for it.
  pump(pool);
}

function reduceOn(pool: Pool, item: FileItem, pngEffort: PngEffort | undefined): Observable<Reduction> {
  if (pngEffort !== undefined && !isPngEffort(pngEffort)) {
    throw new TypeError(`Expected \`pngEffort\` to be one of ${PNG_EFFORTS.join(', ')}, got ${String(pngEffort)}`);
  }
  return new Observable<Reduction>((subscriber) => {
    if (pool.closed) {
      subscriber.error(new Error('Worker pool is closed'));
      return undefined;
    }
    const request: PendingRequest = { id: pool.nextId++, item, pngEffort, subscriber, dropped: false };
    pool.queue.push(request);
    pump(pool);
    return () => {
      const queued = pool.queue.indexOf(request);
      if (queued >= 0) pool.queue.splice(queued, 1);
      else request.dropped = true;
    };
  });
}

async function closePool(pool: Pool): Promise<void> {
  if (pool.closed) return;
  pool.closed = true;
  const abandoned = [...pool.queue, ...pool.slots.flatMap((s) => (s.current ? [s.current] : []))];
  pool.queue.length = 0;
  const stopping = pool.slots.splice(0).map((slot) => {
    slot.dead = true;
    slot.current = undefined;
    return slot.worker.terminate();
  });
  for (const request of abandoned) {
    if (!request.dropped) request.subscriber.error(new Error('Worker pool is closed'));
  }
  await Promise.all(stopping);
}

/**
 * The pool's scheduling, separated from how workers are started so tests can hand it workers
 * that crash on purpose.
 */
export function startWorkerPool(
  size: number,
  options: NormalisedReduceImageOptions,
  spawn: () => Worker,
): { reduce(item: FileItem, pngEffort?: PngEffort): Observable<Reduction>; close(): Promise<void> } {
  const pool: Pool = { size, options, spawn, slots: [], queue: [], nextId: 0, closed: false };
  return {
    reduce: (item, pngEffort) => reduceOn(pool, item, pngEffort),
    close: () => closePool(pool),
  };
}
