import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import { scheduleFiles } from '../../src/operators/scheduleFiles.js';
import { fileItem } from '../../src/testing/fileItem.js';
import { uploadEnd } from '../../src/testing/uploadEnd.js';
import { uploaded } from '../../src/testing/uploaded.js';
import { uploadStart } from '../../src/testing/uploadStart.js';
import { virtualUploader } from '../../src/testing/virtualUploader.js';

describe('virtualUploader', () => {
  let testScheduler: TestScheduler;
  const a = fileItem(0, 100);

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should acknowledge a job once its bytes have gone up, body size first, as its diagram shows', () => {
    testScheduler.run(({ expectObservable }) => {
      const upload = virtualUploader(testScheduler, { bytesPerMs: 20 });
      expectObservable(upload({ item: a })).toBe('-----(u|)', { u: uploaded(a, { startedAt: 0, finishedAt: 5 }) });
      expectObservable(upload({ item: a, bodyPath: '/spool/f0', bodySize: 40 })).toBe('--(u|)', {
        u: uploaded(a, { bytes: 40, startedAt: 0, finishedAt: 2 }),
      });
    });
  });

  it('should stamp the times it was subscribed and answered, and stop waiting on unsubscribe', () => {
    testScheduler.run(({ expectObservable }) => {
      const upload = virtualUploader(testScheduler, { bytesPerMs: 20 });
      expectObservable(upload({ item: a }), '---^').toBe('--------(u|)', { u: uploaded(a, { startedAt: 3, finishedAt: 8 }) });
      expectObservable(upload({ item: a }), '^--!').toBe('');
    });
  });

  it('should add the latency and round up to a whole frame, a quotient like 90 / 0.1 kept on its frame', () => {
    testScheduler.run(({ expectObservable }) => {
      const slow = virtualUploader(testScheduler, { bytesPerMs: 0.1, latencyMs: 2 });
      const b = fileItem(1, 90);
      expectObservable(slow({ item: b })).toBe('902ms (u|)', { u: uploaded(b, { startedAt: 0, finishedAt: 902 }) });
      const odd = virtualUploader(testScheduler, { bytesPerMs: 30 });
      expectObservable(odd({ item: a })).toBe('----(u|)', { u: uploaded(a, { startedAt: 0, finishedAt: 4 }) });
    });
  });

  it('should give each upload in flight the whole rate', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const b = fileItem(1, 100);
      const upload = virtualUploader(testScheduler, { bytesPerMs: 20 });
      const events = cold('(ab|)', { a, b }).pipe(scheduleFiles({ strategy: 'none', uploadSlots: 2, upload, scheduler: testScheduler }));
      expectObservable(events).toBe('(UV)-(DE|)', {
        U: uploadStart(a, 0),
        V: uploadStart(b, 0),
        D: uploadEnd(a, 5, uploaded(a, { startedAt: 0, finishedAt: 5 })),
        E: uploadEnd(b, 5, uploaded(b, { startedAt: 0, finishedAt: 5 })),
      });
    });
  });

  it('should throw TypeErrors for bad options at the call', () => {
    expect(() => virtualUploader(testScheduler, { bytesPerMs: 0 })).to.throw(TypeError, 'Expected `bytesPerMs` to be a number > 0, got 0');
    expect(() => virtualUploader(testScheduler, undefined as never)).to.throw(TypeError, 'Expected `bytesPerMs` to be a number > 0, got undefined');
    expect(() => virtualUploader(testScheduler, { bytesPerMs: 1, latencyMs: -1 })).to.throw(TypeError, 'Expected `latencyMs` to be a number >= 0, got -1');
  });
});
