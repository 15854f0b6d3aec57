import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { registerTotal, serveRegistry } from '../observe/metricsServerInternals.js';
import { booleanOption, integerBetween, nonEmptyString, objectOption } from '../validation.js';
import type { RunningGateway } from './RunningGateway.js';

/** Options for {@link serveGatewayMetrics}. */
export interface ServeGatewayMetricsOptions {
  /** The gateway whose totals to serve. */
  readonly gateway: Pick<RunningGateway, 'counts' | 'refused'>;
  /** TCP port; 0 picks a free one (see the returned `port`). */
  readonly port: number;
  /**
   * Interface to listen on.
   * @default '127.0.0.1'
   */
  readonly host?: string;
  /**
   * Add prom-client's default process metrics (`process_*`, `nodejs_*`).
   * @default true
   */
  readonly defaultMetrics?: boolean;
}

/** A listening gateway metrics endpoint. */
export interface GatewayMetricsServer {
  /** The scrape URL, `http://host:port/metrics`. */
  readonly url: string;
  /** The port actually bound. */
  readonly port: number;
  /** The prom-client registry it serves. */
  readonly registry: Registry;
  /** Stops listening and drops open connections; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Serves a running gateway's totals to Prometheus at `/metrics` (and `ok` at `/healthz`).
 *
 * Counters, read from `gateway.counts` and `gateway.refused` at each scrape:
 * `haste_gateway_blobs_received_total` (blobs answered OK), `haste_gateway_bytes_received_total`
 * (their body bytes), `haste_gateway_blobs_stored_total`, `haste_gateway_duplicates_dropped_total`
 * (retries answered OK and not kept again) and `haste_gateway_requests_rejected_total{status}`
 * (requests answered 4xx/5xx, by status); plus prom-client's default process metrics.
 *
 * ```ts
 * const gateway = await startGateway({ port: 8080, username: 'lab', password: 'secret' });
 * const metrics = await serveGatewayMetrics({ gateway, port: 9465 });
 * // ... scrape metrics.url ...
 * await metrics.close();
 * await gateway.close();
 * ```
 *
 * @param options The gateway, and where to listen.
 * @returns The endpoint once it listens; rejects if the port cannot be bound.
 */
export async function serveGatewayMetrics(options: ServeGatewayMetricsOptions): Promise<GatewayMetricsServer> {
  objectOption('options', options);
  const { gateway } = options;
  objectOption('gateway', gateway);
  const port = integerBetween('port', options.port, 0, 65535);
  const host = nonEmptyString('host', options.host ?? '127.0.0.1');
  const registry = new Registry();
  const total = (name: string, help: string, read: () => number): void => registerTotal(registry, name, help, read);
  total('haste_gateway_blobs_received_total', 'Blobs received and answered OK, duplicates included.', () => gateway.counts.accepted);
  total('haste_gateway_bytes_received_total', 'Body bytes of the blobs answered OK.', () => gateway.counts.bytes);
  total('haste_gateway_blobs_stored_total', 'Blobs kept in the store.', () => gateway.counts.stored);
  total('haste_gateway_duplicates_dropped_total', 'Retries of a blob already received, answered OK and not kept again.', () => gateway.counts.duplicates);
  new Counter({
    name: 'haste_gateway_requests_rejected_total',
    help: 'Requests answered with an error status (401, 404, 412, 413, ...), by status.',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [status, count] of gateway.refused) this.inc({ status: String(status) }, count);
    },
  });
  if (booleanOption('defaultMetrics', options.defaultMetrics ?? true)) collectDefaultMetrics({ register: registry });
  const served = await serveRegistry({ port, host, registry });
  return { url: served.url, port: served.port, registry, close: () => served.close() };
}
