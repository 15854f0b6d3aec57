import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, lstatSync } from 'node:fs';
import { link, mkdtemp, open, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMPTY, firstValueFrom, of, toArray, type SchedulerLike } from 'rxjs';
import { startGateway } from '../../src/gateway/startGateway.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { FileItem } from '../../src/model/FileItem.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { createUploader } from '../../src/sinks/createUploader.js';
import type { GatewayRequest } from '../../src/sinks/GatewayRequest.js';

interface Seen {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingHttpHeaders;
  readonly bytes: number;
  readonly sha256: string;
}

/** A bare HTTP server that records what arrives and answers as told, or never. */
async function startRecorder(answer: { status: number; body: string } | 'never') {
  const seen: Seen[] = [];
  let arrived: () => void = () => {};
  const arrival = new Promise<void>((resolve) => {
    arrived = resolve;
  });
  let abortedEarly: () => void = () => {};
  const aborted = new Promise<void>((resolve) => {
    abortedEarly = resolve;
  });
  const server = createServer((req, res: ServerResponse) => {
    arrived();
    res.on('close', () => {
      if (!res.writableFinished) {
        abortedEarly();
      }
    });
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, headers: req.headers, bytes, sha256: hash.digest('hex') });
      if (answer !== 'never') {
        res.writeHead(answer.status, { 'Content-Type': 'text/plain' });
        res.end(answer.body);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    arrival,
    aborted,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Runs `body` against a recorder answering as told, closing the recorder however it ends. */
async function withRecorder(
  answer: Parameters<typeof startRecorder>[0],
  body: (recorder: Awaited<ReturnType<typeof startRecorder>>) => Promise<void>,
): Promise<void> {
  const recorder = await startRecorder(answer);
  try {
    await body(recorder);
  } finally {
    await recorder.close();
  }
}

const sha256Of = async (path: string): Promise<string> => {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
};

const within = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([promise, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`Timed out: ${what}`)), ms))]);

// Items are what the watcher would admit: the file's real size and mtime when it exists (the
// transport refuses a body that is not the file admitted).
const item = (path: string, size = 0, index = 0): FileItem => {
  const stats = existsSync(path) ? lstatSync(path) : undefined;
  return stats === undefined ? { path, size, mtimeMs: 0, index } : { path, size: stats.size, mtimeMs: stats.mtimeMs, index, dev: stats.dev, ino: stats.ino };
};
const credentials = { username: 'agent', password: 's3cret' };
const sid = '2026_11_25__03_19_00_vironova';

describe('createUploader', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-uploader-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should send the exact HASTE headers, Basic auth and Content-Length', async () => {
    await withRecorder({ status: 200, body: '{"result": "OK!"}' }, async (recorder) => {
      const path = join(dir, 'a.tif');
      await writeFile(path, 'hello world');
      let t = 0;
      const scheduler = { now: () => (t += 10) } as SchedulerLike;
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid, scheduler, clock: () => 1764040740123 });
      const result = await firstValueFrom(upload({ item: item(path, 11) }));
      expect(result).to.deep.equal({ item: item(path, 11), status: 200, bytes: 11, startedAt: 10, finishedAt: 20 });
      const [request] = recorder.seen;
      expect(request?.method).to.equal('POST');
      expect(request?.url).to.equal(`/stream/${sid}`);
      expect(request?.headers.authorization).to.equal(`Basic ${Buffer.from('agent:s3cret').toString('base64')}`);
      expect(request?.headers['x-haste-original_filename']).to.equal(path);
      expect(request?.headers['x-haste-tag']).to.equal('vironova');
      expect(request?.headers['x-haste-unixtime']).to.equal('1764040740.123');
      expect(request?.headers['content-length']).to.equal('11');
      expect(request?.headers['transfer-encoding']).to.equal(undefined);
      expect(request?.bytes).to.equal(11);
    });
  });

  it('should derive the stream id from startedAt and tag', async () => {
    const sent: GatewayRequest[] = [];
    const upload = createUploader({
      host: 'gateway.example:80/',
      ...credentials,
      tag: 'discard',
      startedAt: new Date(2026, 10, 25, 3, 19, 0),
      post: (request) => {
        sent.push(request);
        return of({ status: 200, text: '', bytesSent: 0 });
      },
    });
    await firstValueFrom(upload({ item: item('/x') }));
    expect(sent[0]?.url).to.equal('http://gateway.example/stream/2026_11_25__03_19_00_discard');
    expect(sent[0]?.headers['X-HASTE-tag']).to.equal('discard');
  });

  it('should accept a full URL with a path prefix and trailing slash', async () => {
    const sent: GatewayRequest[] = [];
    const upload = createUploader({
      host: 'https://example.org/haste/',
      ...credentials,
      streamId: sid,
      post: (request) => {
        sent.push(request);
        return of({ status: 200, text: '', bytesSent: 0 });
      },
    });
    await firstValueFrom(upload({ item: item('/x') }));
    expect(sent[0]?.url).to.equal(`https://example.org/haste/stream/${sid}`);
  });

  it('should send the body from bodyPath while naming the original file', async () => {
    await withRecorder({ status: 200, body: 'ok' }, async (recorder) => {
      const original = join(dir, 'big.tif');
      const reduced = join(dir, 'small.png');
      await writeFile(original, 'x'.repeat(100));
      await writeFile(reduced, 'tiny');
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid });
      const result = (await firstValueFrom(upload({ item: item(original, 100), bodyPath: reduced, bodySize: 4 }))) as UploadResult;
      expect(result.bytes).to.equal(4);
      expect(recorder.seen[0]?.headers['x-haste-original_filename']).to.equal(original);
      expect(recorder.seen[0]?.sha256).to.equal(createHash('sha256').update('tiny').digest('hex'));
    });
  });

  it('should send the bytes a job brought for its original, without reading the file again, and never for a copy', async () => {
    await withRecorder({ status: 200, body: 'ok' }, async (recorder) => {
      const original = join(dir, 'frame.dat');
      await writeFile(original, 'admitted');
      const admitted = item(original);
      // Bytes that differ from the file's (the file holds them as admitted) show which were sent.
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid });
      const result = (await firstValueFrom(upload({ item: admitted, bodyBytes: Buffer.from('brought!') }))) as UploadResult;
      expect(result.bytes).to.equal(8);
      expect(recorder.seen[0]?.headers['content-length']).to.equal('8');
      expect(recorder.seen[0]?.sha256).to.equal(createHash('sha256').update('brought!').digest('hex'));
      // A copy is read from its path: the original's bytes are not its body.
      const copy = join(dir, 'copy.png');
      await writeFile(copy, 'copy');
      await firstValueFrom(upload({ item: admitted, bodyPath: copy, bodySize: 4, bodyBytes: Buffer.from('admitted') }));
      expect(recorder.seen[1]?.sha256).to.equal(createHash('sha256').update('copy').digest('hex'));
    });
  });

  it('should send no bytes a job brought once the path no longer holds the admitted file', async () => {
    await withRecorder({ status: 200, body: 'ok' }, async (recorder) => {
      const original = join(dir, 'frame.dat');
      await writeFile(original, 'admitted');
      const admitted = item(original);
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid });
      await rm(original);
      await writeFile(original, 'replaced');
      const replaced = await firstValueFrom(upload({ item: admitted, bodyBytes: Buffer.from('admitted') }));
      expect(replaced).to.be.instanceOf(GatewayError);
      expect((replaced as GatewayError).cause).to.include({ code: 'ECHANGED', superseded: true });
      await rm(original);
      await symlink(join(dir, 'elsewhere'), original);
      const swapped = await firstValueFrom(upload({ item: admitted, bodyBytes: Buffer.from('admitted') }));
      expect((swapped as GatewayError).cause).to.include({ code: 'ECHANGED', superseded: false });
      await rm(original);
      const gone = await firstValueFrom(upload({ item: admitted, bodyBytes: Buffer.from('admitted') }));
      expect((gone as GatewayError).cause).to.include({ code: 'ENOENT' });
      expect(recorder.seen).to.deep.equal([]);
    });
  });

  it('should stream a 64 MiB file byte-identical with Content-Length, not chunked', async () => {
    await withRecorder({ status: 200, body: 'ok' }, async (recorder) => {
      const path = join(dir, 'large.bin');
      const size = 64 * 1024 * 1024;
      const handle = await open(path, 'w');
      // Sparse file with marks at the start, middle and end so a dropped or reordered chunk shows up.
      await handle.truncate(size);
      for (const offset of [0, size / 2 + 7, size - 4096]) {
        await handle.write(createHash('sha512').update(String(offset)).digest(), 0, 64, offset);
      }
      await handle.close();
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid });
      const result = await firstValueFrom(upload({ item: item(path, size) }));
      expect(result).to.not.be.instanceOf(GatewayError);
      const [request] = recorder.seen;
      expect(request?.headers['content-length']).to.equal(String(size));
      expect(request?.headers['transfer-encoding']).to.equal(undefined);
      expect(request?.bytes).to.equal(size);
      expect(request?.sha256).to.equal(await sha256Of(path));
    });
  });

  it('should percent-encode a non-ASCII or control-character name and store it safely', async () => {
    const gateway = await startGateway({ port: 0, ...credentials, store: join(dir, 'store') });
    const recorder = await startRecorder({ status: 200, body: 'ok' });
    try {
      const path = join(dir, 'ångström\nimage.tif');
      await writeFile(path, 'u');
      for (const host of [gateway.url, recorder.host]) {
        const result = await firstValueFrom(createUploader({ host, ...credentials, streamId: sid })({ item: item(path, 1) }));
        expect(result).to.not.be.instanceOf(GatewayError);
      }
      expect(recorder.seen[0]?.headers['x-haste-original_filename']).to.equal(`${dir}/%C3%A5ngstr%C3%B6m%0Aimage.tif`);
      expect(gateway.received[0]?.originalFilename).to.equal(path);
      expect(await readdir(join(dir, 'store', sid))).to.deep.equal(['ångström_image.tif']);
    } finally {
      await Promise.all([gateway.close(), recorder.close()]);
    }
  });

  it('should leave printable ASCII names alone and escape % only in names it encodes', async () => {
    const sent: GatewayRequest[] = [];
    const upload = createUploader({
      host: 'localhost:8080',
      ...credentials,
      streamId: sid,
      post: (request) => {
        sent.push(request);
        return of({ status: 200, text: '', bytesSent: 0 });
      },
    });
    await firstValueFrom(upload({ item: item('/d/rate 100%.tif') }));
    await firstValueFrom(upload({ item: item('/d/ü 100%\t.tif') }));
    expect(sent.map((r) => r.headers['X-HASTE-original_filename'])).to.deep.equal(['/d/rate 100%.tif', '/d/%C3%BC 100%25%09.tif']);
  });

  it('should upload end to end to the embedded gateway', async () => {
    const gateway = await startGateway({ port: 0, ...credentials, store: join(dir, 'store') });
    try {
      const path = join(dir, 'e2e.tif');
      await writeFile(path, 'end to end');
      const result = (await firstValueFrom(
        createUploader({ host: `${gateway.url}/`, ...credentials, streamId: sid })({ item: item(path, 10) }),
      )) as UploadResult;
      expect(result.status).to.equal(200);
      expect(await readFile(join(dir, 'store', sid, 'e2e.tif'), 'utf8')).to.equal('end to end');
    } finally {
      await gateway.close();
    }
  });

  it('should report bad credentials as a 401 GatewayError without the password', async () => {
    const gateway = await startGateway({ port: 0, username: 'agent', password: 'right' });
    try {
      const path = join(dir, 'a.tif');
      await writeFile(path, 'a');
      const result = await firstValueFrom(
        createUploader({ host: gateway.url, username: 'agent', password: 'wrong-secret', streamId: sid })({ item: item(path, 1) }),
      );
      expect(result).to.be.instanceOf(GatewayError);
      const error = result as GatewayError;
      expect(error.status).to.equal(401);
      expect(error.path).to.equal(path);
      expect(error.message).to.match(/credentials/).and.include('"agent"').and.not.include('wrong-secret');
    } finally {
      await gateway.close();
    }
  });

  it('should report a refused tag as a 412 GatewayError naming the tag', async () => {
    const gateway = await startGateway({ port: 0, ...credentials });
    try {
      const path = join(dir, 'a.tif');
      await writeFile(path, 'a');
      const result = await firstValueFrom(
        createUploader({ host: gateway.url, ...credentials, tag: 'mystery', streamId: sid })({ item: item(path, 1) }),
      );
      expect((result as GatewayError).status).to.equal(412);
      expect((result as GatewayError).message).to.match(/does not accept tag "mystery"/);
    } finally {
      await gateway.close();
    }
  });

  it('should include a snippet of the body for other statuses', async () => {
    await withRecorder({ status: 503, body: 'upstream\nbusy' }, async (recorder) => {
      const path = join(dir, 'a.tif');
      await writeFile(path, 'a');
      const result = await firstValueFrom(createUploader({ host: recorder.host, ...credentials, streamId: sid })({ item: item(path, 1) }));
      expect((result as GatewayError).status).to.equal(503);
      expect((result as GatewayError).message).to.include('503').and.include('upstream busy');
    });
  });

  it('should carry Retry-After as retryAfterMs, in seconds or as an HTTP date', async () => {
    const path = join(dir, 'a.tif');
    await writeFile(path, 'a');
    const now = Date.parse('2026-11-25T03:00:00Z');
    const answer = (retryAfter: string | undefined) =>
      createUploader({
        host: 'gw:1',
        ...credentials,
        streamId: sid,
        clock: () => now,
        post: () => of({ status: 503, text: 'busy', bytesSent: 1, ...(retryAfter === undefined ? {} : { retryAfter }) }),
      })({ item: item(path, 1) });
    expect(((await firstValueFrom(answer('7'))) as GatewayError).retryAfterMs).to.equal(7000);
    expect(((await firstValueFrom(answer('Wed, 25 Nov 2026 03:00:30 GMT'))) as GatewayError).retryAfterMs).to.equal(30000);
    expect(((await firstValueFrom(answer('soon'))) as GatewayError).retryAfterMs).to.equal(undefined);
    expect(((await firstValueFrom(answer(undefined))) as GatewayError).retryAfterMs).to.equal(undefined);
  });

  it('should read Retry-After from a real answer', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(429, { 'Retry-After': '3' });
        res.end('slow down');
      });
    });
    server.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const path = join(dir, 'a.tif');
      await writeFile(path, 'a');
      const { port } = server.address() as AddressInfo;
      const result = await firstValueFrom(createUploader({ host: `127.0.0.1:${port}`, ...credentials, streamId: sid })({ item: item(path, 1) }));
      expect((result as GatewayError).status).to.equal(429);
      expect((result as GatewayError).retryAfterMs).to.equal(3000);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('should say that a body is a reduced copy, and of what format, while naming the original', async () => {
    await withRecorder({ status: 200, body: 'ok' }, async (recorder) => {
      const original = join(dir, 'frame.tif');
      const reduced = join(dir, 'frame.png');
      await writeFile(original, 'x'.repeat(100));
      await writeFile(reduced, 'tiny');
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid });
      const settings = { reducer: 'reduceImage', tolerance: 30, compressionLevel: 6, note: 'a b;c' };
      await firstValueFrom(upload({ item: item(original), bodyPath: reduced, bodySize: 4, bodyMediaType: 'image/png', bodyReduction: settings }));
      await firstValueFrom(upload({ item: item(original) }));
      const [copy, plain] = recorder.seen;
      expect(copy?.headers['x-haste-original_filename']).to.equal(original);
      expect(copy?.headers['content-type']).to.equal('image/png');
      expect(copy?.headers['x-haste-reduction']).to.equal('reducer=reduceImage; tolerance=30; compressionLevel=6; note=a%20b%3Bc');
      expect(plain?.headers['content-type']).to.equal(undefined);
      expect(plain?.headers['x-haste-reduction']).to.equal(undefined);
    });
  });

  it('should mark a copy made by a reducer that names no settings as reducer=unknown', async () => {
    const sent: GatewayRequest[] = [];
    const upload = createUploader({
      host: 'localhost:1',
      ...credentials,
      streamId: sid,
      post: (request) => {
        sent.push(request);
        return of({ status: 200, text: '', bytesSent: 0 });
      },
    });
    await firstValueFrom(upload({ item: item('/in/a.tif'), bodyPath: '/spool/a.bin' }));
    expect(sent[0]?.headers['X-HASTE-reduction']).to.equal('reducer=unknown');
    expect(sent[0]?.headers['Content-Type']).to.equal(undefined);
  });

  it('should not send one byte of a symlink swapped in for an admitted file', async () => {
    await withRecorder({ status: 200, body: 'ok' }, async (recorder) => {
      const secret = join(dir, 'secret.txt');
      const path = join(dir, 'a.tif');
      await writeFile(secret, 'TOP-SECRET');
      await writeFile(path, 'instrument');
      const admitted = item(path);
      await rm(path);
      await symlink(secret, path);
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid });
      const result = await firstValueFrom(upload({ item: admitted }));
      expect(result).to.be.instanceOf(GatewayError);
      expect((result as GatewayError).status).to.equal(0);
      expect(((result as GatewayError).cause as NodeJS.ErrnoException).code).to.equal('ELOOP');
      expect(recorder.seen).to.deep.equal([]);
    });
  });

  it('should not send a file that replaced the admitted one, even with the same size and mtime', async () => {
    await withRecorder({ status: 200, body: 'ok' }, async (recorder) => {
      const other = join(dir, 'other.txt');
      const path = join(dir, 'a.tif');
      await writeFile(path, 'instrument');
      await writeFile(other, 'OTHER-DATA');
      const when = new Date('2026-01-02T03:04:05Z');
      await utimes(path, when, when);
      await utimes(other, when, when);
      const admitted = item(path);
      // A hard link keeps no trace of a swap in the name: only the inode tells.
      await rm(path);
      await link(other, path);
      const upload = createUploader({ host: recorder.host, ...credentials, streamId: sid });
      const result = await firstValueFrom(upload({ item: admitted }));
      expect(result).to.be.instanceOf(GatewayError);
      expect(((result as GatewayError).cause as { code?: string }).code).to.equal('ECHANGED');
      expect((result as GatewayError).message).to.contain('another inode');
      expect(recorder.seen).to.deep.equal([]);
    });
  });

  it('should report a vanished file as a GatewayError with status 0', async () => {
    const upload = createUploader({ host: '127.0.0.1:9', ...credentials, streamId: sid });
    const path = join(dir, 'gone.tif');
    const result = await firstValueFrom(upload({ item: item(path, 5) }));
    expect(result).to.be.instanceOf(GatewayError);
    expect((result as GatewayError).status).to.equal(0);
    expect((result as GatewayError).item).to.deep.equal(item(path, 5));
    expect((result as GatewayError).message).to.include('ENOENT');
  });

  it('should report a refused connection as a GatewayError with status 0', async () => {
    const recorder = await startRecorder('never');
    const { host } = recorder;
    await recorder.close();
    const path = join(dir, 'a.tif');
    await writeFile(path, 'a');
    const result = await firstValueFrom(createUploader({ host, ...credentials, streamId: sid })({ item: item(path, 1) }));
    expect((result as GatewayError).status).to.equal(0);
  });

  it('should abort the request when unsubscribed early', async () => {
    await withRecorder('never', async (recorder) => {
      const path = join(dir, 'slow.tif');
      await writeFile(path, 'slow');
      const values: unknown[] = [];
      const subscription = createUploader({ host: recorder.host, ...credentials, streamId: sid })({ item: item(path, 4) }).subscribe(
        (value) => values.push(value),
      );
      await within(recorder.arrival, 5000, 'request to arrive');
      subscription.unsubscribe();
      await within(recorder.aborted, 5000, 'server to see the request aborted');
      expect(values).to.deep.equal([]);
    });
  });

  it('should turn an injected post that throws or ends silently into a status 0 GatewayError', async () => {
    const throwing = createUploader({
      host: 'localhost:8080',
      ...credentials,
      streamId: sid,
      post: () => {
        throw new Error('transport exploded');
      },
    });
    const silent = createUploader({ host: 'localhost:8080', ...credentials, streamId: sid, post: () => EMPTY });
    const [first] = await firstValueFrom(throwing({ item: item('/a') }).pipe(toArray()));
    const [second] = await firstValueFrom(silent({ item: item('/b') }).pipe(toArray()));
    expect([first, second].map((r) => [(r as GatewayError).status, (r as GatewayError).path])).to.deep.equal([
      [0, '/a'],
      [0, '/b'],
    ]);
    expect((first as GatewayError).message).to.include('transport exploded');
  });

  it('should validate its options eagerly', () => {
    const base = { host: 'localhost:8080', ...credentials };
    const bad = [
      { ...base, host: '' },
      { ...base, host: 'ftp://example.org' },
      { ...base, host: 'http://user:pw@example.org' },
      { ...base, username: 'a:b' },
      { ...base, password: undefined },
      { ...base, streamId: '../x' },
      { ...base, tag: 'bad tag' },
      { ...base, post: 'nope' },
    ];
    for (const options of bad) {
      expect(() => createUploader(options as never), JSON.stringify(options)).to.throw(TypeError);
    }
  });
});
