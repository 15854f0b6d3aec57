import { expect } from 'chai';
import { lastValueFrom, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { concatMapEager } from '../../src/operators/concatMapEager.js';

describe('concatMapEager', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should run inners at once and emit their values in source order', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-|');
      const innerA = cold('   ----x|');
      const innerB = cold('     -y|');
      const innerC = cold('       --z|');
      const inners: Record<string, Observable<string>> = { a: innerA, b: innerB, c: innerC };
      expectObservable(source.pipe(concatMapEager((value) => inners[value]!))).toBe('-----xyz|');
      expectSubscriptions(innerA.subscriptions).toBe('-^----!');
      expectSubscriptions(innerB.subscriptions).toBe('---^-!');
      expectSubscriptions(innerC.subscriptions).toBe('-----^--!');
    });
  });

  it('should start no more than `concurrency` inners at once (1: as concatMap)', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-c-|');
      const innerA = cold('   ----x|');
      const innerB = cold('     -y|');
      const innerC = cold('       --z|');
      const inners: Record<string, Observable<string>> = { a: innerA, b: innerB, c: innerC };
      expectObservable(source.pipe(concatMapEager((value) => inners[value]!, { concurrency: 1 }))).toBe('-----x-y--z|');
      expectSubscriptions(innerA.subscriptions).toBe('-^----!');
      expectSubscriptions(innerB.subscriptions).toBe('------^-!');
      expectSubscriptions(innerC.subscriptions).toBe('--------^--!');
    });
  });

  it('should start the next inner as soon as any one completes at concurrency 2, and hold its values until their turn', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold(' (abc|)');
      const innerA = cold(' ----x|');
      const innerB = cold(' -y|');
      const innerC = cold('   --z|');
      const inners: Record<string, Observable<string>> = { a: innerA, b: innerB, c: innerC };
      expectObservable(source.pipe(concatMapEager((value) => inners[value]!, { concurrency: 2 }))).toBe('----x(yz|)');
      expectSubscriptions(innerB.subscriptions).toBe('^-!');
      expectSubscriptions(innerC.subscriptions).toBe('--^--!');
    });
  });

  it('should emit every value of an inner with several, in order, and pass the index', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('ab|');
      const many = cold('  -1-2|');
      const one = cold('   3|');
      expectObservable(source.pipe(concatMapEager((value) => (value === 'a' ? many : one)))).toBe('-1-2(3|)');
      expectObservable(source.pipe(concatMapEager((_, index) => cold(`${index}|`)))).toBe('01|');
    });
  });

  it('should complete at once for an empty source and never for a silent one', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('|').pipe(concatMapEager(() => cold('x|')))).toBe('|');
      expectObservable(cold('-').pipe(concatMapEager(() => cold('x|')))).toBe('-');
    });
  });

  it('should stay open while an inner never completes, holding later values', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const inners: Record<string, Observable<string>> = { a: cold('x-'), b: cold('y|') };
      expectObservable(cold('ab|').pipe(concatMapEager((value) => inners[value]!))).toBe('x-');
    });
  });

  it('should error at once when an inner errors, and unsubscribe the others', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b--|');
      const innerA = cold('   -----x|');
      const innerB = cold('     -#');
      const inners: Record<string, Observable<string>> = { a: innerA, b: innerB };
      expectObservable(source.pipe(concatMapEager((value) => inners[value]!))).toBe('----#');
      expectSubscriptions(innerA.subscriptions).toBe('-^--!');
    });
  });

  it('should pass a source error through', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a-#').pipe(concatMapEager(() => cold('--x|')))).toBe('--#');
    });
  });

  it('should error when the project function throws', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const project = (): Observable<string> => {
        throw new Error('bad');
      };
      expectObservable(cold('a|').pipe(concatMapEager(project))).toBe('#', undefined, new Error('bad'));
    });
  });

  it('should tear down every inner on early unsubscribe', () => {
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = hot('  -a-b-|');
      const innerA = cold('   ------x|');
      const innerB = cold('     --y|');
      const inners: Record<string, Observable<string>> = { a: innerA, b: innerB };
      expectObservable(source.pipe(concatMapEager((value) => inners[value]!)), '^---!').toBe('-');
      expectSubscriptions(innerA.subscriptions).toBe('-^--!');
      expectSubscriptions(innerB.subscriptions).toBe('---^!');
    });
  });

  it('should take promises, keeping the source order when they settle out of order', async () => {
    const delays = [30, 1, 10];
    const values = await lastValueFrom(
      concatMapEager((delay: number) => new Promise<number>((done) => setTimeout(() => done(delay), delay)), { concurrency: 2 })(
        (await import('rxjs')).from(delays),
      ).pipe(toArray()),
    );
    expect(values).to.deep.equal([30, 1, 10]);
  });

  it('should take a long synchronous source whose inners complete at once without nesting calls', async () => {
    const { range, of } = await import('rxjs');
    const values = await lastValueFrom(range(0, 200_000).pipe(concatMapEager((n) => of(n * 2), { concurrency: 64 }), toArray()));
    expect(values).to.have.length(200_000);
    expect(values[199_999]).to.equal(399_998);
    expect(values.every((value, i) => value === i * 2)).to.equal(true);
  });

  it('should refuse a concurrency that is not an integer >= 1', () => {
    expect(() => concatMapEager(() => [], { concurrency: 0 })).to.throw(TypeError, /concurrency/);
    expect(() => concatMapEager(() => [], { concurrency: 1.5 })).to.throw(TypeError, /concurrency/);
  });
});
