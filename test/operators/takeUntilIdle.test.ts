import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { takeUntilIdle } from '../../src/operators/takeUntilIdle.js';

describe('takeUntilIdle', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((a, e) => {
      expect(a).to.deep.equal(e);
    });
  });

  it('should complete once the source was quiet for idleMs after ready', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold(' -a--b--------c--');
      const ready = hot('  ---r------------');
      const expected = '   -a--b---|';
      expectObservable(source.pipe(takeUntilIdle({ idleMs: 4, ready, scheduler: testScheduler }))).toBe(expected);
      expectSubscriptions(source.subscriptions).toBe('^-------!');
      expectSubscriptions(ready.subscriptions).toBe(' ^--!');
    });
  });

  it('should start the clock at subscription without ready', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a-----b');
      expectObservable(source.pipe(takeUntilIdle({ idleMs: 3, scheduler: testScheduler }))).toBe('--a--|');
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
  });

  it('should pass many values through while each comes within idleMs of the last', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('abc-d--e---f');
      expectObservable(source.pipe(takeUntilIdle({ idleMs: 3, scheduler: testScheduler }))).toBe('abc-d--e--|');
    });
  });

  it('should go idle after idleMs for a source that never emits, and at 0 at once', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const never = cold('-');
      expectObservable(never.pipe(takeUntilIdle({ idleMs: 5, scheduler: testScheduler }))).toBe('-----|');
      expectSubscriptions(never.subscriptions).toBe('^----!');
      expectObservable(cold('--a').pipe(takeUntilIdle({ idleMs: 0, scheduler: testScheduler }))).toBe('|');
    });
  });

  it('should never go idle while ready has not emitted', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('a----b|');
      const ready = cold('-------');
      expectObservable(source.pipe(takeUntilIdle({ idleMs: 1, ready, scheduler: testScheduler }))).toBe('a----b|');
    });
  });

  it('should pass completion and errors of the source through at once', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(takeUntilIdle({ idleMs: 3, scheduler: testScheduler }))).toBe('|');
      expectObservable(cold('a#').pipe(takeUntilIdle({ idleMs: 3, scheduler: testScheduler }))).toBe('a#');
    });
  });

  it('should error when ready errors', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-----');
      expectObservable(source.pipe(takeUntilIdle({ idleMs: 9, ready: cold('--#'), scheduler: testScheduler }))).toBe('a-#');
      expectSubscriptions(source.subscriptions).toBe('^-!');
    });
  });

  it('should unsubscribe the source, ready and the clock when unsubscribed early', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold('a---b---');
      const ready = hot('-r------');
      expectObservable(source.pipe(takeUntilIdle({ idleMs: 20, ready, scheduler: testScheduler })), '^--!').toBe('a---');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(ready.subscriptions).toBe('^!');
    });
  });

  it('should reject a negative, infinite or missing idleMs and a ready that is not an Observable', () => {
    expect(() => takeUntilIdle({ idleMs: -1 })).to.throw(TypeError, 'idleMs');
    expect(() => takeUntilIdle({ idleMs: Infinity })).to.throw(TypeError, 'idleMs');
    expect(() => takeUntilIdle(undefined as never)).to.throw(TypeError, 'options');
    expect(() => takeUntilIdle({ idleMs: 1, ready: 5 as never })).to.throw(TypeError, 'Expected `ready` to be an Observable, got 5');
  });
});
