// The embedded gateway as a child process, as a user starts it, for the benchmarks that run the
// agent against it (bench/agentScale.ts, bench/ledgerLatency.ts).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

/** A running gateway: where to send, and how to stop it. */
export interface GatewayChild {
  /** `http://127.0.0.1:PORT`, as the gateway printed it. */
  readonly host: string;
  /** The gateway's process, for reading its CPU and memory from /proc. */
  readonly pid: number;
  close(): Promise<void>;
}

/**
 * Starts `node CLI gateway --port 0 …ARGS` with `env` added to this process's environment and
 * resolves once it says where it listens.
 */
export async function startGatewayChild(cli: string, env: Readonly<Record<string, string>>, args: readonly string[] = []): Promise<GatewayChild> {
  const child = spawn(process.execPath, [cli, 'gateway', '--port', '0', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  for await (const line of createInterface({ input: child.stderr! })) {
    const url = /listening on (http:\/\/\S+?)\s/.exec(line)?.[1];
    if (url !== undefined) {
      return {
        host: url,
        pid: child.pid!,
        close: async () => {
          child.kill('SIGINT');
          await once(child, 'exit');
        },
      };
    }
  }
  throw new Error('the gateway exited before it listened');
}
