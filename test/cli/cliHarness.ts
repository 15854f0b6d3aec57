import { Writable } from 'node:stream';
import { buildProgram } from '../../src/cli/buildProgram.js';
import type { CliIo } from '../../src/cli/CliIo.js';

/** A Writable that keeps everything written to it as text. */
export class TextSink extends Writable {
  text = '';
  isTTY?: boolean;
  columns?: number;

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** A fake CliIo whose signals the test fires and whose output it reads. */
export interface FakeCli {
  readonly io: CliIo;
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Delivers a signal to every handler registered now. */
  signal(name?: 'SIGINT' | 'SIGTERM'): void;
  /** Handlers registered and not yet unregistered. */
  listeners(): number;
  /** Runs the program as `haste-agent ...args`. */
  run(...args: string[]): Promise<unknown>;
  /** Everything written to stdout and stderr. */
  output(): string;
}

export function fakeCli(options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): FakeCli {
  const stdout = new TextSink();
  const stderr = new TextSink();
  const handlers = new Set<(signal: 'SIGINT' | 'SIGTERM') => void>();
  const io: CliIo = {
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    onSignal: (handler) => {
      handlers.add(handler);
      return () => {
        handlers.delete(handler);
      };
    },
  };
  return {
    io,
    stdout,
    stderr,
    signal: (name = 'SIGINT') => {
      for (const handler of [...handlers]) handler(name);
    },
    listeners: () => handlers.size,
    run: (...args) => buildProgram(io).parseAsync(['node', 'haste-agent', ...args]),
    output: () => stdout.text + stderr.text,
  };
}

/** Polls `check` until it is true, failing after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Saves process.exitCode before each test and restores it after, so a command that sets it
 * neither leaks into the next test nor fails the mocha run.
 */
export function isolateExitCode(): void {
  let saved: typeof process.exitCode;
  beforeEach(() => {
    saved = process.exitCode;
    process.exitCode = undefined;
  });
  afterEach(() => {
    process.exitCode = saved;
  });
}
