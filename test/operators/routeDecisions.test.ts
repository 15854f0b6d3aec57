import { expect } from 'chai';
import { map, mergeMap, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import type { UploadJob } from '../../src/model/UploadJob.js';
import type { UploadResult } from '../../src/model/UploadResult.js';
import { routeDecisions } from '../../src/operators/routeDecisions.js';
import type { ScheduleDecision } from '../../src/operators/ScheduleDecision.js';
import { fileItem, reduceEnd, reduceStart, reduction, uploadEnd, uploaded, uploadStart } from '../../src/testing/index.js';

const [a, b] = [fileItem(0, 100), fileItem(1, 100)];
const reducedA = reduction(a, { bytesOut: 40, cpuMs: 2 });
const okB = uploaded(b);

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
        R: reduceStart(a, 1),
        U: uploadStart(b, 4),
      });
      const reduce = branch<FileItem, Reduction>('--x|', () => reducedA);
      const upload = branch<UploadJob, UploadResult>('---x|', () => okB);
      expectObservable(decisions.pipe(routeDecisions({ reduce, upload, scheduler: testScheduler }))).toBe('---E---D|', {
        E: reduceEnd(a, 3, reducedA),
        D: uploadEnd(b, 7, okB),
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
      const decisions = cold<ScheduleDecision>('R-#', { R: reduceStart(a, 0) });
      expectObservable(decisions.pipe(routeDecisions({ reduce, upload }))).toBe('--#');
      testScheduler.expectSubscriptions(work.subscriptions).toBe('^-!');
    });
  });

  it('should throw a TypeError at the call for a branch that is not an operator', () => {
    const upload = branch<UploadJob, UploadResult>('-x|', () => okB);
    expect(() => routeDecisions({ reduce: undefined as never, upload })).to.throw(TypeError, 'Expected `reduce` to be an operator function');
  });
});
