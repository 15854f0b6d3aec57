import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { serveGatewayMetrics, type GatewayMetricsServer } from '../../src/gateway/serveGatewayMetrics.js';
import { parseExposition } from '../observe/exposition.js';
import { blobHeaders, postBlob } from './gatewayTestKit.js';

describe('serveGatewayMetrics', () => {
  let store: string;
  let gateway: RunningGateway;
  let metrics: GatewayMetricsServer | undefined;

  beforeEach(async () => {
    store = await mkdtemp(join(tmpdir(), 'haste-gateway-metrics-'));
    gateway = await startGateway({ port: 0, username: 'agent', password: 's3cret', store });
  });

  afterEach(async () => {
    await metrics?.close();
    metrics = undefined;
    await gateway.close();
    await rm(store, { recursive: true, force: true });
  });

  const scrape = async () => parseExposition(await (await fetch(metrics!.url)).text());
  const value = (families: Awaited<ReturnType<typeof scrape>>, name: string, labels = ''): number | undefined =>
    families.get(name)?.samples.find((sample) => sample.labels === labels)?.value;

  it('should count blobs received, their bytes, duplicates dropped and requests rejected by status', async () => {
    metrics = await serveGatewayMetrics({ gateway, port: 0 });
    const empty = await scrape();
    expect(value(empty, 'haste_gateway_blobs_received_total')).to.equal(0);
    expect(empty.get('haste_gateway_requests_rejected_total')?.samples).to.deep.equal([]);

    expect((await postBlob(gateway, blobHeaders('/d/a.tif', 'aaaa'), 'aaaa')).status).to.equal(200);
    expect((await postBlob(gateway, blobHeaders('/d/b.tif', 'bbbbbb'), 'bbbbbb')).status).to.equal(200);
    // A retry of a.tif: answered OK, not kept again.
    expect((await postBlob(gateway, blobHeaders('/d/a.tif', 'aaaa'), 'aaaa')).status).to.equal(200);
    expect((await postBlob(gateway, { ...blobHeaders('/d/c.tif', 'c'), Authorization: 'Basic bm9wZTpub3Bl' }, 'c')).status).to.equal(401);
    expect((await postBlob(gateway, blobHeaders('/d/c.tif', 'c', { 'X-HASTE-tag': 'other' }), 'c')).status).to.equal(412);
    expect((await postBlob(gateway, blobHeaders('/d/d.tif', 'd', { 'X-HASTE-tag': 'other' }), 'd')).status).to.equal(412);

    const families = await scrape();
    expect(families.get('haste_gateway_blobs_received_total')?.type).to.equal('counter');
    expect(value(families, 'haste_gateway_blobs_received_total')).to.equal(3);
    expect(value(families, 'haste_gateway_bytes_received_total')).to.equal(14);
    expect(value(families, 'haste_gateway_blobs_stored_total')).to.equal(2);
    expect(value(families, 'haste_gateway_duplicates_dropped_total')).to.equal(1);
    expect(value(families, 'haste_gateway_requests_rejected_total', '{status="401"}')).to.equal(1);
    expect(value(families, 'haste_gateway_requests_rejected_total', '{status="412"}')).to.equal(2);
    expect(value(families, 'process_resident_memory_bytes')).to.be.greaterThan(1e6);
  });

  it('should answer ok on /healthz and leave out process metrics when asked', async () => {
    metrics = await serveGatewayMetrics({ gateway, port: 0, defaultMetrics: false });
    const health = await fetch(new URL('/healthz', metrics.url));
    expect([health.status, await health.text()]).to.deep.equal([200, 'ok']);
    expect([...(await scrape()).keys()].every((name) => name.startsWith('haste_gateway_'))).to.equal(true);
  });

  it('should reject a bad port or a missing gateway', async () => {
    let error: unknown;
    await serveGatewayMetrics({ gateway, port: -1 }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(TypeError).with.property('message', 'Expected `port` to be an integer from 0 to 65535, got -1');
    error = undefined;
    await serveGatewayMetrics({ gateway: undefined as never, port: 0 }).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(TypeError).with.property('message', 'Expected `gateway` to be an object, got undefined');
  });
});
