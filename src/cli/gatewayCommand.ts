import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { serveGatewayMetrics, type GatewayMetricsServer } from '../gateway/serveGatewayMetrics.js';
import { startGateway } from '../gateway/startGateway.js';
import type { CliIo } from './CliIo.js';
import { collectList } from './agentCommandInternals.js';
import { createCliLog } from './createCliLog.js';

/**
 * Adds `haste-agent gateway`: a local server speaking the HASTE Cloud Gateway protocol, so the
 * agent can run with no cloud at all.
 */
export function registerGatewayCommand(program: Command, io: CliIo): void {
  program
    .command('gateway')
    .description('run a local HASTE gateway that stores what agents send')
    .option('--port <port>', 'TCP port (0 picks a free one)', '8080')
    .option('--bind <address>', 'interface to listen on; loopback unless you mean to expose it', '127.0.0.1')
    .option('--store <dir>', 'keep each blob under DIR/<stream_id>/ (default: count and hash only)')
    .option('--username <name>', 'user agents must log in as (env HASTE_USERNAME)')
    .option('--password <password>', 'their password (env HASTE_PASSWORD; argv is visible in ps)')
    .option('--tags <tags>', 'accepted tags, comma-separated; "discard" stores nothing', collectList)
    .option('--max-body-bytes <n>', 'largest blob accepted (413 beyond)', String(2 ** 30))
    .option('--max-bytes-per-second <n>', 'read uploads no faster than this, shared by all connections, to stand in for a slow uplink')
    .option('--metrics-port <port>', 'serve Prometheus /metrics (blobs, bytes, duplicates, rejections) on 127.0.0.1:<port>')
    .addOption(new Option('--log-format <format>', 'log lines as text or one JSON object per line').choices(['human', 'json']).default('human'))
    .action(async (flags: Record<string, string | undefined>) => {
      const log = createCliLog(io, { format: flags.logFormat === 'json' ? 'json' : 'human', prefix: 'haste-agent gateway' });
      const fail = (message: string): void => log.fail(message);
      const port = Number(flags.port);
      const maxBodyBytes = Number(flags.maxBodyBytes);
      const maxBytesPerSecond = flags.maxBytesPerSecond === undefined ? undefined : Number(flags.maxBytesPerSecond);
      const metricsPort = flags.metricsPort === undefined ? undefined : Number(flags.metricsPort);
      const username = flags.username ?? io.env.HASTE_USERNAME;
      const password = flags.password ?? io.env.HASTE_PASSWORD;
      if (!Number.isInteger(port) || port < 0 || port > 65535) return fail(`--port must be an integer from 0 to 65535, got ${JSON.stringify(flags.port)}`);
      if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0) return fail(`--max-body-bytes must be an integer >= 0, got ${JSON.stringify(flags.maxBodyBytes)}`);
      if (maxBytesPerSecond !== undefined && !(Number.isFinite(maxBytesPerSecond) && maxBytesPerSecond > 0)) {
        return fail(`--max-bytes-per-second must be a number > 0, got ${JSON.stringify(flags.maxBytesPerSecond)}`);
      }
      if (metricsPort !== undefined && !(Number.isInteger(metricsPort) && metricsPort >= 0 && metricsPort <= 65535)) {
        return fail(`--metrics-port must be an integer from 0 to 65535, got ${JSON.stringify(flags.metricsPort)}`);
      }
      if (username === undefined || username === '') return fail('missing --username (or HASTE_USERNAME)');
      if (password === undefined || password === '') return fail('missing --password (or HASTE_PASSWORD)');
      const tags = (flags.tags ?? 'vironova,discard').split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
      let gateway;
      try {
        gateway = await startGateway({
          port,
          host: flags.bind ?? '127.0.0.1',
          username,
          password,
          tags,
          maxBodyBytes,
          ...(maxBytesPerSecond === undefined ? {} : { maxBytesPerSecond }),
          ...(flags.store === undefined ? {} : { store: resolve(io.cwd, flags.store) }),
          log: (line, blob) => log.say({ ...blob, type: 'received', message: line }, { stream: 'stdout' }),
        });
      } catch (error) {
        return fail((error as Error).message);
      }
      let metrics: GatewayMetricsServer | undefined;
      if (metricsPort !== undefined) {
        try {
          metrics = await serveGatewayMetrics({ gateway, port: metricsPort });
        } catch (error) {
          await gateway.close();
          return fail(`cannot serve metrics on port ${metricsPort}: ${(error as Error).message}`);
        }
        log.say({ type: 'metrics', message: `metrics on ${metrics.url}`, url: metrics.url });
      }
      const store = flags.store === undefined ? undefined : resolve(io.cwd, flags.store);
      log.say({
        type: 'listening',
        message: `HASTE gateway listening on ${gateway.url} (tags: ${tags.join(', ')}${store === undefined ? '; not storing' : `; storing in ${store}`})`,
        url: gateway.url,
        tags,
        store,
      });
      await new Promise<void>((done) => {
        const unlisten = io.onSignal(() => {
          unlisten();
          done();
        });
      });
      await metrics?.close();
      await gateway.close();
      const refused = Object.fromEntries(gateway.refused);
      log.say({ type: 'stopped', message: `HASTE gateway stopped after ${gateway.counts.accepted} blobs`, ...gateway.counts, refused });
    });
}
