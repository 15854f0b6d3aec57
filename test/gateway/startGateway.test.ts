import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

const goodAuth = `Basic ${Buffer.from('agent:s3cret').toString('base64')}`;
const sid = '2026_11_25__03_19_00_vironova';

function send(
  gateway: RunningGateway,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: Buffer | string; chunked?: boolean },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : Buffer.from(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined && options.chunked !== true) {
      headers['Content-Length'] = String(body.length);
    }
    // Host and path given apart so the client sends the path verbatim, `..` and all.
    const target = { hostname: '127.0.0.1', port: gateway.port, path: options.path ?? '/' };
    const req = request({ ...target, method: options.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (body !== undefined && options.chunked === true) {
      // Two writes without Content-Length force chunked encoding.
      req.write(body.subarray(0, 1));
      req.end(body.subarray(1));
    } else {
      req.end(body);
    }
  });
}

function blob(filename: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    Authorization: goodAuth,
    'X-HASTE-original_filename': filename,
    'X-HASTE-tag': 'vironova',
    'X-HASTE-unixtime': '1764040740.123',
    ...extra,
  };
}

describe('startGateway', () => {
  let store: string;
  let gateway: RunningGateway;
  let lines: string[];

  beforeEach(async () => {
    store = await mkdtemp(join(tmpdir(), 'haste-gateway-'));
    lines = [];
    gateway = await startGateway({
      port: 0,
      username: 'agent',
      password: 's3cret',
      store,
      maxBodyBytes: 1000,
      log: (line) => lines.push(line),
    });
  });

  afterEach(async () => {
    await gateway.close();
    await rm(store, { recursive: true, force: true });
  });

  it('should listen on loopback at the port it reports', () => {
    expect(gateway.port).to.be.greaterThan(0);
    expect(gateway.url).to.equal(`http://127.0.0.1:${gateway.port}`);
  });

  it('should answer Hello! to GET / with a valid login', async () => {
    const answer = await send(gateway, { headers: { Authorization: goodAuth } });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.equal('Hello!');
  });

  it('should answer Hello! to GET /{name} too, as the real gateway routes it, and 401 without a login', async () => {
    const answer = await send(gateway, { path: '/anything', headers: { Authorization: goodAuth } });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.equal('Hello!');
    expect((await send(gateway, { path: '/anything' })).status).to.equal(401);
  });

  it('should answer 401 with the HASTE Cloud realm without or with a wrong login', async () => {
    const wrong = `Basic ${Buffer.from('agent:wrong').toString('base64')}`;
    const attempts: Record<string, string>[] = [{}, { Authorization: wrong }, { Authorization: 'Bearer x' }];
    for (const headers of attempts) {
      const answer = await send(gateway, { headers });
      expect(answer.status).to.equal(401);
      expect(answer.headers['www-authenticate']).to.equal('Basic realm="HASTE Cloud"');
      expect(answer.body).to.equal(
        'The request has not been applied because it lacks valid authentication credentials for the target resource.',
      );
    }
  });

  it('should refuse a blob with bad credentials and store nothing', async () => {
    const answer = await send(gateway, {
      method: 'POST',
      path: `/stream/${sid}`,
      headers: blob('/data/a.tif', { Authorization: `Basic ${Buffer.from('agent:nope').toString('base64')}` }),
      body: 'abc',
    });
    expect(answer.status).to.equal(401);
    expect(gateway.received).to.deep.equal([]);
    expect(await readdir(store)).to.deep.equal([]);
  });

  it('should store a blob and answer the exact OK body', async () => {
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('/data/run 1/a.tif'), body: 'hello' });
    expect(answer.status).to.equal(200);
    expect(answer.body).to.equal('{"result": "OK!"}');
    expect(answer.headers['content-type']).to.match(/^application\/json/);
    const storedPath = join(store, sid, 'a.tif');
    expect(await readFile(storedPath, 'utf8')).to.equal('hello');
    expect(gateway.received).to.deep.equal([
      {
        streamId: sid,
        originalFilename: '/data/run 1/a.tif',
        storedPath,
        bytes: 5,
        sha256: createHash('sha256').update('hello').digest('hex'),
        tag: 'vironova',
        unixtime: '1764040740.123',
        duplicate: false,
      },
    ]);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include('stored').and.include(sid).and.not.include('s3cret');
  });

  it('should answer 412 to a tag it does not accept', async () => {
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('a.tif', { 'X-HASTE-tag': 'other' }), body: 'x' });
    expect(answer.status).to.equal(412);
    expect(answer.body).to.equal('The request has not been applied because it lacks valid X-HASTE-tag.');
    expect(gateway.received).to.deep.equal([]);
  });

  it('should answer OK to discard without storing anything', async () => {
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('a.tif', { 'X-HASTE-tag': 'discard' }), body: 'xyz' });
    expect(answer.body).to.equal('{"result": "OK!"}');
    expect(gateway.received.map((r) => [r.storedPath, r.bytes, r.tag])).to.deep.equal([[null, 3, 'discard']]);
    expect(await readdir(store)).to.deep.equal([]);
  });

  it('should neutralise path traversal in the file name', async () => {
    for (const name of ['../../etc/passwd', '..\\..\\evil.txt', '..', '/etc/shadow', '%2e%2e%2fup.txt']) {
      const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob(name), body: 'x' });
      expect(answer.status).to.equal(200);
    }
    expect((await readdir(join(store, sid))).sort()).to.deep.equal(['blob', 'evil.txt', 'passwd', 'shadow', 'up.txt']);
    expect(await readdir(store)).to.deep.equal([sid]);
  });

  it('should reject bad stream ids with 400 and unknown paths with 404', async () => {
    for (const id of ['..', '%2e%2e', 'a.b', '_x', `${'a'.repeat(129)}`, 'a%2Fb']) {
      const answer = await send(gateway, { method: 'POST', path: `/stream/${id}`, headers: blob('a.tif'), body: 'x' });
      expect(answer.status, id).to.equal(400);
    }
    for (const path of ['/stream/a/../../b', '/stream/../x', '/stream/x/']) {
      const answer = await send(gateway, { method: 'POST', path, headers: blob('a.tif'), body: 'x' });
      expect(answer.status, path).to.equal(404);
    }
    expect(await readdir(store)).to.deep.equal([]);
  });

  it('should decode a percent-encoded unicode name and store it under a safe name', async () => {
    const answer = await send(gateway, {
      method: 'POST',
      path: `/stream/${sid}`,
      headers: blob('/data/%C3%A5ngstr%C3%B6m%0Aimage.tif'),
      body: 'x',
    });
    expect(answer.status).to.equal(200);
    expect(gateway.received[0]?.originalFilename).to.equal('/data/ångström\nimage.tif');
    expect(await readdir(join(store, sid))).to.deep.equal(['ångström_image.tif']);
  });

  it('should add a numeric suffix when a name is already taken', async () => {
    for (const body of ['one', 'two', 'three']) {
      await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('/a/img.tif'), body });
    }
    expect(gateway.received.map((r) => r.storedPath)).to.deep.equal(
      ['img.tif', 'img-1.tif', 'img-2.tif'].map((name) => join(store, sid, name)),
    );
    expect(await readFile(join(store, sid, 'img-2.tif'), 'utf8')).to.equal('three');
  });

  it('should answer 413 when Content-Length exceeds maxBodyBytes', async () => {
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('big.tif'), body: Buffer.alloc(1001) });
    expect(answer.status).to.equal(413);
    expect(gateway.received).to.deep.equal([]);
  });

  it('should answer 413 when a chunked body grows past maxBodyBytes and leave no temp file', async () => {
    const answer = await send(gateway, {
      method: 'POST',
      path: `/stream/${sid}`,
      headers: blob('big.tif'),
      body: Buffer.alloc(1500),
      chunked: true,
    });
    expect(answer.status).to.equal(413);
    expect(gateway.received).to.deep.equal([]);
    expect(await readdir(join(store, sid))).to.deep.equal([]);
  });

  it('should accept a chunked body within the limit', async () => {
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('c.tif'), body: 'chunky', chunked: true });
    expect(answer.status).to.equal(200);
    expect(await readFile(join(store, sid, 'c.tif'), 'utf8')).to.equal('chunky');
  });

  it('should store a blob once when X-HASTE-content-sha256 repeats in a stream', async () => {
    const sha = createHash('sha256').update('same').digest('hex');
    for (let i = 0; i < 2; i += 1) {
      const answer = await send(gateway, {
        method: 'POST',
        path: `/stream/${sid}`,
        headers: blob('/a/s.tif', { 'X-HASTE-content-sha256': sha }),
        body: 'same',
      });
      expect(answer.body).to.equal('{"result": "OK!"}');
    }
    expect(gateway.received.map((r) => [r.duplicate, r.sha256])).to.deep.equal([
      [false, sha],
      [true, sha],
    ]);
    expect(gateway.received[1]?.storedPath).to.equal(null);
    expect(await readdir(join(store, sid))).to.deep.equal(['s.tif']);
  });

  it('should answer 400 when the body does not match X-HASTE-content-sha256', async () => {
    const sha = createHash('sha256').update('other').digest('hex');
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('m.tif', { 'X-HASTE-content-sha256': sha }), body: 'x' });
    expect(answer.status).to.equal(400);
    expect(await readdir(join(store, sid))).to.deep.equal([]);
  });

  it('should not treat a repeated hash as a duplicate when the body differs from it', async () => {
    const sha = createHash('sha256').update('same').digest('hex');
    await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('d.tif', { 'X-HASTE-content-sha256': sha }), body: 'same' });
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob('d.tif', { 'X-HASTE-content-sha256': sha }), body: 'diff' });
    expect(answer.status).to.equal(400);
    expect(gateway.received).to.have.length(1);
  });

  it('should cap long names without splitting characters', async () => {
    await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers: blob(encodeURIComponent('é'.repeat(150))), body: 'x' });
    const [name] = await readdir(join(store, sid));
    expect(name).to.equal('é'.repeat(100));
  });

  it('should drop the temp file when a client gives up mid-body', async () => {
    const req = request({
      hostname: '127.0.0.1',
      port: gateway.port,
      path: `/stream/${sid}`,
      method: 'POST',
      headers: { ...blob('half.tif'), 'Content-Length': '800' },
    });
    req.on('error', () => {});
    req.write(Buffer.alloc(400));
    const folder = join(store, sid);
    const until = async (check: (names: string[]) => boolean): Promise<void> => {
      for (let i = 0; i < 200; i += 1) {
        const names = await readdir(folder).catch(() => [] as string[]);
        if (check(names)) {
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('gave up waiting for the store folder');
    };
    await until((names) => names.some((name) => name.endsWith('.part')));
    req.destroy();
    await until((names) => names.length === 0);
    expect(gateway.received).to.deep.equal([]);
  });

  it('should answer 400 when a protocol header is missing', async () => {
    const headers = blob('a.tif');
    delete headers['X-HASTE-unixtime'];
    const answer = await send(gateway, { method: 'POST', path: `/stream/${sid}`, headers, body: 'x' });
    expect(answer.status).to.equal(400);
  });

  it('should answer 404 to unknown routes and 405 to wrong methods', async () => {
    expect((await send(gateway, { path: '/nope/deeper', headers: { Authorization: goodAuth } })).status).to.equal(404);
    const wrongGet = await send(gateway, { path: `/stream/${sid}`, headers: { Authorization: goodAuth } });
    expect(wrongGet.status).to.equal(405);
    expect(wrongGet.headers.allow).to.equal('POST');
    expect((await send(gateway, { method: 'POST', path: '/', headers: { Authorization: goodAuth }, body: '' })).status).to.equal(405);
  });

  it('should keep nothing on disk without a store', async () => {
    const bare = await startGateway({ port: 0, username: 'agent', password: 's3cret' });
    try {
      const answer = await send(bare, { method: 'POST', path: `/stream/${sid}`, headers: blob('a.tif'), body: 'abc' });
      expect(answer.status).to.equal(200);
      expect(bare.received.map((r) => [r.storedPath, r.bytes])).to.deep.equal([[null, 3]]);
    } finally {
      await bare.close();
    }
  });

  it('should keep only the latest keepReceived blobs and count every one', async () => {
    const short = await startGateway({ port: 0, username: 'agent', password: 's3cret', store, keepReceived: 2 });
    try {
      for (const [name, tag] of [['a.tif', 'vironova'], ['b.tif', 'vironova'], ['c.tif', 'discard'], ['d.tif', 'vironova']]) {
        await send(short, { method: 'POST', path: `/stream/${sid}`, headers: blob(name!, { 'X-HASTE-tag': tag!, 'X-HASTE-content-sha256': createHash('sha256').update('x').digest('hex') }), body: 'x' });
      }
      await send(short, { method: 'POST', path: `/stream/${sid}`, headers: blob('a.tif', { 'X-HASTE-content-sha256': createHash('sha256').update('x').digest('hex') }), body: 'x' });
      expect(short.received.map((r) => r.originalFilename)).to.deep.equal(['d.tif', 'a.tif']);
      expect(short.counts).to.deep.equal({ accepted: 5, stored: 3, duplicates: 1, discarded: 1, bytes: 5 });
    } finally {
      await short.close();
    }
  });

  it('should validate its options eagerly', async () => {
    const base = { username: 'u', password: 'p' };
    for (const bad of [{ ...base, port: -1 }, { ...base, port: 1.5 }, { ...base, maxBodyBytes: -1 }, { ...base, tags: [''] }, { ...base, keepReceived: -1 }, { username: 'u' }]) {
      let error: unknown;
      try {
        await startGateway(bad as never);
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(bad)).to.be.instanceOf(TypeError);
    }
  });
});
