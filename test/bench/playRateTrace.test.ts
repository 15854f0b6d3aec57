import { expect } from 'chai';
import { throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { playRateTrace } from '../../src/bench/playRateTrace.js';
import { RateTrace } from '../../src/bench/RateTrace.js';

const trace = new RateTrace([
  { atMs: 0, bytesPerSec: 1 },
  { atMs: 3, bytesPerSec: 2 },
  { atMs: 7, bytesPerSec: 3 },
]);

describe('playRateTrace', () => {
  let testScheduler: TestScheduler;
  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should apply each step after the first at its time, and complete after the last', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const applied: number[] = [];
      const apply = (rate: number) => {
        applied.push(rate);
        return cold('(d|)', { d: true });
      };
      expectObservable(playRateTrace(trace, { apply, scheduler: testScheduler })).toBe('---b---(c|)', { b: trace.steps[1], c: trace.steps[2] });
      testScheduler.flush();
      expect(applied).to.deep.equal([2, 3]);
    });
  });

  it('should apply one step at a time, in order, when applying is slow', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const apply = () => cold('------(d|)', { d: true });
      expectObservable(playRateTrace(trace, { apply, scheduler: testScheduler })).toBe('---------b-----(c|)', { b: trace.steps[1], c: trace.steps[2] });
    });
  });

  it('should complete at once for a one-step trace and stop on unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const apply = () => cold('(d|)', { d: true });
      expectObservable(playRateTrace(RateTrace.constant(5), { apply, scheduler: testScheduler })).toBe('|');
      expectObservable(playRateTrace(trace, { apply, scheduler: testScheduler }), '^--- 1ms !').toBe('---b', { b: trace.steps[1] });
    });
  });

  it('should error when applying a rate fails', () => {
    testScheduler.run(({ expectObservable }) => {
      const failure = new Error('tc refused');
      expectObservable(playRateTrace(trace, { apply: () => throwError(() => failure), scheduler: testScheduler })).toBe('---#', undefined, failure);
    });
  });

  it('should refuse an apply that is not a function', () => {
    expect(() => playRateTrace(trace, { apply: undefined as never })).to.throw(TypeError, 'Expected `apply` to be a function, got undefined');
  });
});
