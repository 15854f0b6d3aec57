import { expect } from 'chai';
import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Reduction } from '../../src/model/Reduction.js';
import { predictGain, type GainEstimate } from '../../src/operators/predictGain.js';
import { itemOf } from './scheduleHarness.js';

const reduction = (index: number, saved: number): Reduction => ({
  item: itemOf(index, 1000),
  reduced: true,
  outputPath: `/spool/${index}`,
  bytesIn: 1000,
  bytesOut: 1000 - saved,
  cpuMs: 1000,
});

describe('predictGain', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should throw a TypeError for bad options', () => {
    expect(() => predictGain({ interpolateAfter: 1.5 })).to.throw(TypeError);
  });

  it('should emit nothing for a never source and complete for an empty one', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const never = cold<Reduction>('-');
      expectObservable(never.pipe(predictGain())).toBe('-');
      expectSubscriptions(never.subscriptions).toBe('^');
      expectObservable(cold<Reduction>('|').pipe(predictGain())).toBe('|');
    });
  });

  it('should pass a source error through and stop on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const failing = cold<Reduction>('--#');
      expectObservable(failing.pipe(predictGain())).toBe('--#');
      const endless = cold<Reduction>('-a-', { a: reduction(0, 100) });
      expectObservable(endless.pipe(predictGain(), map((e) => e.score)), '^-!').toBe('-x', { x: 100 });
      expectSubscriptions(endless.subscriptions).toBe('^-!');
    });
  });

  it('should emit an estimate after each reduction that later reductions do not change', () => {
    const seen: GainEstimate[] = [];
    testScheduler.run(({ cold }) => {
      cold<Reduction>('a-b-c-d-e|', {
        a: reduction(0, 100),
        b: reduction(10, 300),
        c: reduction(20, 100),
        d: reduction(30, 100),
        e: reduction(5, 900),
      })
        .pipe(predictGain())
        .subscribe((estimate) => seen.push(estimate));
    });
    expect(seen.map((e) => e.score)).to.deep.equal([100, 300, 100, 100, 900]);
    expect(seen[0]!.estimate(50)).to.equal(100);
    expect(seen[1]!.estimate(50)).to.equal(200);
    expect(seen[3]!.estimate(5)).to.equal(200);
    expect(seen[4]!.estimate(5)).to.equal(900);
    expect(seen[4]!.points.map((p) => p.index)).to.deep.equal([0, 5, 10, 20, 30]);
  });

  it('should skip a reduction whose index is not an integer >= 0', () => {
    const seen: GainEstimate[] = [];
    testScheduler.run(({ cold }) => {
      cold<Reduction>('ab|', { a: { ...reduction(0, 1), item: itemOf(-1, 1000) }, b: reduction(1, 100) })
        .pipe(predictGain())
        .subscribe((estimate) => seen.push(estimate));
    });
    expect(seen.map((e) => e.reduction.item.index)).to.deep.equal([1]);
  });
});
