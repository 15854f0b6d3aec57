import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type GatewayOptions } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { blobHeaders, postBlob, sha256, sid, until } from './gatewayTestKit.js';

const ok = '{"result": "OK!"}';

describe('startGateway retries', () => {
  let store: string;
  let gateway: RunningGateway;
  const options = (): GatewayOptions => ({ port: 0, username: 'agent', password: 's3cret', store });
  const storedNames = async (): Promise<string[]> => (await readdir(join(store, sid))).filter((name) => !name.startsWith('.')).sort();

  beforeEach(async () => {
    store = await mkdtemp(join(tmpdir(), 'haste-gateway-retries-'));
    gateway = await startGateway(options());
  });

  afterEach(async () => {
    await gateway.close();
    await rm(store, { recursive: true, force: true });
  });

  it('should store distinct files that have the same bytes', async () => {
    for (const name of ['/run/a.tif', '/run/b.tif', '/run/c.tif']) {
      const answer = await postBlob(gateway, blobHeaders(name, 'same bytes'), 'same bytes');
      expect(answer.body).to.equal(ok);
    }
    expect(await storedNames()).to.deep.equal(['a.tif', 'b.tif', 'c.tif']);
    expect(gateway.received.map((blob) => blob.duplicate)).to.deep.equal([false, false, false]);
  });

  it('should store the same name twice when the bytes differ', async () => {
    for (const body of ['first version', 'second version']) {
      expect((await postBlob(gateway, blobHeaders('/run/a.tif', body), body)).status).to.equal(200);
    }
    expect(await storedNames()).to.deep.equal(['a-1.tif', 'a.tif']);
    expect(await readFile(join(store, sid, 'a-1.tif'), 'utf8')).to.equal('second version');
  });

  it('should store files with the same name in different folders and the same bytes', async () => {
    for (const name of ['/run/1/a.tif', '/run/2/a.tif']) {
      await postBlob(gateway, blobHeaders(name, 'x'), 'x');
    }
    expect(await storedNames()).to.deep.equal(['a-1.tif', 'a.tif']);
  });

  it('should store once and answer OK to every one of 8 concurrent identical uploads', async () => {
    const answers = await Promise.all(Array.from({ length: 8 }, () => postBlob(gateway, blobHeaders('/run/a.tif', 'racing'), 'racing')));
    expect(answers.map((answer) => [answer.status, answer.body])).to.deep.equal(Array.from({ length: 8 }, () => [200, ok]));
    expect(await storedNames()).to.deep.equal(['a.tif']);
    expect(gateway.received.filter((blob) => !blob.duplicate)).to.have.length(1);
    expect(gateway.received.filter((blob) => blob.duplicate)).to.have.length(7);
  });

  it('should still store a concurrent identical upload when the first one fails', async () => {
    const body = Buffer.alloc(800, 7);
    const first = request({
      hostname: '127.0.0.1',
      port: gateway.port,
      path: `/stream/${sid}`,
      method: 'POST',
      headers: { ...blobHeaders('/run/a.tif', body), 'Content-Length': String(body.length) },
    });
    first.on('error', () => {});
    first.write(body.subarray(0, 400));
    await until(async () => (await readdir(join(store, sid)).catch(() => [])).some((name) => name.endsWith('.part')), 'the first upload to start');
    const second = postBlob(gateway, blobHeaders('/run/a.tif', body), body);
    // Give the second request time to reach the gateway and wait behind the first.
    await new Promise((resolve) => setTimeout(resolve, 100));
    first.destroy();
    const answer = await second;
    expect(answer.body).to.equal(ok);
    expect(await storedNames()).to.deep.equal(['a.tif']);
    expect(await readFile(join(store, sid, 'a.tif'))).to.deep.equal(body);
    expect(gateway.received.map((blob) => blob.duplicate)).to.deep.equal([false]);
  });

  it('should drop a retry that arrives after a restart, and store a new name with the same bytes', async () => {
    await postBlob(gateway, blobHeaders('/run/a.tif', 'kept'), 'kept');
    await gateway.close();
    gateway = await startGateway(options());
    const retry = await postBlob(gateway, blobHeaders('/run/a.tif', 'kept'), 'kept');
    expect(retry.body).to.equal(ok);
    await postBlob(gateway, blobHeaders('/run/b.tif', 'kept'), 'kept');
    expect(gateway.received.map((blob) => [blob.originalFilename, blob.duplicate])).to.deep.equal([
      ['/run/a.tif', true],
      ['/run/b.tif', false],
    ]);
    expect(await storedNames()).to.deep.equal(['a.tif', 'b.tif']);
  });

  it('should keep dropping retries after two restarts and remember every stream', async () => {
    await postBlob(gateway, blobHeaders('/run/a.tif', 'kept'), 'kept');
    for (let restart = 0; restart < 2; restart += 1) {
      await gateway.close();
      gateway = await startGateway(options());
      await postBlob(gateway, blobHeaders('/run/a.tif', 'kept'), 'kept');
      expect(gateway.received.map((blob) => blob.duplicate)).to.deep.equal([true]);
    }
    expect(await storedNames()).to.deep.equal(['a.tif']);
  });

  it('should not count an upload without X-HASTE-content-sha256 as a retry', async () => {
    for (let i = 0; i < 2; i += 1) {
      const headers = blobHeaders('/run/a.tif', 'plain');
      delete headers['X-HASTE-content-sha256'];
      await postBlob(gateway, headers, 'plain');
    }
    expect(await storedNames()).to.deep.equal(['a-1.tif', 'a.tif']);
  });

  it('should report a discarded repeat as a duplicate without storing it', async () => {
    await postBlob(gateway, blobHeaders('/run/a.tif', 'kept'), 'kept');
    await postBlob(gateway, blobHeaders('/run/a.tif', 'kept', { 'X-HASTE-tag': 'discard' }), 'kept');
    expect(gateway.received.map((blob) => [blob.tag, blob.duplicate, blob.storedPath === null])).to.deep.equal([
      ['vironova', false, false],
      ['discard', true, true],
    ]);
    expect(sha256('kept')).to.equal(gateway.received[0]?.sha256);
  });

  it('should drop a retry without a store too, by the same rule', async () => {
    const bare = await startGateway({ port: 0, username: 'agent', password: 's3cret' });
    try {
      for (const name of ['/run/a.tif', '/run/a.tif', '/run/b.tif']) {
        await postBlob(bare, blobHeaders(name, 'same'), 'same');
      }
      expect(bare.received.map((blob) => blob.duplicate)).to.deep.equal([false, true, false]);
    } finally {
      await bare.close();
    }
  });
});
