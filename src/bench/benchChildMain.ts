// Entry point of a benchmark child process (see benchChildInternals.ts): the first IPC message
// says whether to run the gateway or the replay. The child ends when the parent disconnects,
// so a parent that dies cannot leave it behind.
import { startGateway } from '../gateway/startGateway.js';
import type { BenchChildMessage, BenchChildRequest } from './benchChildInternals.js';
import { replayDataset } from './replayDataset.js';

const tell = (message: BenchChildMessage): void => {
  if (process.connected) process.send?.(message);
};
// Disconnecting only once the last message is handed over, so the parent gets it.
const tellLast = (message: BenchChildMessage): void => {
  if (!process.connected) return;
  process.send?.(message, undefined, {}, () => {
    if (process.connected) process.disconnect();
  });
};
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

process.once('message', (request: BenchChildRequest) => {
  if (request.role === 'gateway') {
    startGateway({
      port: 0,
      username: request.username,
      password: request.password,
      ...(request.maxBytesPerSecond === undefined ? {} : { maxBytesPerSecond: request.maxBytesPerSecond }),
    }).then(
      (gateway) => {
        process.once('disconnect', () => {
          void gateway.close().finally(() => process.exit(0));
        });
        tell({ type: 'listening', url: gateway.url, port: gateway.port });
      },
      (error: unknown) => tellLast({ type: 'error', message: messageOf(error) }),
    );
  } else {
    const subscription = replayDataset({ files: request.files, into: request.into, rateHz: request.rateHz }).subscribe({
      next: (file) => tell({ type: 'placed', file }),
      error: (error: unknown) => tellLast({ type: 'error', message: messageOf(error) }),
      complete: () => tellLast({ type: 'done' }),
    });
    process.once('disconnect', () => subscription.unsubscribe());
  }
});
