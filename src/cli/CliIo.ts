/**
 * Everything the CLI touches outside itself, injected so tests can run it in-process.
 */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly env: NodeJS.ProcessEnv;
  /** The folder relative paths are resolved against. */
  readonly cwd: string;
  /**
   * Calls `handler` on SIGINT/SIGTERM with the signal's name; returns a function that stops
   * listening. Tests pass a stand-in they can trigger.
   */
  readonly onSignal: (handler: (signal: 'SIGINT' | 'SIGTERM') => void) => () => void;
}
