import { expect } from 'chai';
import { concatMap, finalize, mergeMap, NEVER, of, Subject, timer, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { limitOutstanding } from '../../src/operators/limitOutstanding.js';

describe('limitOutstanding', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should pass values on while fewer than `limit` are outstanding and hold the rest until one settles', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-d---|');
      const settled = hot(' -------x---x-x');
      expectObservable(source.pipe(limitOutstanding({ limit: 2, settled }))).toBe('-a-b---c---(d|)');
      expectSubscriptions(source.subscriptions).toBe('^----------!');
      expectSubscriptions(settled.subscriptions).toBe('^----------!');
    });
  });

  it('should pass one at a time at limit 1, in arrival order', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  -(abc)-----|');
      const settled = hot(' ---x--x-----');
      expectObservable(source.pipe(limitOutstanding({ limit: 1, settled }))).toBe('-a-b--c----|');
    });
  });

  it('should ignore settlements beyond what is outstanding, so they are not credit for later values', () => {
    testScheduler.run(({ hot, expectObservable }) => {
      const source = hot('  ------a-b-c-|');
      const settled = hot(' -xxx---------');
      expectObservable(source.pipe(limitOutstanding({ limit: 1, settled }))).toBe('------a------');
    });
  });

  it('should pass everything at once with limit Infinity', () => {
    testScheduler.run(({ hot, cold, expectObservable }) => {
      expectObservable(hot('-a-b-c-|').pipe(limitOutstanding({ limit: Number.POSITIVE_INFINITY, settled: cold('-') }))).toBe('-a-b-c-|');
    });
  });

  it('should complete at once for an empty source and never for a silent one', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(limitOutstanding({ limit: 1, settled: cold('-') }))).toBe('|');
      expectObservable(cold('-').pipe(limitOutstanding({ limit: 1, settled: cold('-') }))).toBe('-');
    });
  });

  it('should pass the source error on at once, dropping what it held', () => {
    testScheduler.run(({ hot, cold, expectObservable }) => {
      const source = hot('-a-b-#');
      expectObservable(source.pipe(limitOutstanding({ limit: 1, settled: cold('-') }))).toBe('-a---#');
    });
  });

  it('should pass an error of `settled` on and unsubscribe from the source', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-');
      const settled = hot(' ----#');
      expectObservable(source.pipe(limitOutstanding({ limit: 1, settled }))).toBe('-a--#');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('should unsubscribe from the source and from `settled` on early unsubscribe', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-');
      const settled = hot(' -------');
      expectObservable(source.pipe(limitOutstanding({ limit: 1, settled })), '^--!').toBe('-a-');
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(settled.subscriptions).toBe('^--!');
    });
  });

  it('should keep arrival order when passing a value settles one synchronously downstream', () => {
    const settled = new Subject<void>();
    const seen: string[] = [];
    const source = of('a', 'b', 'c', 'd');
    source
      .pipe(
        limitOutstanding({ limit: 2, settled }),
        // 'b' is dropped downstream at once; the others stay outstanding.
        concatMap((value) => {
          seen.push(value);
          if (value === 'b') settled.next();
          return value === 'b' ? of() : of(value);
        }),
      )
      .subscribe();
    expect(seen).to.deep.equal(['a', 'b', 'c']);
    settled.next();
    expect(seen).to.deep.equal(['a', 'b', 'c', 'd']);
  });

  it('should bound the values in a slow mergeMap downstream of it (backpressure from finalize)', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const done = new Subject<void>();
      let running = 0;
      let most = 0;
      const work = (value: string): Observable<string> => {
        running += 1;
        most = Math.max(most, running);
        return timer(4).pipe(
          concatMap(() => of(value)),
          finalize(() => {
            running -= 1;
            done.next();
          }),
        );
      };
      const output = cold('(abcdef|)').pipe(limitOutstanding({ limit: 2, settled: done }), mergeMap(work));
      expectObservable(output).toBe('----(ab)(cd)(ef|)');
      testScheduler.flush();
      expect(most).to.equal(2);
    });
  });

  it('should reject a limit that is not a whole number >= 1 and a `settled` that is not an Observable', () => {
    expect(() => limitOutstanding({ limit: 0, settled: NEVER })).to.throw(TypeError, 'Expected `limit` to be an integer >= 1, got 0');
    expect(() => limitOutstanding({ limit: 1.5, settled: NEVER })).to.throw(TypeError, '`limit`');
    expect(() => limitOutstanding({ limit: 1, settled: (() => undefined) as unknown as Observable<unknown> })).to.throw(TypeError, '`settled` to be an Observable');
    expect(() => limitOutstanding(null as never)).to.throw(TypeError, '`options` to be an object');
  });
});
