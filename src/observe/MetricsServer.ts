import type { AgentEvent } from './AgentEvent.js';
import type { Histogram } from './Histogram.js';

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
  /** The duration histograms the scrape renders. */
  readonly histograms: { readonly upload: Histogram; readonly reduce: Histogram };
  /**
   * Feeds an event into the histograms: an `uploaded` event's `durationMs` into `upload`, a
   * `reduced` event's `cpuMs` into `reduce`, in seconds. Other events are ignored.
   */
  record(event: AgentEvent): void;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}
