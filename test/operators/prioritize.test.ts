import { expect } from 'chai';
import { NEVER, Subject, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import { createGainModel } from '../../src/operators/createGainModel.js';
import { prioritize, type PrioritizeOptions } from '../../src/operators/prioritize.js';
import type { ScheduleOutcome } from '../../src/operators/ScheduleOutcome.js';
import {
  fileItem,
  reduceEnd as reduceEndAt,
  reduceError,
  reduceStart,
  reduction,
  uploadEnd as uploadEndAt,
  uploaded,
  uploadStart,
} from '../../src/testing/index.js';

const [a, b, c] = [fileItem(0, 100), fileItem(1, 100), fileItem(2, 100)];
const reducedA = reduction(a, { bytesOut: 40, cpuMs: 2 });
const unreducedB = reduction(b, { cpuMs: 5, reason: 'would grow' });

// Outcomes fed to the merge: it reads what they say, not when they say it was.
const reduceEnd = (done: Reduction): ScheduleOutcome => reduceEndAt(done.item, 0, done);
const uploadEnd = (item: FileItem, bytes = item.size): ScheduleOutcome => uploadEndAt(item, 0, uploaded(item, { bytes }));

describe('prioritize', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const merge = (outcomes: Observable<ScheduleOutcome>, options: Omit<PrioritizeOptions, 'outcomes'> = {}) =>
    prioritize({ scheduler: testScheduler, ...options, outcomes });

  describe('options', () => {
    it('should throw TypeErrors for invalid options at the call', () => {
      expect(() => prioritize({ outcomes: NEVER, cores: -1 })).to.throw(TypeError, 'Expected `cores` to be an integer >= 0, got -1');
      expect(() => prioritize({ outcomes: NEVER, uploadSlots: 0 })).to.throw(TypeError, 'Expected `uploadSlots` to be an integer >= 1, got 0');
      expect(() => prioritize({ outcomes: NEVER, searchBlock: 0 })).to.throw(TypeError, 'Expected `searchBlock` to be an integer >= 1, got 0');
      expect(() => prioritize({ outcomes: NEVER, strategy: 'lifo' as never })).to.throw(TypeError, 'Expected `strategy` to be one of none, fifo, splines, oracle, adaptive, got lifo');
      expect(() => prioritize({ outcomes: undefined as never })).to.throw(TypeError, 'Expected `outcomes` to be an Observable');
      expect(() => prioritize({ outcomes: NEVER, strategy: 'oracle' })).to.throw(TypeError, 'Expected `oracleScores`');
      expect(() => prioritize({ outcomes: NEVER, bandwidth: 0 })).to.throw(TypeError, 'Expected `bandwidth` to be a number > 0, got 0');
      expect(() => prioritize({ outcomes: NEVER, initialBandwidth: -1 })).to.throw(TypeError, 'Expected `initialBandwidth` to be a number > 0, got -1');
      expect(() => prioritize({ outcomes: NEVER, gainModel: {} as never })).to.throw(TypeError, 'Expected `gainModel` to be a GainModel');
    });
  });

  describe('stream contract', () => {
    it('should decide nothing for a never source, and not complete', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const files = cold<FileItem>('-');
        const outcomes = cold<ScheduleOutcome>('-');
        expectObservable(files.pipe(merge(outcomes))).toBe('-');
        expectSubscriptions(outcomes.subscriptions).toBe('^');
      });
    });

    it('should complete at once for an empty source', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        expectObservable(cold<FileItem>('|').pipe(merge(NEVER))).toBe('|');
      });
    });

    it('should release one file to the core, its copy to the uplink on reduce-end, and complete on upload-end', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const outcomes = hot<ScheduleOutcome>('--e----D', { e: reduceEnd(reducedA), D: uploadEnd(a, 40) });
        expectObservable(cold('a|', { a }).pipe(merge(outcomes, { strategy: 'fifo' }))).toBe('s-u----|', {
          s: reduceStart(a, 0),
          u: uploadStart(a, 2, { item: a, bodyPath: '/spool/f0', bodySize: 40 }),
        });
      });
    });

    it('should release uploads only into free slots, the next when an upload ends', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const outcomes = hot<ScheduleOutcome>('-----A-B-C', { A: uploadEnd(a), B: uploadEnd(b), C: uploadEnd(c) });
        const decisions = cold('(abc|)', { a, b, c }).pipe(merge(outcomes, { strategy: 'none', uploadSlots: 2 }));
        expectObservable(decisions).toBe('(uv)-w---|', { u: uploadStart(a, 0), v: uploadStart(b, 0), w: uploadStart(c, 5) });
      });
    });

    it('should upload the original when the reduction comes back reduced: false', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const outcomes = hot<ScheduleOutcome>('---e--D', { e: reduceEnd(unreducedB), D: uploadEnd(b) });
        expectObservable(cold('b|', { b }).pipe(merge(outcomes, { strategy: 'fifo' }))).toBe('s--u--|', {
          s: reduceStart(b, 0),
          u: uploadStart(b, 3),
        });
      });
    });

    it('should upload the original after a reduce-error', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const failed = reduceError(a, 0, new Error('worker died'));
        const outcomes = hot<ScheduleOutcome>('-x-D', { x: failed, D: uploadEnd(a) });
        expectObservable(cold('a|', { a }).pipe(merge(outcomes, { strategy: 'fifo' }))).toBe('su-|', { s: reduceStart(a, 0), u: uploadStart(a, 1) });
      });
    });

    it('should ignore an outcome of a decision it never made', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const outcomes = hot<ScheduleOutcome>('-xA', { x: uploadEnd(b), A: uploadEnd(a) });
        expectObservable(cold('a|', { a }).pipe(merge(outcomes, { strategy: 'none' }))).toBe('u-|', { u: uploadStart(a, 0) });
      });
    });

    it('should error at once on a source error or an outcomes error', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const boom = new Error('watcher died');
        expectObservable(cold('-a-#', { a }, boom).pipe(merge(NEVER, { strategy: 'none' }))).toBe('-u-#', { u: uploadStart(a, 1) }, boom);
        const lost = new Error('branch died');
        expectObservable(cold('a', { a }).pipe(merge(cold('--#', undefined, lost), { strategy: 'none' }))).toBe('u-#', { u: uploadStart(a, 0) }, lost);
      });
    });

    it('should keep deciding for a never-ending source', () => {
      testScheduler.run(({ cold, hot, expectObservable }) => {
        const outcomes = hot<ScheduleOutcome>('--A', { A: uploadEnd(a) });
        expectObservable(cold('a---b---', { a, b }).pipe(merge(outcomes, { strategy: 'none' }))).toBe('u---v---', {
          u: uploadStart(a, 0),
          v: uploadStart(b, 4),
        });
      });
    });

    it('should let go of the files and the outcomes on early unsubscribe', () => {
      testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
        const files = cold('a-b-c', { a, b, c });
        const outcomes = cold<ScheduleOutcome>('-');
        expectObservable(files.pipe(merge(outcomes, { strategy: 'none' })), '---!').toBe('u', { u: uploadStart(a, 0) });
        expectSubscriptions(files.subscriptions).toBe('^--!');
        expectSubscriptions(outcomes.subscriptions).toBe('^--!');
      });
    });

    it('should release nothing new once halted, and complete when what is in flight has ended', () => {
      testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const files = cold('ab-----', { a, b });
        const outcomes = hot<ScheduleOutcome>('----A', { A: uploadEnd(a) });
        const halt = hot('--h');
        expectObservable(files.pipe(merge(outcomes, { strategy: 'none', halt }))).toBe('u---|', { u: uploadStart(a, 0) });
        expectSubscriptions(files.subscriptions).toBe('^-!');
      });
    });
  });

  describe('inputs a user can replace', () => {
    // One score already known (5000 bytes per CPU-second) makes every estimate 5000.
    const knowing = () => {
      const model = createGainModel();
      model.observe(100, 5000);
      return model;
    };

    it('should reduce with adaptive on an idle uplink when the known score beats a fixed bandwidth', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const slow = cold('a', { a }).pipe(merge(NEVER, { strategy: 'adaptive', gainModel: knowing(), bandwidth: 1000 }));
        expectObservable(slow).toBe('s', { s: reduceStart(a, 0) });
        const fast = cold('a', { a }).pipe(merge(NEVER, { strategy: 'adaptive', gainModel: knowing(), bandwidth: 10_000 }));
        expectObservable(fast).toBe('u', { u: uploadStart(a, 0) });
      });
    });

    it('should follow a bandwidth stream, deciding by its latest value', () => {
      testScheduler.run(({ cold, expectObservable }) => {
        const bandwidth = cold('f---s', { f: 10_000, s: 1000 });
        const outcomes = new Subject<ScheduleOutcome>();
        const decisions = cold('a-------b', { a, b }).pipe(merge(outcomes, { strategy: 'adaptive', gainModel: knowing(), bandwidth, uploadSlots: 2 }));
        // At 0 the link is fast: a goes raw. At 8 it is slow: b is reduced, though a slot is free.
        expectObservable(decisions).toBe('u-------s', { u: uploadStart(a, 0), s: reduceStart(b, 8) });
      });
    });

    describe('searchBlock', () => {
      // adaptive, 1 core, 1 slot: a goes raw (the uplink is idle), b is reduced (the search) but
      // saves nothing, so the estimate is 0 everywhere. c is then reduced only if it lies in a
      // block with no known score: explored, not climbed.
      const run = (searchBlock: number | undefined): void => {
        testScheduler.run(({ cold, hot, expectObservable }) => {
          const outcomes = hot<ScheduleOutcome>('-----e', { e: reduceEnd(unreducedB) });
          const options = { strategy: 'adaptive' as const, ...(searchBlock === undefined ? {} : { searchBlock }) };
          const decisions = cold('(abc)', { a, b, c }).pipe(merge(outcomes, options));
          const expected = searchBlock === 2 ? '(us)-t' : '(us)';
          expectObservable(decisions).toBe(expected, { u: uploadStart(a, 0), s: reduceStart(b, 0), t: reduceStart(c, 5) });
        });
      };
      it('should climb past c in the default block of 15, where a score is known', () => run(undefined));
      it('should explore c in a block of 2 with no known score', () => run(2));
    });
  });
});
