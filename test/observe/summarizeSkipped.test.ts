import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import { summarizeSkipped, type SkippedSummary } from '../../src/observe/summarizeSkipped.js';

const earlier = 'acknowledged in an earlier run';
const superseded = 'rewritten before it could be sent';
const skip = (path: string, bytes: number, reason = earlier): AgentEvent => ({ type: 'skipped', at: 0, path, bytes, reason });
const summary = (at: number, files: number, bytes: number, reason = earlier): SkippedSummary => ({ type: 'skipped-summary', at, files, bytes, reason });

describe('summarizeSkipped', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const values = {
    a: { type: 'seen', at: 0, path: '/d/a', bytes: 1 } as AgentEvent,
    b: { type: 'uploaded', at: 0, path: '/d/a', bytes: 1, status: 200, durationMs: 3 } as AgentEvent,
    s: skip('/d/s', 10),
    t: skip('/d/t', 20),
    u: skip('/d/u', 30),
    r: skip('/d/r', 5, superseded),
  };

  it('should pass other events at once and sum the skips of an interval into one summary', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-s-t-b-u-----|', values);
      const result = source.pipe(summarizeSkipped({ intervalMs: 6, scheduler: testScheduler }));
      expectObservable(result).toBe('-a-----b-S-----|', { ...values, S: summary(9, 3, 60) });
      expectSubscriptions(source.subscriptions).toBe('^--------------!');
    });
  });

  it('should give each reason its own summary, and hand on a reason met once as the event itself', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('-s-r-t-------u-------|', values);
      const result = source.pipe(summarizeSkipped({ intervalMs: 4, scheduler: testScheduler }));
      expectObservable(result).toBe('-----(Sr)--------u---|', { ...values, S: summary(5, 2, 30) });
    });
  });

  it('should report what it was counting before completing or failing', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('-s-t|', values).pipe(summarizeSkipped({ intervalMs: 100, scheduler: testScheduler }))).toBe('----(S|)', {
        S: summary(4, 2, 30),
      });
      const error = new Error('watcher failed');
      expectObservable(cold('-s-#', values, error).pipe(summarizeSkipped({ intervalMs: 100, scheduler: testScheduler }))).toBe(
        '---(s#)',
        values,
        error,
      );
    });
  });

  it('should pass never, empty and an event-only source through unchanged', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const options = { intervalMs: 2, scheduler: testScheduler };
      expectObservable(cold<AgentEvent>('-').pipe(summarizeSkipped(options))).toBe('-');
      expectObservable(cold<AgentEvent>('|').pipe(summarizeSkipped(options))).toBe('|');
      expectObservable(cold('-a-b-', values).pipe(summarizeSkipped(options))).toBe('-a-b-', values);
    });
  });

  it('should stop its timer and the source on early unsubscribe, reporting nothing after', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-s-t-----a|', values);
      const result = source.pipe(summarizeSkipped({ intervalMs: 6, scheduler: testScheduler }));
      expectObservable(result, '^---!').toBe('-----');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('should keep counting in a new interval once a summary went out', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('-s-t---u-s---|', values);
      const result = source.pipe(summarizeSkipped({ intervalMs: 3, scheduler: testScheduler }));
      expectObservable(result).toBe('----S-----T--|', { S: summary(4, 2, 30), T: summary(10, 2, 40) });
    });
  });

  it('should refuse an interval that is not a whole number of ms', () => {
    expect(() => summarizeSkipped({ intervalMs: 0 })).to.throw(TypeError, 'Expected `intervalMs` to be an integer >= 1, got 0');
  });
});
