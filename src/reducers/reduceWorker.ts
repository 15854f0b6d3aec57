/**
 * Worker-thread entry point of the reducer pool: answers each {@link WorkerRequest} with the
 * Reduction from {@link reduceImage}, one request at a time.
 *
 * libvips is limited to one thread here so that the wall time reduceImage measures is the CPU
 * time of one core (Node 20 has no per-thread CPU clock), and so that a pool of N workers uses
 * N cores, not N times libvips' default thread count.
 */
import { parentPort } from 'node:worker_threads';
import sharp from 'sharp';
import type { WorkerRequest, WorkerResponse } from './workerMessages.js';
import { reduceImage } from './reduceImage.js';
import { messageOf } from './reduceImageInternals.js';

sharp.concurrency(1);
// Every file is decoded once; caching operations would only hold memory.
sharp.cache(false);

const port = parentPort;
if (port === null) {
  throw new Error('reduceWorker must be started as a worker thread');
}

port.on('message', (request: WorkerRequest) => {
  reduceImage(request.item, request.options).then(
    (reduction) => port.postMessage({ id: request.id, reduction } satisfies WorkerResponse),
    (error: unknown) => port.postMessage({ id: request.id, error: messageOf(error) } satisfies WorkerResponse),
  );
});
