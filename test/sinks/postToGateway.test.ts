import { expect } from 'chai';
import { lstat, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, map, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { UploadJob } from '../../src/model/UploadJob.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import type { GatewayRequest } from '../../src/sinks/GatewayRequest.js';
import type { GatewayResponse } from '../../src/sinks/GatewayResponse.js';
import { postToGateway, type PostToGatewayOptions } from '../../src/sinks/postToGateway.js';

const sid = '2026_11_25__03_19_00_vironova';
const item = (name: string, index: number): FileItem => ({ path: `/in/${name}.tif`, size: 3, mtimeMs: 0, index });
const items = { a: item('a', 0), b: item('b', 1), c: item('c', 2) };
const jobs = { a: { item: items.a }, b: { item: items.b }, c: { item: items.c } };
const ok: GatewayResponse = { status: 200, text: '{"result": "OK!"}', bytesSent: 3 };
const result = (it: FileItem, startedAt: number, finishedAt: number): UploadResult => ({
  item: it,
  status: 200,
  bytes: 3,
  startedAt,
  finishedAt,
});

/** Errors compare by what a caller branches on, since chai's deep equality ignores Error fields. */
const plain = map((value: UploadResult | GatewayError) =>
  value instanceof GatewayError ? { status: value.status, path: value.path, message: value.message } : value,
);

describe('postToGateway', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const options = (
    posts: Record<string, () => Observable<GatewayResponse>>,
    concurrency?: number,
  ): PostToGatewayOptions => ({
    host: 'localhost:8080',
    username: 'agent',
    password: 's3cret',
    streamId: sid,
    scheduler: testScheduler,
    clock: () => 0,
    concurrency,
    post: (request: GatewayRequest) => {
      const make = posts[request.headers['X-HASTE-original_filename'] ?? ''];
      if (make === undefined) {
        throw new Error(`no stand-in for ${request.headers['X-HASTE-original_filename']}`);
      }
      return make();
    },
  });

  it('should upload one at a time in order with concurrency 1', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('     -(abc|)', jobs);
      const postA = cold('       ----r|', { r: ok });
      const postB = cold('           ----r|', { r: ok });
      const postC = cold('               ----r|', { r: ok });
      const expected = '        -----A---B---(C|)';
      const operator = postToGateway(options({ '/in/a.tif': () => postA, '/in/b.tif': () => postB, '/in/c.tif': () => postC }, 1));
      expectObservable(source.pipe(operator)).toBe(expected, {
        A: result(items.a, 1, 5),
        B: result(items.b, 5, 9),
        C: result(items.c, 9, 13),
      });
      expectSubscriptions(postA.subscriptions).toBe('-^---!');
      expectSubscriptions(postB.subscriptions).toBe('-----^---!');
      expectSubscriptions(postC.subscriptions).toBe('---------^---!');
    });
  });

  it('should run two uploads at once with concurrency 2', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('     -(abc|)', jobs);
      const postA = cold('       ----r|', { r: ok });
      const postB = cold('       ----r|', { r: ok });
      const postC = cold('           ----r|', { r: ok });
      const expected = '        -----(AB)(C|)';
      const operator = postToGateway(options({ '/in/a.tif': () => postA, '/in/b.tif': () => postB, '/in/c.tif': () => postC }, 2));
      expectObservable(source.pipe(operator)).toBe(expected, {
        A: result(items.a, 1, 5),
        B: result(items.b, 1, 5),
        C: result(items.c, 5, 9),
      });
      expectSubscriptions(postA.subscriptions).toBe('-^---!');
      expectSubscriptions(postB.subscriptions).toBe('-^---!');
      expectSubscriptions(postC.subscriptions).toBe('-----^---!');
    });
  });

  it('should emit in completion order when a later upload answers first', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('     -ab|', jobs);
      const postA = cold('       -----r|', { r: ok });
      const postB = cold('        -r|', { r: ok });
      const expected = '        ---B--(A|)';
      const operator = postToGateway(options({ '/in/a.tif': () => postA, '/in/b.tif': () => postB }, 2));
      expectObservable(source.pipe(operator)).toBe(expected, { A: result(items.a, 1, 6), B: result(items.b, 2, 3) });
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<UploadJob>('-');
      expectObservable(source.pipe(postToGateway(options({})))).toBe('-');
    });
  });

  it('should complete at once for an empty source', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<UploadJob>('|');
      expectObservable(source.pipe(postToGateway(options({})))).toBe('|');
    });
  });

  it('should wait for the last upload before completing', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('     -a|', jobs);
      const postA = cold('       --r|', { r: ok });
      const expected = '        ---(A|)';
      expectObservable(source.pipe(postToGateway(options({ '/in/a.tif': () => postA })))).toBe(expected, {
        A: result(items.a, 1, 3),
      });
      expectSubscriptions(postA.subscriptions).toBe('-^-!');
    });
  });

  it('should keep going after a non-2xx answer', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('     -ab|', jobs);
      const postA = cold('       -r|', { r: { status: 500, text: 'boom', bytesSent: 3 } });
      const postB = cold('        --r|', { r: ok });
      const expected = '        --A-(B|)';
      const operator = postToGateway(options({ '/in/a.tif': () => postA, '/in/b.tif': () => postB }, 1));
      expectObservable(source.pipe(operator, plain)).toBe(expected, {
        A: { status: 500, path: '/in/a.tif', message: 'Gateway http://localhost:8080 answered 500 for /in/a.tif: boom' },
        B: result(items.b, 2, 4),
      });
    });
  });

  it('should turn a transport error into a status 0 value and keep going', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('     -ab|', jobs);
      const postA = cold('       -#', undefined, new Error('socket hang up')) as Observable<GatewayResponse>;
      const postB = cold('        --r|', { r: ok });
      const expected = '        --A-(B|)';
      const operator = postToGateway(options({ '/in/a.tif': () => postA, '/in/b.tif': () => postB }, 1));
      expectObservable(source.pipe(operator, plain)).toBe(expected, {
        A: { status: 0, path: '/in/a.tif', message: 'Could not upload /in/a.tif to http://localhost:8080: socket hang up' },
        B: result(items.b, 2, 4),
      });
    });
  });

  it('should turn an injected post that throws into a value and keep going', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('     -ab|', jobs);
      const postB = cold('        --r|', { r: ok });
      const expected = '        -A--(B|)';
      const operator = postToGateway(
        options(
          {
            '/in/a.tif': () => {
              throw new Error('post exploded');
            },
            '/in/b.tif': () => postB,
          },
          1,
        ),
      );
      expectObservable(source.pipe(operator, plain)).toBe(expected, {
        A: { status: 0, path: '/in/a.tif', message: 'Could not upload /in/a.tif to http://localhost:8080: post exploded' },
        B: result(items.b, 2, 4),
      });
    });
  });

  it('should pass a source error on and cancel uploads in flight', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('     -a-#', jobs, new Error('watcher died'));
      const postA = cold('       ----r|', { r: ok });
      const expected = '        ---#';
      expectObservable(source.pipe(postToGateway(options({ '/in/a.tif': () => postA })))).toBe(expected, undefined, new Error('watcher died'));
      expectSubscriptions(postA.subscriptions).toBe('-^-!');
    });
  });

  it('should keep emitting for a source that never ends', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('     -a-b--', jobs);
      const postA = cold('       -r|', { r: ok });
      const postB = cold('         -r|', { r: ok });
      const expected = '        --A-B-';
      const operator = postToGateway(options({ '/in/a.tif': () => postA, '/in/b.tif': () => postB }));
      expectObservable(source.pipe(operator)).toBe(expected, { A: result(items.a, 1, 2), B: result(items.b, 3, 4) });
    });
  });

  it('should cancel uploads in flight on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('     -(ab)', jobs);
      const postA = cold('       -----r|', { r: ok });
      const postB = cold('       -----r|', { r: ok });
      const unsubscribe = '     ---!';
      const operator = postToGateway(options({ '/in/a.tif': () => postA, '/in/b.tif': () => postB }, 2));
      expectObservable(source.pipe(operator), unsubscribe).toBe('---');
      expectSubscriptions(postA.subscriptions).toBe('-^-!');
      expectSubscriptions(postB.subscriptions).toBe('-^-!');
    });
  });

  it('should reject a concurrency that is not an integer >= 1', () => {
    const base = { host: 'localhost:8080', username: 'u', password: 'p' };
    expect(() => postToGateway({ ...base, concurrency: 0 })).to.throw(TypeError, 'Expected `concurrency` to be an integer >= 1, got 0');
    expect(() => postToGateway({ ...base, concurrency: 1.5 })).to.throw(TypeError, 'got 1.5');
    expect(() => postToGateway({ ...base, concurrency: Number.NaN })).to.throw(TypeError, 'got NaN');
  });

  describe('against a real server', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'haste-post-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /**
     * Holds each answer until `releaseAt` requests are open or `holdMs` passed, so uploads that
     * are allowed to overlap do overlap, and counts the most open at once.
     */
    async function measureInFlight(concurrency: number, files: number, releaseAt: number, holdMs: number): Promise<number> {
      let inFlight = 0;
      let maxInFlight = 0;
      let waiting: Array<() => void> = [];
      const server = createServer((req, res) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        res.on('close', () => {
          inFlight -= 1;
        });
        req.resume();
        req.on('end', () => {
          const answer = () => res.end('{"result": "OK!"}');
          waiting.push(answer);
          if (waiting.length >= releaseAt) {
            const now = waiting;
            waiting = [];
            now.forEach((release) => release());
          } else {
            setTimeout(() => {
              waiting = waiting.filter((release) => release !== answer);
              answer();
            }, holdMs);
          }
        });
      });
      server.listen(0, '127.0.0.1');
      await new Promise((resolve) => server.once('listening', resolve));
      try {
        const paths = Array.from({ length: files }, (_, i) => join(dir, `f${i}.tif`));
        await Promise.all(paths.map((path) => writeFile(path, 'data')));
        const results = await lastValueFrom(
          from(await Promise.all(paths.map(async (path, index) => ({ item: { path, size: 4, mtimeMs: (await lstat(path)).mtimeMs, index } })))).pipe(
            postToGateway({
              host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
              username: 'u',
              password: 'p',
              streamId: sid,
              concurrency,
            }),
            toArray(),
          ),
        );
        expect(results.map((r) => r.status)).to.deep.equal(Array(files).fill(200));
        return maxInFlight;
      } finally {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    }

    it('should never have more than one request open with concurrency 1', async () => {
      expect(await measureInFlight(1, 3, 2, 100)).to.equal(1);
    });

    it('should have two requests open at once with concurrency 2', async () => {
      expect(await measureInFlight(2, 5, 2, 300)).to.equal(2);
    });
  });
});
