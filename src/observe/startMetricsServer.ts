import { collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { AgentEvent } from './AgentEvent.js';
import type { AgentStats } from './AgentStats.js';
import type { MetricsServer } from './MetricsServer.js';
import { describeLedgerTrouble } from './describeLedgerTrouble.js';
import { registerTotal, serveRegistry } from './metricsServerInternals.js';
import { booleanOption, functionOption, integerBetween, nonEmptyString } from '../validation.js';

/** Options for {@link startMetricsServer}. */
export interface StartMetricsServerOptions {
  /** TCP port; 0 picks a free one (see the returned `port`). */
  port: number;
  /**
   * Interface to listen on; loopback keeps the numbers off the network unless asked.
   * @default '127.0.0.1'
   */
  host?: string;
  /** Called once per scrape for the latest snapshot. */
  getStats: () => AgentStats;
  /**
   * The prom-client registry to serve; the agent's metrics are added to it, and a caller may
   * register metrics of its own in it.
   * @default a new Registry
   */
  registry?: Registry;
  /**
   * Add prom-client's default metrics of the process: CPU, resident memory, heap, event-loop
   * lag, garbage collection (`process_*`, `nodejs_*`).
   * @default true
   */
  defaultMetrics?: boolean;
}

type Family = { name: string; type: 'counter' | 'gauge'; help: string; value: (stats: AgentStats) => number | undefined };

const families: readonly Family[] = [
  { name: 'haste_files_seen_total', type: 'counter', help: 'Files seen in the watched folder.', value: (s) => s.filesSeen },
  { name: 'haste_files_reduced_total', type: 'counter', help: 'Files made smaller before upload.', value: (s) => s.filesReduced },
  { name: 'haste_files_uploaded_total', type: 'counter', help: 'Files acknowledged by the gateway.', value: (s) => s.filesUploaded },
  { name: 'haste_files_failed_total', type: 'counter', help: 'Files given up on.', value: (s) => s.filesFailed },
  { name: 'haste_files_skipped_total', type: 'counter', help: 'Files not sent because an earlier run delivered them.', value: (s) => s.filesSkipped },
  { name: 'haste_bytes_seen_total', type: 'counter', help: 'Bytes of original files seen.', value: (s) => s.bytesSeen },
  { name: 'haste_bytes_sent_total', type: 'counter', help: 'Bytes acknowledged by the gateway.', value: (s) => s.bytesSent },
  { name: 'haste_bytes_saved_total', type: 'counter', help: 'Bytes not sent thanks to reduction.', value: (s) => s.bytesSaved },
  { name: 'haste_errors_total', type: 'counter', help: 'Errors met, retried or final.', value: (s) => s.errors },
  { name: 'haste_retries_total', type: 'counter', help: 'Upload attempts retried.', value: (s) => s.retries },
  { name: 'haste_files_reducing', type: 'gauge', help: 'Files being reduced now.', value: (s) => s.filesReducing },
  { name: 'haste_files_uploading', type: 'gauge', help: 'Files being uploaded now.', value: (s) => s.filesUploading },
  { name: 'haste_files_pending', type: 'gauge', help: 'Files seen and not yet uploaded or failed.', value: (s) => s.filesPending },
  { name: 'haste_files_waiting', type: 'gauge', help: 'Files found and not yet admitted (waiting for earlier ones to get through).', value: (s) => s.filesWaiting },
  { name: 'haste_backlog_bytes', type: 'gauge', help: 'Bytes still to send.', value: (s) => s.backlogBytes },
  {
    name: 'haste_backlog_seconds',
    type: 'gauge',
    help: 'Time to send the backlog at the current uplink estimate.',
    value: (s) => s.backlogSeconds,
  },
  {
    name: 'haste_uplink_bytes_per_second',
    type: 'gauge',
    help: 'Smoothed uplink estimate.',
    value: (s) => s.uplinkBytesPerSecond,
  },
  {
    name: 'haste_ledger_write_failures_total',
    type: 'counter',
    help: 'Ledger writes that failed and were retried (disk full, I/O errors in the state dir).',
    value: (s) => s.ledgerWriteFailures,
  },
  {
    name: 'haste_ledger_degraded',
    type: 'gauge',
    help: '1 while the ledger cannot write its state dir and no new work starts, else 0.',
    value: (s) => (s.ledgerDegraded === undefined ? 0 : 1),
  },
  {
    name: 'haste_last_event_timestamp_seconds',
    type: 'gauge',
    help: 'Time of the last agent event.',
    value: (s) => (s.updatedAt > 0 ? s.updatedAt / 1000 : undefined),
  },
];

/**
 * Serves the agent's stats to Prometheus at `/metrics`, and `ok` at `/healthz`.
 *
 * `/healthz` answers 503 with the reason while the ledger cannot write its state dir (the
 * agent is alive but takes no new work), and 200 `ok` again once it can.
 *
 * Built on prom-client: counters `haste_*_total` and gauges for in-flight files, backlog and
 * uplink read from one `getStats()` snapshot per scrape, the upload/reduce duration histograms
 * fed by `record`, and prom-client's default process metrics. A gauge whose value is unknown (no
 * uplink estimate yet) has no sample rather than a made-up one. Binds loopback by default.
 *
 * ```ts
 * declare const events$: Observable<AgentEvent>;
 * let latest: AgentStats | undefined;
 * const server = await startMetricsServer({ port: 9464, getStats: () => latest! });
 * events$.pipe(tap((e) => server.record(e)), trackStats()).subscribe((s) => (latest = s));
 * ```
 *
 * @param options Where to listen and where the stats come from.
 * @returns The running server once it is listening; rejects if the port cannot be bound.
 */
export async function startMetricsServer(options: StartMetricsServerOptions): Promise<MetricsServer> {
  const { port, host, getStats, registry, defaultMetrics } = normaliseMetricsServerOptions(options);
  const stats = oncePerScrape(getStats);
  registerFamilies(registry, stats);
  const upload = new Histogram({
    name: 'haste_upload_duration_seconds',
    help: 'Time from the start of an upload to the gateway acknowledging it.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const reduce = new Histogram({ name: 'haste_reduce_duration_seconds', help: 'CPU time spent reducing one file.', registers: [registry] });
  if (defaultMetrics) collectDefaultMetrics({ register: registry });
  const served = await serveRegistry({
    port,
    host,
    registry,
    trouble: () => {
      const snapshot = getStats();
      const trouble = describeLedgerTrouble(snapshot);
      return trouble === undefined ? undefined : `ledger ${trouble}: ${snapshot.ledgerDegraded!.error}`.replace(/\s+/g, ' ');
    },
  });
  return {
    url: served.url,
    port: served.port,
    registry,
    record(event: AgentEvent): void {
      // NaN and infinities would poison the histograms' sums.
      if (event.type === 'uploaded' && Number.isFinite(event.durationMs)) upload.observe(event.durationMs / 1000);
      if (event.type === 'reduced' && Number.isFinite(event.cpuMs)) reduce.observe(event.cpuMs / 1000);
    },
    close: () => served.close(),
  };
}

function normaliseMetricsServerOptions(options: StartMetricsServerOptions) {
  const port = integerBetween('port', options?.port, 0, 65535);
  const host = nonEmptyString('host', options.host ?? '127.0.0.1');
  const getStats = functionOption<() => AgentStats>('getStats', options.getStats);
  const registry = options.registry ?? new Registry();
  if (!(registry instanceof Registry)) throw new TypeError(`Expected \`registry\` to be a prom-client Registry, got ${String(registry)}`);
  const defaultMetrics = booleanOption('defaultMetrics', options.defaultMetrics ?? true);
  return { port, host, getStats, registry, defaultMetrics };
}

/**
 * `getStats` called at most once per scrape: prom-client calls every metric's collect in the
 * same tick, so the snapshot is kept until the next microtask, and every family of a scrape
 * shows the same moment.
 */
function oncePerScrape(getStats: () => AgentStats): () => AgentStats {
  let cached: AgentStats | undefined;
  return () => {
    if (cached === undefined) {
      cached = getStats();
      queueMicrotask(() => {
        cached = undefined;
      });
    }
    return cached;
  };
}

/** Registers every family, each reading its value from the scrape's snapshot. */
function registerFamilies(registry: Registry, stats: () => AgentStats): void {
  for (const family of families) {
    const { name, help, value } = family;
    if (family.type === 'counter') {
      registerTotal(registry, name, help, () => value(stats()) ?? 0);
    } else {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const current = value(stats());
          if (current === undefined) this.remove({});
          else this.set(current);
        },
      });
    }
  }
}
