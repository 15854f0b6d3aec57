import { Agent, request } from 'node:http';
import { expect } from 'chai';
import { Histogram, Registry } from 'prom-client';
import type { AgentStats } from '../../src/observe/AgentStats.js';
import type { MetricsServer } from '../../src/observe/MetricsServer.js';
import { startMetricsServer } from '../../src/observe/startMetricsServer.js';
import { checkHistogram, parseExposition } from './exposition.js';
import { busyStats, idleStats } from './statsFixtures.js';

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('should serve every counter, gauge and histogram as valid exposition text', async () => {
    server = await startMetricsServer({ port: 0, getStats: () => busyStats });
    server.record({ type: 'uploaded', at: 0, path: 'a', bytes: 1, status: 200, durationMs: 300 });
    server.record({ type: 'uploaded', at: 0, path: 'b', bytes: 1, status: 200, durationMs: 200_000 });
    server.record({ type: 'reduced', at: 0, path: 'a', bytesIn: 2, bytesOut: 1, cpuMs: 40, reduced: true });
    server.record({ type: 'seen', at: 0, path: 'c', bytes: 1 });

    const response = await fetch(server.url);
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(await response.text());

    const value = (name: string): number | undefined => families.get(name)?.samples[0]?.value;
    expect(families.get('haste_files_seen_total')?.type).to.equal('counter');
    expect(value('haste_files_seen_total')).to.equal(12);
    expect(value('haste_files_uploaded_total')).to.equal(6);
    expect(value('haste_files_failed_total')).to.equal(1);
    expect(value('haste_bytes_sent_total')).to.equal(busyStats.bytesSent);
    expect(value('haste_bytes_saved_total')).to.equal(busyStats.bytesSaved);
    expect(value('haste_retries_total')).to.equal(2);
    expect(families.get('haste_backlog_bytes')?.type).to.equal('gauge');
    expect(value('haste_backlog_bytes')).to.equal(1536);
    expect(value('haste_backlog_seconds')).to.equal(65);
    expect(value('haste_uplink_bytes_per_second')).to.equal(2_000_000);
    expect(value('haste_files_pending')).to.equal(5);
    expect(families.get('haste_files_waiting')?.type).to.equal('gauge');
    expect(value('haste_files_waiting')).to.equal(0);

    const upload = checkHistogram(families.get('haste_upload_duration_seconds')!);
    expect(upload.count).to.equal(2);
    expect(upload.sum).to.be.closeTo(200.3, 1e-9);
    expect(upload.buckets.find(([le]) => le === 0.5)).to.deep.equal([0.5, 1]);
    expect(upload.buckets.find(([le]) => le === 120)).to.deep.equal([120, 1]);
    const reduce = checkHistogram(families.get('haste_reduce_duration_seconds')!);
    expect([reduce.count, reduce.sum]).to.deep.equal([1, 0.04]);
  });

  it('should read fresh stats on every scrape and leave unknown gauges without a sample', async () => {
    let stats: AgentStats = idleStats;
    server = await startMetricsServer({ port: 0, getStats: () => stats });
    const before = parseExposition(await (await fetch(server.url)).text());
    expect(before.get('haste_uplink_bytes_per_second')?.samples).to.deep.equal([]);
    stats = busyStats;
    const after = parseExposition(await (await fetch(server.url)).text());
    expect(after.get('haste_uplink_bytes_per_second')?.samples[0]?.value).to.equal(2_000_000);
  });

  it("should serve metrics the caller registers in its registry, and prom-client's process metrics", async () => {
    const registry = new Registry();
    const mine = new Histogram({ name: 'my_upload_seconds', help: 'Mine.', buckets: [1], registers: [registry] });
    mine.observe(0.5);
    server = await startMetricsServer({ port: 0, getStats: () => idleStats, registry });
    expect(server.registry).to.equal(registry);
    const families = parseExposition(await (await fetch(server.url)).text());
    expect(checkHistogram(families.get('my_upload_seconds')!).count).to.equal(1);
    expect(families.has('haste_reduce_duration_seconds')).to.equal(true);
    expect(families.get('process_resident_memory_bytes')?.samples[0]?.value).to.be.greaterThan(1e6);
    expect(families.get('nodejs_eventloop_lag_seconds')?.type).to.equal('gauge');
    expect(families.get('nodejs_gc_duration_seconds')?.type).to.equal('histogram');
    expect(families.get('process_cpu_seconds_total')?.type).to.equal('counter');
  });

  it('should read the stats once per scrape, and leave out process metrics when asked', async () => {
    let calls = 0;
    server = await startMetricsServer({
      port: 0,
      getStats: () => {
        calls += 1;
        return busyStats;
      },
      defaultMetrics: false,
    });
    const families = parseExposition(await (await fetch(server.url)).text());
    expect(calls).to.equal(1);
    expect([...families.keys()].filter((name) => !name.startsWith('haste_'))).to.deep.equal([]);
  });

  it('should answer ok on /healthz, 404 elsewhere and 405 to other methods', async () => {
    server = await startMetricsServer({ port: 0, getStats: () => idleStats });
    const health = await fetch(new URL('/healthz', server.url));
    expect([health.status, await health.text()]).to.deep.equal([200, 'ok']);
    expect((await fetch(new URL('/nope', server.url))).status).to.equal(404);
    const post = await fetch(server.url, { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).to.deep.equal([405, 'GET, HEAD']);
  });

  it('should answer 503 with the reason on /healthz while the ledger cannot write, and 200 again after', async () => {
    let stats: AgentStats = {
      ...idleStats,
      ledgerDegraded: { since: 0, code: 'ENOSPC', error: 'ENOSPC: no space left on device,\nwrite', retryInMs: 4000 },
      ledgerWriteFailures: 3,
    };
    server = await startMetricsServer({ port: 0, getStats: () => stats });
    const sick = await fetch(new URL('/healthz', server.url));
    expect([sick.status, await sick.text()]).to.deep.equal([503, 'ledger cannot write (ENOSPC), retrying in 4 s: ENOSPC: no space left on device, write\n']);
    let families = parseExposition(await (await fetch(server.url)).text());
    expect(families.get('haste_ledger_degraded')?.type).to.equal('gauge');
    expect(families.get('haste_ledger_degraded')?.samples[0]?.value).to.equal(1);
    expect(families.get('haste_ledger_write_failures_total')?.type).to.equal('counter');
    expect(families.get('haste_ledger_write_failures_total')?.samples[0]?.value).to.equal(3);

    stats = { ...stats, ledgerDegraded: undefined };
    const well = await fetch(new URL('/healthz', server.url));
    expect([well.status, await well.text()]).to.deep.equal([200, 'ok']);
    families = parseExposition(await (await fetch(server.url)).text());
    expect(families.get('haste_ledger_degraded')?.samples[0]?.value).to.equal(0);
    expect(families.get('haste_ledger_write_failures_total')?.samples[0]?.value).to.equal(3);
  });

  it('should answer 500 and keep serving when getStats throws', async () => {
    let fail = true;
    server = await startMetricsServer({
      port: 0,
      getStats: () => {
        if (fail) throw new Error('no stats yet');
        return idleStats;
      },
    });
    const broken = await fetch(server.url);
    expect([broken.status, await broken.text()]).to.deep.equal([500, 'could not read stats: no stats yet\n']);
    fail = false;
    expect((await fetch(server.url)).status).to.equal(200);
  });

  it('should listen on loopback by default and report the bound port in the url', async () => {
    server = await startMetricsServer({ port: 0, getStats: () => idleStats });
    expect(server.port).to.be.greaterThan(0);
    expect(server.url).to.equal(`http://127.0.0.1:${server.port}/metrics`);
  });

  it('should close despite a keep-alive connection and refuse connections afterwards', async () => {
    server = await startMetricsServer({ port: 0, getStats: () => idleStats });
    const { url } = server;
    await new Promise<void>((resolve, reject) => {
      const req = request(url, { agent: new Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    await server.close();
    await server.close();
    server = undefined;
    let refused = false;
    await fetch(url).catch(() => {
      refused = true;
    });
    expect(refused).to.equal(true);
  });

  it('should reject a port that is taken or invalid', async () => {
    server = await startMetricsServer({ port: 0, getStats: () => idleStats });
    let error: unknown;
    await startMetricsServer({ port: server.port, getStats: () => idleStats }).catch((e: unknown) => {
      error = e;
    });
    expect((error as NodeJS.ErrnoException)?.code).to.equal('EADDRINUSE');
    let invalid: unknown;
    await startMetricsServer({ port: 70000, getStats: () => idleStats }).catch((e: unknown) => {
      invalid = e;
    });
    expect(invalid).to.be.instanceOf(TypeError).with.property('message', 'Expected `port` to be an integer from 0 to 65535, got 70000');
  });
});
