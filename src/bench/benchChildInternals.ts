// Runs the benchmark's stand-ins for the outside world (the gateway, the instrument writing
// files) in child processes, so that, as in a real deployment, they do not share the agent's
// event loop or its libuv threadpool. In one process the replay's copies and the gateway's
// request parsing and hashing queued behind the agent's work (and it behind theirs), which the
// measured makespan then charged to the scheduler. Not exported from the package.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Observable } from 'rxjs';
import type { ReplayedFile } from './replayDataset.js';

/** What the parent asks a child to be. */
export type BenchChildRequest =
  | {
      readonly role: 'gateway';
      readonly username: string;
      readonly password: string;
      readonly maxBytesPerSecond?: number;
    }
  | { readonly role: 'replay'; readonly files: readonly string[]; readonly into: string; readonly rateHz: number };

/** What a child tells the parent. */
export type BenchChildMessage =
  | { readonly type: 'listening'; readonly url: string; readonly port: number }
  | { readonly type: 'placed'; readonly file: ReplayedFile }
  | { readonly type: 'done' }
  | { readonly type: 'error'; readonly message: string };

/** A gateway in a child process. */
export interface ChildGateway {
  readonly url: string;
  readonly port: number;
  /** Asks the child to close the gateway and waits until it has exited. */
  close(): Promise<void>;
}

function tsxLoaderUrl(): string {
  // Read from tsx's exports map, as createWorkerPool does, so the child needs no bare name
  // resolved from whatever the working folder is.
  const requireHere = createRequire(import.meta.url);
  const manifestPath = requireHere.resolve('tsx/package.json');
  const manifest = requireHere(manifestPath) as { exports: Record<string, string> };
  return pathToFileURL(path.join(path.dirname(manifestPath), manifest.exports['.']!)).href;
}

function spawnBenchChild(): ChildProcess {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./benchChildMain.${fromSource ? 'ts' : 'js'}`, import.meta.url));
  return fork(entry, [], {
    execArgv: fromSource ? ['--import', tsxLoaderUrl()] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the embedded gateway (port 0, 127.0.0.1) in a child process. */
export function startGatewayInChild(options: {
  readonly username: string;
  readonly password: string;
  readonly maxBytesPerSecond?: number;
}): Promise<ChildGateway> {
  const child = spawnBenchChild();
  return new Promise<ChildGateway>((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`The gateway process exited (${String(code)}) before it listened`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (message: BenchChildMessage) => {
      if (message.type === 'error') {
        child.kill();
        reject(new Error(message.message));
      } else if (message.type === 'listening') {
        child.off('exit', onExit);
        resolve({
          url: message.url,
          port: message.port,
          close: async () => {
            if (child.connected) child.disconnect();
            await exited(child);
          },
        });
      }
    });
    const request: BenchChildRequest = { role: 'gateway', ...options };
    child.send(request);
  });
}

/**
 * `replayDataset` in a child process: each file once it is in place, with the child's
 * `Date.now()` times (the same clock as the parent's asyncScheduler). Unsubscribing kills it.
 */
export function replayInChild(options: { readonly files: readonly string[]; readonly into: string; readonly rateHz: number }): Observable<ReplayedFile> {
  return new Observable<ReplayedFile>((subscriber) => {
    const child = spawnBenchChild();
    let finished = false;
    child.on('message', (message: BenchChildMessage) => {
      if (message.type === 'placed') {
        subscriber.next(message.file);
      } else if (message.type === 'done') {
        finished = true;
        subscriber.complete();
      } else if (message.type === 'error') {
        finished = true;
        subscriber.error(new Error(message.message));
      }
    });
    child.once('error', (error) => subscriber.error(error));
    child.once('exit', (code) => {
      if (!finished) subscriber.error(new Error(`The replay process exited (${String(code)}) before it finished`));
    });
    const request: BenchChildRequest = { role: 'replay', ...options };
    child.send(request);
    return () => {
      if (child.connected) child.disconnect();
      if (!finished) child.kill();
    };
  });
}
