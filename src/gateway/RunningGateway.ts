import type { ReceivedBlob } from './ReceivedBlob.js';

/** A listening embedded gateway, as returned by `startGateway`. */
export interface RunningGateway {
  /** Base URL to pass as the agent's `host`, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /** Every accepted blob so far, in arrival order of their last byte. */
  readonly received: readonly ReceivedBlob[];
  /** Stops listening, drops open connections and resolves when the server has closed. */
  close(): Promise<void>;
}
