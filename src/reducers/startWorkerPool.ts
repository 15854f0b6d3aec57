import type { Worker } from 'node:worker_threads';
import { Observable, type Subscriber } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { messageOf, notReduced, type NormalisedReduceImageOptions } from './reduceImageInternals.js';
import type { WorkerRequest, WorkerResponse } from './workerMessages.js';

interface PendingRequest {
  readonly id: number;
  readonly item: FileItem;
  readonly subscriber: Subscriber<Reduction>;
  /** Unsubscribed while in a worker: the worker cannot be interrupted, so its answer is dropped. */
  dropped: boolean;
}

interface Slot {
  readonly worker: Worker;
  current?: PendingRequest;
  dead: boolean;
}

/**
 * The pool's scheduling, separated from how workers are started so tests can hand it workers
 * that crash on purpose.
 */
export function startWorkerPool(
  size: number,
  options: NormalisedReduceImageOptions,
  spawn: () => Worker,
): { reduce(item: FileItem): Observable<Reduction>; close(): Promise<void> } {
  const slots: Slot[] = [];
  const queue: PendingRequest[] = [];
  let nextId = 0;
  let closed = false;

  const startSlot = (): Slot => {
    const slot: Slot = { worker: spawn(), dead: false };
    // An idle worker must not keep the process alive; a busy one must, or a script whose
    // only pending work is a reduction would exit before the answer arrives.
    slot.worker.unref();
    slot.worker.on('message', (response: WorkerResponse) => finish(slot, response));
    slot.worker.on('error', (error) => crash(slot, `Reducer worker crashed: ${messageOf(error)}`));
    slot.worker.on('exit', (code) => crash(slot, `Reducer worker exited with code ${code}`));
    slots.push(slot);
    return slot;
  };

  const pump = (): void => {
    while (!closed && queue.length > 0) {
      let slot = slots.find((s) => s.current === undefined);
      if (slot === undefined && slots.length < size) {
        try {
          slot = startSlot();
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
      const message: WorkerRequest = { id: request.id, item: request.item, options };
      slot.worker.postMessage(message);
    }
  };

  const finish = (slot: Slot, response: WorkerResponse): void => {
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
    pump();
  };

  // 'error' is followed by 'exit'; only the first one counts.
  const crash = (slot: Slot, reason: string): void => {
    if (slot.dead) return;
    slot.dead = true;
    slots.splice(slots.indexOf(slot), 1);
    void slot.worker.terminate().catch(() => undefined);
    const request = slot.current;
    slot.current = undefined;
    if (request !== undefined && !request.dropped) {
      // The file itself may be what killed the worker, so it is not retried: it goes up raw.
      request.subscriber.next(notReduced(request.item, request.item.size, 0, reason));
      request.subscriber.complete();
    }
    // A replacement is started only when there is work for it.
    pump();
  };

  const reduce = (item: FileItem): Observable<Reduction> =>
    new Observable<Reduction>((subscriber) => {
      if (closed) {
        subscriber.error(new Error('Worker pool is closed'));
        return undefined;
      }
      const request: PendingRequest = { id: nextId++, item, subscriber, dropped: false };
      queue.push(request);
      pump();
      return () => {
        const queued = queue.indexOf(request);
        if (queued >= 0) queue.splice(queued, 1);
        else request.dropped = true;
      };
    });

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    const abandoned = [...queue, ...slots.flatMap((s) => (s.current ? [s.current] : []))];
    queue.length = 0;
    const stopping = slots.splice(0).map((slot) => {
      slot.dead = true;
      slot.current = undefined;
      return slot.worker.terminate();
    });
    for (const request of abandoned) {
      if (!request.dropped) request.subscriber.error(new Error('Worker pool is closed'));
    }
    await Promise.all(stopping);
  };

  return { reduce, close };
}
