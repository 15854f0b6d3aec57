// Shared machinery of the fault tests: spawn the real CLI as a child process and watch it.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../../src/bench/syntheticFrames.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cliEntry = join(repoRoot, 'src', 'cli.ts');

export const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export interface AgentProcess {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  readonly output: () => { stdout: string; stderr: string };
  /** Resolves on exit with the code (null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once `pattern` appears on stdout or stderr; rejects if the process exits first or after `timeoutMs`. */
  readonly waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
  /** Peak resident set size so far (VmHWM), in KiB; undefined once the process is gone. */
  readonly peakRssKib: () => Promise<number | undefined>;
}

/**
 * Runs `haste-agent <args>` from the TypeScript source through tsx, so the tests always exercise
 * the code in the tree (no stale dist/).
 */
export function spawnAgent(args: readonly string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', cliEntry, ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  running.add(child);
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const waitFor = (pattern: RegExp, timeoutMs = 20_000): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const check = (): boolean => pattern.test(stdout) || pattern.test(stderr);
      if (check()) {
        resolve();
        return;
      }
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(new Error(`Timed out waiting for ${String(pattern)}\nstdout: ${stdout}\nstderr: ${stderr}`));
      }, timeoutMs);
      const listener = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        listeners.delete(listener);
        resolve();
      };
      listeners.add(listener);
      void exited.then(() => {
        setImmediate(() => {
          if (!listeners.has(listener)) return;
          listeners.delete(listener);
          clearTimeout(timer);
          if (check()) resolve();
          else reject(new Error(`The agent exited before ${String(pattern)} appeared\nstdout: ${stdout}\nstderr: ${stderr}`));
        });
      });
    });
  const peakRssKib = async (): Promise<number | undefined> => {
    if (gone || child.pid === undefined) return undefined;
    const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match === null ? undefined : Number(match[1]);
  };
  return { child, output: () => ({ stdout, stderr }), exited, waitFor, peakRssKib };
}

const running = new Set<ChildProcess>();

/** Kills (SIGKILL) every agent a test spawned that is still running; call it in afterEach. */
export async function reapAgents(): Promise<void> {
  const left = [...running];
  await Promise.all(
    left.map(async (child) => {
      const gone = once(child, 'exit');
      child.kill('SIGKILL');
      await gone;
    }),
  );
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 50 ms until it holds; rejects with `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** A small deterministic PRNG (the data generator's mulberry32), so a failing run can be replayed from its seed. */
export const seededRandom: (seed: number) => () => number = mulberry32;

/** Content for test file `n`: 2-20 KB, unique per `n` (the index is written into it). */
export function fileContent(n: number, random: () => number): Buffer {
  const size = 2048 + Math.floor(random() * 18 * 1024);
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) data[i] = Math.floor(random() * 256);
  data.write(`file-${n}-`, 0, 'latin1');
  return data;
}

/** The messages of the `{"type":"error",…}` lines of a `--log-format json` run's stderr. */
export function jsonErrors(stderr: string): string[] {
  return jsonEvents(stderr)
    .filter((line) => line.type === 'error')
    .map((line) => String(line.message));
}

/** The agent's `--log-format json` stdout as event objects (other lines are skipped). */
export function jsonEvents(stdout: string): Array<{ type: string; path?: string; [key: string]: unknown }> {
  const events: Array<{ type: string; path?: string }> = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as { type: string; path?: string });
    } catch {
      // A line cut short by kill -9.
    }
  }
  return events;
}
