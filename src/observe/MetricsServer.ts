import type { Registry } from 'prom-client';
import type { AgentEvent } from './AgentEvent.js';

/**
 * A running metrics endpoint, as returned by {@link startMetricsServer}.
 *
 * ```ts
 * declare const latest: AgentStats, events$: Observable<AgentEvent>;
 * const server: MetricsServer = await startMetricsServer({ port: 9464, getStats: () => latest });
 * events$.subscribe((event) => server.record(event));
 * await server.close();
 * ```
 */
export interface MetricsServer {
  /** The scrape URL, `http://host:port/metrics`. */
  readonly url: string;
  /** The port actually bound (useful when asked for port 0). */
  readonly port: number;
  /** The prom-client registry it serves, where a caller can register metrics of its own. */
  readonly registry: Registry;
  /**
   * Feeds an event into the histograms: an `uploaded` event's `durationMs` into
   * `haste_upload_duration_seconds`, a `reduced` event's `cpuMs` into
   * `haste_reduce_duration_seconds`, in seconds. Other events are ignored.
   */
  record(event: AgentEvent): void;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}
