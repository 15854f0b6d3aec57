import { expect } from 'chai';
import { concatMap, type Observable, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { UploadJob } from '../../src/model/UploadJob.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { type RetryInfo, retryUploads, type UploadOutcome } from '../../src/operators/retryUploads.js';

const item: FileItem = { path: '/in/a.tif', size: 10, mtimeMs: 1, index: 0 };
const job: UploadJob = { item };
const ok: UploadResult = { item, status: 200, bytes: 10, startedAt: 0, finishedAt: 1 };
const failure = (status: number, extra: { retryAfterMs?: number; cause?: unknown } = {}) =>
  new GatewayError(`status ${status}`, { status, path: item.path, item, ...extra });

describe('retryUploads', () => {
  let testScheduler: TestScheduler;
  let retries: RetryInfo[];

  beforeEach(() => {
    testScheduler = new TestScheduler((a, e) => {
      expect(a).to.deep.equal(e);
    });
    retries = [];
  });

  /** An upload that answers attempt n with the n-th observable. */
  const sequence = (attempts: Observable<UploadOutcome>[]) => {
    let calls = 0;
    const upload = () => {
      const next = attempts[calls];
      calls += 1;
      if (next === undefined) {
        throw new Error(`unexpected attempt ${calls}`);
      }
      return next;
    };
    return { upload, calls: () => calls };
  };

  it('should emit the acknowledgement of a first-time success without waiting', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<UploadOutcome>('--a|', { a: ok });
      const { upload } = sequence([first]);
      const retrying = retryUploads({ upload, scheduler: testScheduler, onRetry: (i) => retries.push(i) });
      expectObservable(retrying(job)).toBe('--a|', { a: ok });
      expectSubscriptions(first.subscriptions).toBe('^--!');
    });
    expect(retries).to.deep.equal([]);
  });

  it('should retry a 503 after the jittered backoff and emit only the final acknowledgement', () => {
    const e503 = failure(503);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<UploadOutcome>('--e|', { e: e503 });
      const second = cold<UploadOutcome>('--a|', { a: ok });
      const { upload } = sequence([first, second]);
      const retrying = retryUploads({
        upload,
        scheduler: testScheduler,
        random: () => 0.5,
        onRetry: (i) => retries.push(i),
      });
      // 2 ms to fail, round(0.5 * 500) = 250 ms wait, 2 ms to succeed.
      expectObservable(retrying(job)).toBe('254ms a|', { a: ok });
      expectSubscriptions(first.subscriptions).toBe('^--!');
      expectSubscriptions(second.subscriptions).toBe('252ms ^--!');
    });
    expect(retries).to.deep.equal([{ job, attempt: 1, delayMs: 250, error: e503 }]);
    expect(retries[0]!.error).to.equal(e503);
  });

  it('should wait at least the Retry-After the gateway asked for', () => {
    const e429 = failure(429, { retryAfterMs: 2000 });
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<UploadOutcome>('-e|', { e: e429 });
      const second = cold<UploadOutcome>('-a|', { a: ok });
      const { upload } = sequence([first, second]);
      const retrying = retryUploads({ upload, scheduler: testScheduler, random: () => 0.5, onRetry: (i) => retries.push(i) });
      expectObservable(retrying(job)).toBe('2002ms a|', { a: ok });
      expectSubscriptions(second.subscriptions).toBe('2001ms ^-!');
    });
    expect(retries.map((r) => r.delayMs)).to.deep.equal([2000]);
  });

  it('should keep the backoff when it is longer than Retry-After', () => {
    const e503 = failure(503, { retryAfterMs: 10 });
    testScheduler.run(({ cold, expectObservable }) => {
      const { upload } = sequence([cold('-e|', { e: e503 }), cold('-a|', { a: ok })]);
      const retrying = retryUploads({ upload, scheduler: testScheduler, random: () => 0.5 });
      expectObservable(retrying(job)).toBe('252ms a|', { a: ok });
    });
  });

  it('should double the backoff ceiling per retry up to the cap', () => {
    const e500 = failure(500);
    testScheduler.run(({ cold, expectObservable }) => {
      const fail = () => cold<UploadOutcome>('e|', { e: e500 });
      const { upload } = sequence([fail(), fail(), fail(), fail(), cold('a|', { a: ok })]);
      const retrying = retryUploads({
        upload,
        scheduler: testScheduler,
        baseMs: 500,
        capMs: 1000,
        random: () => 1,
        onRetry: (i) => retries.push(i),
      });
      expectObservable(retrying(job)).toBe('3500ms a|', { a: ok });
    });
    expect(retries.map((r) => [r.attempt, r.delayMs])).to.deep.equal([
      [1, 500],
      [2, 1000],
      [3, 1000],
      [4, 1000],
    ]);
  });

  it('should use the default base of 500 ms and cap of 30 s', () => {
    const e502 = failure(502);
    testScheduler.run(({ cold, expectObservable }) => {
      const fail = () => cold<UploadOutcome>('e|', { e: e502 });
      const { upload } = sequence([...Array.from({ length: 8 }, fail), cold('a|', { a: ok })]);
      const retrying = retryUploads({ upload, scheduler: testScheduler, random: () => 1, onRetry: (i) => retries.push(i) });
      // 500+1000+2000+4000+8000+16000+30000+30000
      expectObservable(retrying(job)).toBe('91500ms a|', { a: ok });
    });
    expect(retries.map((r) => r.delayMs)).to.deep.equal([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('should emit the last GatewayError once maxRetries are spent', () => {
    const e503 = failure(503);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const attempts = [cold<UploadOutcome>('-e|', { e: e503 }), cold<UploadOutcome>('-e|', { e: e503 }), cold<UploadOutcome>('-e|', { e: e503 })];
      const { upload } = sequence(attempts);
      const retrying = retryUploads({ upload, scheduler: testScheduler, random: () => 0.5, maxRetries: 2 });
      // 1 + 250 + 1 + 500 + 1
      expectObservable(retrying(job)).toBe('753ms e|', { e: e503 });
      expectSubscriptions(attempts[2]!.subscriptions).toBe('752ms ^-!');
    });
  });

  it('should not retry when maxRetries is 0', () => {
    const e503 = failure(503);
    testScheduler.run(({ cold, expectObservable }) => {
      const { upload } = sequence([cold('-e|', { e: e503 })]);
      expectObservable(retryUploads({ upload, scheduler: testScheduler, maxRetries: 0 })(job)).toBe('-e|', { e: e503 });
    });
  });

  for (const status of [401, 403, 412, 400]) {
    it(`should emit a ${status} as is without retrying`, () => {
      const error = failure(status);
      testScheduler.run(({ cold, expectObservable }) => {
        const { upload } = sequence([cold('--e|', { e: error })]);
        const retrying = retryUploads({ upload, scheduler: testScheduler, onRetry: (i) => retries.push(i) });
        expectObservable(retrying(job)).toBe('--e|', { e: error });
      });
      expect(retries).to.deep.equal([]);
    });
  }

  it('should retry 408 and a status-0 network error but not a local file problem', () => {
    const e408 = failure(408);
    const refused = failure(0, { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
    const missing = failure(0, { cause: Object.assign(new Error('no such file'), { code: 'ENOENT' }) });
    testScheduler.run(({ cold, expectObservable }) => {
      const { upload } = sequence([cold('e|', { e: e408 }), cold('r|', { r: refused }), cold('m|', { m: missing })]);
      const retrying = retryUploads({ upload, scheduler: testScheduler, random: () => 0, onRetry: (i) => retries.push(i) });
      expectObservable(retrying(job)).toBe('m|', { m: missing });
    });
    expect(retries.map((r) => r.error)).to.have.ordered.members([e408, refused]);
  });

  it('should cancel the wait and never start the retry when unsubscribed during a backoff', () => {
    const e503 = failure(503);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<UploadOutcome>('-e|', { e: e503 });
      const second = cold<UploadOutcome>('-a|', { a: ok });
      const { upload } = sequence([first, second]);
      const retrying = retryUploads({ upload, scheduler: testScheduler, random: () => 0.5 });
      expectObservable(retrying(job), '^ 99ms !').toBe('');
      expectSubscriptions(first.subscriptions).toBe('^-!');
      expectSubscriptions(second.subscriptions).toBe([]);
    });
  });

  it('should stop an attempt in flight when unsubscribed', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<UploadOutcome>('-----a|', { a: ok });
      const { upload } = sequence([first]);
      expectObservable(retryUploads({ upload, scheduler: testScheduler })(job), '^--!').toBe('');
      expectSubscriptions(first.subscriptions).toBe('^--!');
    });
  });

  it('should never emit while the upload never answers', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const first = cold<UploadOutcome>('-');
      const { upload } = sequence([first]);
      expectObservable(retryUploads({ upload, scheduler: testScheduler })(job)).toBe('-');
      expectSubscriptions(first.subscriptions).toBe('^');
    });
  });

  it('should complete without a value when the upload completes empty', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const { upload } = sequence([cold<UploadOutcome>('--|')]);
      expectObservable(retryUploads({ upload, scheduler: testScheduler })(job)).toBe('--|');
    });
  });

  it('should turn an upload that throws into a GatewayError value, without retrying', () => {
    const boom = new Error('boom');
    let calls = 0;
    const upload = (): Observable<UploadOutcome> => {
      calls += 1;
      throw boom;
    };
    const seen: UploadOutcome[] = [];
    testScheduler.run(({ flush }) => {
      retryUploads({ upload, scheduler: testScheduler, random: () => 0 })(job).subscribe({
        next: (v) => seen.push(v),
        error: () => expect.fail('must not error'),
      });
      flush();
    });
    expect(calls).to.equal(1);
    expect(seen).to.have.length(1);
    expect(seen[0]).to.be.instanceOf(GatewayError);
    expect(seen[0]).to.include({ status: 0, path: item.path, item });
    expect((seen[0] as GatewayError).cause).to.equal(boom);
  });

  it('should turn an upload observable that errors into a GatewayError value, without retrying', () => {
    const boom = new Error('socket hang up');
    const seen: UploadOutcome[] = [];
    testScheduler.run(({ cold, flush }) => {
      const { upload, calls } = sequence([cold<UploadOutcome>('--#', undefined, boom)]);
      retryUploads({ upload, scheduler: testScheduler, random: () => 0 })(job).subscribe({
        next: (v) => seen.push(v),
        error: () => expect.fail('must not error'),
      });
      flush();
      expect(calls()).to.equal(1);
    });
    expect(seen).to.have.length(1);
    expect(seen[0]).to.be.instanceOf(GatewayError);
    expect((seen[0] as GatewayError).cause).to.equal(boom);
  });

  it('should turn a throwing onRetry into a GatewayError value', () => {
    const oops = new Error('logger broke');
    const seen: UploadOutcome[] = [];
    testScheduler.run(({ cold, flush }) => {
      const { upload } = sequence([cold<UploadOutcome>('e|', { e: failure(503) })]);
      retryUploads({
        upload,
        scheduler: testScheduler,
        onRetry: () => {
          throw oops;
        },
      })(job).subscribe({ next: (v) => seen.push(v), error: () => expect.fail('must not error') });
      flush();
    });
    expect(seen).to.have.length(1);
    expect((seen[0] as GatewayError).cause).to.equal(oops);
  });

  it('should retry each of many jobs independently and pass a source error through', () => {
    const other: UploadJob = { item: { ...item, path: '/in/b.tif', index: 1 } };
    const okB: UploadResult = { ...ok, item: other.item };
    const e503 = failure(503);
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const byPath = new Map<string, Observable<UploadOutcome>[]>([
        [item.path, [cold('-e|', { e: e503 }), cold('-a|', { a: ok })]],
        [other.item.path, [cold('-b|', { b: okB })]],
      ]);
      const upload = (j: UploadJob) => byPath.get(j.item.path)!.shift()!;
      const retrying = retryUploads({ upload, scheduler: testScheduler, random: () => 0.02 });
      // round(0.02 * 500) = 10 ms backoff for the first job.
      const jobs = hot<UploadJob>('-x-------------y-#', { x: job, y: other });
      const expected = '           -------------a--b#';
      expectObservable(jobs.pipe(concatMap(retrying))).toBe(expected, { a: ok, b: okB });
    });
  });

  it('should throw a TypeError on invalid options', () => {
    const upload = () => throwError(() => new Error('x'));
    expect(() => retryUploads({ upload, baseMs: -1 })).to.throw(TypeError, 'Expected `baseMs` to be a finite number >= 0, got -1');
    expect(() => retryUploads({ upload, capMs: Number.NaN })).to.throw(TypeError, '`capMs`');
    expect(() => retryUploads({ upload, maxRetries: 1.5 })).to.throw(
      TypeError,
      'Expected `maxRetries` to be an integer >= 0 or Infinity, got 1.5',
    );
    expect(() => retryUploads({ upload: undefined as never })).to.throw(TypeError, 'Expected `upload` to be a function, got undefined');
  });
});
