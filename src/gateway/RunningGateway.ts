import type { ReceivedBlob } from './ReceivedBlob.js';

/** How many blobs a gateway accepted since it started, by what it did with them. */
export interface GatewayCounts {
  /** Every blob answered OK. */
  readonly accepted: number;
  /** Kept in the store. */
  readonly stored: number;
  /** Retries of a blob already received, answered OK and not kept again. */
  readonly duplicates: number;
  /** Answered OK and not kept: tag `discard`, or no store. */
  readonly discarded: number;
  /** Body bytes of every accepted blob, duplicates included. */
  readonly bytes: number;
}

/** A listening embedded gateway, as returned by `startGateway`. */
export interface RunningGateway {
  /** Base URL to pass as the agent's `host`, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** The port actually bound (useful with port 0). */
  readonly port: number;
  /**
   * The latest accepted blobs (up to `keepReceived`, in arrival order of their last byte);
   * older ones are dropped so memory stays flat. `counts` has the totals.
   */
  readonly received: readonly ReceivedBlob[];
  /** Totals since the gateway started, updated as blobs arrive. */
  readonly counts: GatewayCounts;
  /** Requests answered with an error status (401, 404, 412, 413, …) since it started, by status. */
  readonly refused: ReadonlyMap<number, number>;
  /** Stops listening, drops open connections, closes the index and resolves when all is closed. */
  close(): Promise<void>;
}
