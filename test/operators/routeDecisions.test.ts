import { expect } from 'chai';
import { map, mergeMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import type { UploadJob } from '../../src/model/UploadJob.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { routeDecisions } from '../../src/operators/routeDecisions.js';
import type { ScheduleDecision } from '../../src/operators/ScheduleDecision.js';
import type { ScheduleOutcome } from '../../src/operators/ScheduleOutcome.js';
import { itemOf } from './scheduleHarness.js';

const [a, b] = [itemOf(0, 100), itemOf(1, 100)];
const reducedA: Reduction = { item: a, reduced: true, outputPath: '/spool/f0', bytesIn: 100, bytesOut: 40, cpuMs: 2 };
const okB: UploadResult = { item: b, status: 200, bytes: 100, startedAt: 0, finishedAt: 0 };

describe('routeDecisions', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** A branch that answers each input after `frames`, through mergeMap with `concurrency`. */
  const branch = <I, O>(frames: string, answer: (input: I) => O, concurrency = 1) => (source: Observable<I>) =>
    source.pipe(mergeMap((input) => testScheduler.createColdObservable<string>(frames).pipe(map(() => answer(input))), concurrency));

  it('should send reduce-start down the reduce branch and upload-start down the upload branch', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const decisions = cold<ScheduleDecision>('-R--U-|', {
        R: { type: 'reduce-start', item: a, at: 1 },
        U: { type: 'upload-start', item: b, at: 4, job: { item: b } },
      });
      const reduce = branch<FileItem, Reduction>('--x|', () => reducedA);
      const upload = branch<UploadJob, UploadResult>('---x|', () => okB);
      expectObservable(decisions.pipe(routeDecisions({ reduce, upload, scheduler: testScheduler }))).toBe('---E---D|', {
        E: { type: 'reduce-end', item: a, at: 3, reduction: reducedA } satisfies ScheduleOutcome,
        D: { type: 'upload-end', item: b, at: 7, result: okB } satisfies ScheduleOutcome,
      });
    });
  });

  it('should complete at once for no decisions, and stay open for a never-ending stream', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const reduce = branch<FileItem, Reduction>('-x|', () => reducedA);
      const upload = branch<UploadJob, UploadResult>('-x|', () => okB);
      expectObservable(cold<ScheduleDecision>('|').pipe(routeDecisions({ reduce, upload }))).toBe('|');
      expectObservable(cold<ScheduleDecision>('-').pipe(routeDecisions({ reduce, upload }))).toBe('-');
    });
  });

  it('should pass a decisions error through and tear down the branches in flight', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const work = cold('-----x|');
      const reduce = (source: Observable<FileItem>) => source.pipe(mergeMap(() => work.pipe(map(() => reducedA))));
      const upload = branch<UploadJob, UploadResult>('-x|', () => okB);
      const decisions = cold<ScheduleDecision>('R-#', { R: { type: 'reduce-start', item: a, at: 0 } });
      expectObservable(decisions.pipe(routeDecisions({ reduce, upload }))).toBe('--#');
      testScheduler.expectSubscriptions(work.subscriptions).toBe('^-!');
    });
  });

  it('should throw a TypeError at the call for a branch that is not an operator', () => {
    const upload = branch<UploadJob, UploadResult>('-x|', () => okB);
    expect(() => routeDecisions({ reduce: undefined as never, upload })).to.throw(TypeError, 'Expected `reduce` to be an operator function');
  });
});
