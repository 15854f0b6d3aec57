import { expect } from 'chai';
import { map, merge, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { GatewayError } from '../../src/model/GatewayError.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { estimateBandwidth } from '../../src/operators/estimateBandwidth.js';
import { itemOf } from './scheduleHarness.js';

const result = (bytes: number, startedAt: number, finishedAt: number): UploadResult => ({
  item: itemOf(0, bytes),
  status: 200,
  bytes,
  startedAt,
  finishedAt,
});

describe('estimateBandwidth', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should throw a TypeError for a window that is not > 0', () => {
    expect(() => estimateBandwidth({ windowMs: 0 })).to.throw(TypeError, 'Expected `windowMs` to be a number > 0, got 0');
  });

  it('should emit nothing for a never source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<UploadResult>('-');
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe('-');
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });

  it('should complete for an empty source', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold<UploadResult>('|').pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe('|');
    });
  });

  it('should pass a source error through', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<UploadResult>('-#', undefined, new Error('boom'));
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe('-#', undefined, new Error('boom'));
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('should measure one upload as bytes over its duration and keep running on a never-ending source', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('500ms a', { a: result(1000, 0, 500) });
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe('500ms x', { x: 2000 });
    });
  });

  it('should report a constant rate for back-to-back uploads on one stream', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('500ms a 499ms b 999ms c|', {
        a: result(500, 0, 500),
        b: result(500, 500, 1000),
        c: result(1000, 1000, 2000),
      });
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe(
        '500ms x 499ms y 999ms z|',
        { x: 1000, y: 1000, z: 1000 },
      );
    });
  });

  it('should not double-count the time of overlapping uploads', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      // Two uploads sharing a 1000 B/s link for 2 s each deliver 2000 B in 2 s of busy time.
      const source = cold('1000ms a 999ms b', { a: result(500, 0, 1000), b: result(1500, 0, 2000) });
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe('1000ms x 999ms y', {
        x: 500,
        y: 1000,
      });
    });
  });

  it('should ignore idle gaps between uploads', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('1000ms a 2999ms b', { a: result(1000, 0, 1000), b: result(1000, 3000, 4000) });
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe('1000ms x 2999ms y', {
        x: 1000,
        y: 1000,
      });
    });
  });

  it('should forget uploads that finished before the window', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('1000ms a 4999ms b', { a: result(1000, 0, 1000), b: result(2000, 5000, 6000) });
      expectObservable(source.pipe(estimateBandwidth({ windowMs: 1000, scheduler: testScheduler }))).toBe(
        '1000ms x 4999ms y',
        { x: 1000, y: 2000 },
      );
    });
  });

  it('should ignore GatewayError values', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const failed = new GatewayError('nope', { status: 500, path: '/in/f0' });
      const source = cold<UploadResult | GatewayError>('100ms e 899ms a', { e: failed, a: result(1000, 0, 1000) });
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler }))).toBe('1000ms x', { x: 1000 });
    });
  });

  it('should stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('500ms a 499ms b', { a: result(500, 0, 500), b: result(500, 500, 1000) });
      expectObservable(source.pipe(estimateBandwidth({ scheduler: testScheduler })), '^ 700ms !').toBe('500ms x', {
        x: 1000,
      });
      expectSubscriptions(source.subscriptions).toBe('^ 700ms !');
    });
  });

  it('should settle within 10% of a shaped rate within 5 s of overlapping uploads of mixed sizes', () => {
    const rate = 10_000; // bytes/s
    const results: UploadResult[] = [];
    // Pairs of uploads (20-160 ms each) share the link (processor sharing); pairs are separated
    // by idle gaps, and each upload carries a few ms of request overhead the link is idle for.
    let t = 0;
    for (let pair = 0; t < 10_000; pair++) {
      const small = 200 + ((pair * 7919) % 500);
      const large = small + 100 + ((pair * 104729) % 800);
      const smallEnd = t + (2 * small * 1000) / rate;
      const largeEnd = t + ((small + large) * 1000) / rate;
      results.push(result(small, t, smallEnd + (pair % 3) * 2), result(large, t, largeEnd + (pair % 4) * 2));
      t = largeEnd + 10 + (pair % 5) * 50;
    }
    const seen: { at: number; rate: number }[] = [];
    testScheduler.run(() => {
      merge(...results.map((r) => timer(r.finishedAt, testScheduler).pipe(map(() => r))))
        .pipe(estimateBandwidth({ scheduler: testScheduler }))
        .subscribe((value) => seen.push({ at: testScheduler.now(), rate: value }));
    });
    const settled = seen.filter((s) => s.at >= 5000);
    expect(settled.length).to.be.greaterThan(5);
    for (const s of settled) expect(Math.abs(s.rate - rate) / rate).to.be.lessThan(0.1);
  });
});
