import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { scheduleFiles } from '../../src/operators/scheduleFiles.js';
import { fileItem } from '../../src/testing/fileItem.js';
import { reduceEnd } from '../../src/testing/reduceEnd.js';
import { reduceStart } from '../../src/testing/reduceStart.js';
import { reduction } from '../../src/testing/reduction.js';
import { uploadStart } from '../../src/testing/uploadStart.js';
import { virtualReducer } from '../../src/testing/virtualReducer.js';

describe('virtualReducer', () => {
  let testScheduler: TestScheduler;
  const [a, b] = [fileItem(0, 100), fileItem(1, 100)];

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should answer each file with its reduction after its ms, as its diagram shows', () => {
    testScheduler.run(({ expectObservable }) => {
      const reduce = virtualReducer(testScheduler, [{ ms: 2, bytesOut: 40 }, { ms: 3 }]);
      expectObservable(reduce(a)).toBe('--(r|)', { r: reduction(a, { bytesOut: 40, cpuMs: 2 }) });
      expectObservable(reduce(b)).toBe('---(r|)', { r: reduction(b, { cpuMs: 3 }) });
    });
  });

  it('should take its time from when it is subscribed, and stop waiting on unsubscribe', () => {
    testScheduler.run(({ expectObservable }) => {
      const reduce = virtualReducer(testScheduler, [{ ms: 4, bytesOut: 40 }]);
      expectObservable(reduce(a), '--^').toBe('------(r|)', { r: reduction(a, { bytesOut: 40, cpuMs: 4 }) });
      expectObservable(reduce(a), '^--!').toBe('');
    });
  });

  it('should look a file up with a function table', () => {
    testScheduler.run(({ expectObservable }) => {
      const reduce = virtualReducer(testScheduler, (item) => ({ ms: item.index + 1, bytesOut: 10 }));
      expectObservable(reduce(b)).toBe('--(r|)', { r: reduction(b, { bytesOut: 10, cpuMs: 2 }) });
    });
  });

  it('should fail after its ms with the error of its entry', () => {
    testScheduler.run(({ expectObservable }) => {
      const boom = new Error('cannot decode');
      expectObservable(virtualReducer(testScheduler, [{ ms: 2, error: boom }])(a)).toBe('--#', undefined, boom);
    });
  });

  it('should fail at once for a file the table has no entry for, naming it', () => {
    const errors: unknown[] = [];
    virtualReducer(testScheduler, [])(b).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors).to.have.length(1);
    expect(errors[0]).to.be.instanceOf(RangeError).with.property('message', 'virtualReducer has no entry for file 1 (/in/f1)');
  });

  it('should throw TypeErrors for a bad table at the call, or at the file for a function table', () => {
    expect(() => virtualReducer(testScheduler, undefined as never)).to.throw(TypeError, 'Expected `table` to be an array or a function');
    expect(() => virtualReducer(testScheduler, [{ ms: 1 }, { ms: -1 }])).to.throw(TypeError, 'Expected `table[1].ms` to be a number >= 0, got -1');
    const errors: unknown[] = [];
    virtualReducer(testScheduler, () => ({ ms: Number.NaN }))(a).subscribe({ error: (error: unknown) => errors.push(error) });
    expect(errors[0]).to.be.instanceOf(TypeError).with.property('message', 'Expected `table(/in/f0).ms` to be a number >= 0, got NaN');
  });

  it("should run scheduleFiles' local-reduce branch in frames, a failed entry reported unreduced", () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const reduce = virtualReducer(testScheduler, [{ ms: 4, bytesOut: 40 }, { ms: 8, error: new Error('cannot decode') }]);
      const events = cold('(ab)', { a, b }).pipe(
        scheduleFiles({ strategy: 'fifo', cores: 2, uploadSlots: 2, reduce, upload: () => cold('-'), scheduler: testScheduler }),
      );
      expectObservable(events).toBe('(st)(eu)(xv)', {
        s: reduceStart(a, 0),
        t: reduceStart(b, 0),
        e: reduceEnd(a, 4, reduction(a, { bytesOut: 40, cpuMs: 4 })),
        u: uploadStart(a, 4, { item: a, bodyPath: '/spool/f0', bodySize: 40 }),
        x: reduceEnd(b, 8, reduction(b, { reason: 'cannot decode' })),
        v: uploadStart(b, 8),
      });
    });
  });
});
