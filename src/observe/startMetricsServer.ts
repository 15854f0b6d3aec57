import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentEvent } from './AgentEvent.js';
import type { AgentStats } from './AgentStats.js';
import { createHistogram } from './createHistogram.js';
import type { Histogram } from './Histogram.js';
import type { MetricsServer } from './MetricsServer.js';
import { describeLedgerTrouble } from './describeLedgerTrouble.js';
import { escapeHelp, formatSampleValue } from './prometheusText.js';
import { functionOption, nonEmptyString } from '../validation.js';

/** Options for {@link startMetricsServer}. */
export interface StartMetricsServerOptions {
  /** TCP port; 0 picks a free one (see the returned `port`). */
  port: number;
  /**
   * Interface to listen on; loopback keeps the numbers off the network unless asked.
   * @default '127.0.0.1'
   */
  host?: string;
  /** Called on every scrape for the latest snapshot. */
  getStats: () => AgentStats;
  /**
   * Histograms to render, for callers that observe into their own.
   * @default `haste_upload_duration_seconds` (0.05 s to 120 s) and `haste_reduce_duration_seconds` (5 ms to 10 s)
   */
  histograms?: { upload?: Histogram; reduce?: Histogram };
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
 * Text exposition format 0.0.4: counters `haste_*_total`, gauges for in-flight files, backlog
 * and uplink, and the upload/reduce duration histograms. A gauge whose value is unknown (no
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
  const { port, host, getStats, histograms } = normaliseMetricsServerOptions(options);
  const server = createServer((request, response) => answer(request, response, getStats, histograms));
  await listen(server, port, host);

  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${urlHost}:${bound}/metrics`,
    port: bound,
    histograms,
    record(event: AgentEvent): void {
      if (event.type === 'uploaded') histograms.upload.observe(event.durationMs / 1000);
      if (event.type === 'reduced') histograms.reduce.observe(event.cpuMs / 1000);
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive sockets from a scraper would otherwise hold close() open indefinitely.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

type Histograms = { upload: Histogram; reduce: Histogram };

function normaliseMetricsServerOptions(
  options: StartMetricsServerOptions,
): { port: number; host: string; getStats: () => AgentStats; histograms: Histograms } {
  const port = options?.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`Expected \`port\` to be an integer from 0 to 65535, got ${JSON.stringify(port)}`);
  }
  const host = options.host ?? '127.0.0.1';
  nonEmptyString('host', host);
  const getStats = options.getStats;
  functionOption('getStats', getStats);
  const histograms = {
    upload:
      options.histograms?.upload ??
      createHistogram({
        name: 'haste_upload_duration_seconds',
        help: 'Time from the start of an upload to the gateway acknowledging it.',
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      }),
    reduce:
      options.histograms?.reduce ??
      createHistogram({ name: 'haste_reduce_duration_seconds', help: 'CPU time spent reducing one file.' }),
  };
  return { port, host, getStats, histograms };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function answer(request: IncomingMessage, response: ServerResponse, getStats: () => AgentStats, histograms: Histograms): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  if (path === '/healthz') {
    answerHealth(response, getStats);
    return;
  }
  if (path !== '/metrics') {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found; try /metrics\n');
    return;
  }
  answerScrape(response, getStats, histograms);
}

function answerHealth(response: ServerResponse, getStats: () => AgentStats): void {
  let trouble: string | undefined;
  try {
    const stats = getStats();
    trouble = describeLedgerTrouble(stats);
    if (trouble !== undefined) trouble = `ledger ${trouble}: ${stats.ledgerDegraded!.error}`.replace(/\s+/g, ' ');
  } catch (error) {
    trouble = `could not read stats: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (trouble === undefined) response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
  else response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`${trouble}\n`);
}

function answerScrape(response: ServerResponse, getStats: () => AgentStats, histograms: Histograms): void {
  let body: string;
  try {
    body = renderMetrics(getStats(), histograms);
  } catch (error) {
    // A broken stats source must show up as a failed scrape, not take the agent down.
    response
      .writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' })
      .end(`could not read stats: ${error instanceof Error ? error.message : String(error)}\n`);
    return;
  }
  response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }).end(body);
}

/** The scrape body: every family, then the histograms, in the text exposition format. */
function renderMetrics(stats: AgentStats, histograms: Histograms): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    const value = family.value(stats);
    if (typeof value === 'number') lines.push(`${family.name} ${formatSampleValue(value)}`);
  }
  lines.push(...histograms.upload.render(), ...histograms.reduce.render());
  return `${lines.join('\n')}\n`;
}
