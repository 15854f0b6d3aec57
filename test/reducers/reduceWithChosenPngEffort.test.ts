import { expect } from 'chai';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import type { PngEffort } from '../../src/reducers/pngEffort.js';
import { reduceWithChosenPngEffort } from '../../src/reducers/reduceWithChosenPngEffort.js';
import { fileItem, reduction } from '../../src/testing/index.js';

/** What each setting makes of a 1 MB file: small saves 10 kB more than fast for 120 ms more. */
const OUTCOME: Record<PngEffort, { bytesOut: number; cpuMs: number }> = {
  fast: { bytesOut: 220e3, cpuMs: 20 },
  default: { bytesOut: 215e3, cpuMs: 60 },
  small: { bytesOut: 210e3, cpuMs: 140 },
};

describe('reduceWithChosenPngEffort', () => {
  let testScheduler: TestScheduler;
  const items = [0, 1, 2, 3, 4].map((index) => fileItem(index, 1e6));

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  function recordingReducer(cold: TestScheduler['createColdObservable']) {
    const calls: PngEffort[] = [];
    const reduce = (item: FileItem, effort: PngEffort): Observable<Reduction> => {
      calls.push(effort);
      return cold('-r|', { r: reduction(item, OUTCOME[effort]) });
    };
    return { calls, reduce };
  }

  it('should try each setting once, then use the measured best for the bandwidth it reads at each start', () => {
    testScheduler.run(({ cold }) => {
      const { calls, reduce } = recordingReducer(cold);
      let bandwidth = 1e6;
      const reduceOne = reduceWithChosenPngEffort(reduce, { trialFiles: 1, bandwidth: () => bandwidth });
      const sizes: number[] = [];
      for (const item of items.slice(0, 4)) {
        reduceOne(item).subscribe((r) => sizes.push(r.bytesOut));
        testScheduler.flush();
      }
      expect(calls).to.deep.equal(['fast', 'default', 'small', 'fast']);
      expect(sizes).to.deep.equal([220e3, 215e3, 210e3, 220e3]);
      bandwidth = 50e3;
      reduceOne(items[4]!).subscribe();
      testScheduler.flush();
      expect(calls.at(-1)).to.equal('small');
    });
  });

  it('should choose nothing until subscribed (cold)', () => {
    testScheduler.run(({ cold }) => {
      const { calls, reduce } = recordingReducer(cold);
      const reduceOne = reduceWithChosenPngEffort(reduce);
      reduceOne(items[0]!);
      reduceOne(items[1]!);
      expect(calls).to.deep.equal([]);
    });
  });

  it('should pass an error of the reducer through and not count it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold<Reduction>('--#', undefined, new Error('worker gone'));
      const reduceOne = reduceWithChosenPngEffort(() => failing, { candidates: ['fast'] });
      expectObservable(reduceOne(items[0]!)).toBe('--#', undefined, new Error('worker gone'));
      expectSubscriptions(failing.subscriptions).toBe('^-!');
    });
  });

  it('should error the one reduction, not throw at the call, when the reducer throws', () => {
    testScheduler.run(({ expectObservable }) => {
      const reduceOne = reduceWithChosenPngEffort(() => {
        throw new Error('no worker');
      });
      const reduction$ = reduceOne(items[0]!);
      expectObservable(reduction$).toBe('#', undefined, new Error('no worker'));
    });
  });

  it('should unsubscribe from the reduction when unsubscribed early', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('----r|', { r: reduction(items[0]!, OUTCOME.fast) });
      const reduceOne = reduceWithChosenPngEffort(() => slow);
      expectObservable(reduceOne(items[0]!), '^-!').toBe('---');
      expectSubscriptions(slow.subscriptions).toBe('^-!');
    });
  });

  it('should never emit for a reducer that never answers', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const reduceOne = reduceWithChosenPngEffort(() => cold<Reduction>('-'));
      expectObservable(reduceOne(items[0]!)).toBe('-');
    });
  });

  it('should complete empty when the reducer completes empty', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const reduceOne = reduceWithChosenPngEffort(() => cold<Reduction>('|'));
      expectObservable(reduceOne(items[0]!)).toBe('|');
    });
  });

  it('should reject a bandwidth that is not a function', () => {
    expect(() => reduceWithChosenPngEffort(() => cold(), { bandwidth: 5 as never })).to.throw(
      TypeError,
      'Expected `bandwidth` to be a function, got number',
    );
  });
});

function cold(): Observable<Reduction> {
  throw new Error('not called');
}
