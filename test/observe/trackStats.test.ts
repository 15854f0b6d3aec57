import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import type { AgentStats } from '../../src/observe/AgentStats.js';
import { trackStats } from '../../src/observe/trackStats.js';
import { idleStats } from './statsFixtures.js';

const zero: AgentStats = idleStats;

function stats(overrides: Partial<AgentStats>): AgentStats {
  return { ...zero, ...overrides };
}

describe('trackStats', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  it('should emit nothing for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<AgentEvent>('-');
      expectObservable(source.pipe(trackStats())).toBe('-');
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });

  it('should complete without a snapshot for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<AgentEvent>('|');
      expectObservable(source.pipe(trackStats())).toBe('|');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('should count one seen file as pending backlog', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<AgentEvent>('a|', { a: { type: 'seen', at: 5, path: 'a', bytes: 100 } });
      expectObservable(source.pipe(trackStats())).toBe('a|', {
        a: stats({ updatedAt: 5, filesSeen: 1, filesPending: 1, bytesSeen: 100, backlogBytes: 100, backlogSeconds: undefined }),
      });
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('should follow a file through reduction and upload', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const events: Record<string, AgentEvent> = {
        s: { type: 'seen', at: 1000, path: 'a', bytes: 4000 },
        r: { type: 'reduce-start', at: 1100, path: 'a' },
        R: { type: 'reduced', at: 1200, path: 'a', bytesIn: 4000, bytesOut: 1000, cpuMs: 90, reduced: true },
        u: { type: 'upload-start', at: 1300, path: 'a', bytes: 1000 },
        U: { type: 'uploaded', at: 1800, path: 'a', bytes: 1000, status: 200, durationMs: 500 },
      };
      const seen = { filesSeen: 1, bytesSeen: 4000 };
      const source = cold<AgentEvent>('s-r-R-u-U|', events);
      expectObservable(source.pipe(trackStats())).toBe('s-r-R-u-U|', {
        s: stats({ ...seen, updatedAt: 1000, filesPending: 1, backlogBytes: 4000, backlogSeconds: undefined }),
        r: stats({ ...seen, updatedAt: 1100, filesPending: 1, filesReducing: 1, backlogBytes: 4000, backlogSeconds: undefined }),
        R: stats({
          ...seen,
          updatedAt: 1200,
          filesPending: 1,
          filesReduced: 1,
          bytesSaved: 3000,
          backlogBytes: 1000,
          backlogSeconds: undefined,
        }),
        u: stats({
          ...seen,
          updatedAt: 1300,
          filesPending: 1,
          filesReduced: 1,
          filesUploading: 1,
          bytesSaved: 3000,
          backlogBytes: 1000,
          backlogSeconds: undefined,
        }),
        U: stats({
          ...seen,
          updatedAt: 1800,
          filesReduced: 1,
          filesUploaded: 1,
          bytesSaved: 3000,
          bytesSent: 1000,
          uplinkBytesPerSecond: 2000,
          etaAt: 1800,
        }),
      });
    });
  });

  it('should smooth the uplink over uploads and derive backlog seconds and ETA from it', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<AgentEvent>('abcd|', {
        a: { type: 'seen', at: 0, path: 'x', bytes: 3000 },
        b: { type: 'seen', at: 0, path: 'y', bytes: 1000 },
        c: { type: 'uploaded', at: 1000, path: 'y', bytes: 1000, status: 200, durationMs: 1000 },
        d: { type: 'uploaded', at: 2000, path: 'z', bytes: 3000, status: 201, durationMs: 1000, bandwidth: 2000 },
      });
      const result = source.pipe(trackStats({ smoothing: 0.5 }));
      expectObservable(result).toBe('abcd|', {
        a: stats({ filesSeen: 1, filesPending: 1, bytesSeen: 3000, backlogBytes: 3000, backlogSeconds: undefined }),
        b: stats({ filesSeen: 2, filesPending: 2, bytesSeen: 4000, backlogBytes: 4000, backlogSeconds: undefined }),
        c: stats({
          updatedAt: 1000,
          filesSeen: 2,
          filesPending: 1,
          filesUploaded: 1,
          bytesSeen: 4000,
          bytesSent: 1000,
          backlogBytes: 3000,
          uplinkBytesPerSecond: 1000,
          backlogSeconds: 3,
          etaAt: 4000,
        }),
        // z was never seen: it is counted as uploaded but never in the backlog.
        d: stats({
          updatedAt: 2000,
          filesSeen: 2,
          filesPending: 1,
          filesUploaded: 2,
          bytesSeen: 4000,
          bytesSent: 4000,
          backlogBytes: 3000,
          uplinkBytesPerSecond: 1500,
          backlogSeconds: 2,
          etaAt: 4000,
        }),
      });
    });
  });

  it('should count retries and failures as errors and remember the last one', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<AgentEvent>('sutf|', {
        s: { type: 'seen', at: 1, path: 'a', bytes: 10 },
        u: { type: 'upload-start', at: 2, path: 'a', bytes: 10 },
        t: { type: 'retried', at: 3, path: 'a', attempt: 2, delayMs: 500, error: 'HTTP 503' },
        f: { type: 'failed', at: 4, path: 'a', status: 0, error: 'ECONNREFUSED' },
      });
      const base = { filesSeen: 1, bytesSeen: 10 };
      expectObservable(source.pipe(trackStats())).toBe('sutf|', {
        s: stats({ ...base, updatedAt: 1, filesPending: 1, backlogBytes: 10, backlogSeconds: undefined }),
        u: stats({ ...base, updatedAt: 2, filesPending: 1, filesUploading: 1, backlogBytes: 10, backlogSeconds: undefined }),
        t: stats({
          ...base,
          updatedAt: 3,
          filesPending: 1,
          backlogBytes: 10,
          backlogSeconds: undefined,
          errors: 1,
          retries: 1,
          lastError: { at: 3, path: 'a', message: 'HTTP 503' },
        }),
        f: stats({
          ...base,
          updatedAt: 4,
          filesFailed: 1,
          etaAt: 4,
          errors: 2,
          retries: 1,
          lastError: { at: 4, path: 'a', message: 'ECONNREFUSED' },
        }),
      });
    });
  });

  it('should not count an unreduced file as reduced nor add to the savings', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<AgentEvent>('sR|', {
        s: { type: 'seen', at: 1, path: 'a', bytes: 10 },
        R: { type: 'reduced', at: 2, path: 'a', bytesIn: 10, bytesOut: 10, cpuMs: 3, reduced: false, reason: 'would grow' },
      });
      expectObservable(source.pipe(trackStats())).toBe('sR|', {
        s: stats({ updatedAt: 1, filesSeen: 1, bytesSeen: 10, filesPending: 1, backlogBytes: 10, backlogSeconds: undefined }),
        R: stats({ updatedAt: 2, filesSeen: 1, bytesSeen: 10, filesPending: 1, backlogBytes: 10, backlogSeconds: undefined }),
      });
    });
  });

  it('should replace a pending file that is seen again instead of adding to the backlog', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<AgentEvent>('ab|', {
        a: { type: 'seen', at: 1, path: 'a', bytes: 10 },
        b: { type: 'seen', at: 2, path: 'a', bytes: 30 },
      });
      expectObservable(source.pipe(trackStats())).toBe('ab|', {
        a: stats({ updatedAt: 1, filesSeen: 1, bytesSeen: 10, filesPending: 1, backlogBytes: 10, backlogSeconds: undefined }),
        b: stats({ updatedAt: 2, filesSeen: 2, bytesSeen: 40, filesPending: 1, backlogBytes: 30, backlogSeconds: undefined }),
      });
    });
  });

  it('should pass a source error through after the snapshots before it', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<AgentEvent>('a#', { a: { type: 'seen', at: 1, path: 'a', bytes: 1 } }, new Error('boom'));
      expectObservable(source.pipe(trackStats())).toBe(
        'a#',
        { a: stats({ updatedAt: 1, filesSeen: 1, bytesSeen: 1, filesPending: 1, backlogBytes: 1, backlogSeconds: undefined }) },
        new Error('boom'),
      );
      expectSubscriptions(source.subscriptions).toBe('^!');
    });
  });

  it('should keep emitting for a never-ending source and release it on early unsubscribe', () => {
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot<AgentEvent>('-a-b-c-', {
        a: { type: 'seen', at: 1, path: 'a', bytes: 1 },
        b: { type: 'seen', at: 2, path: 'b', bytes: 1 },
        c: { type: 'seen', at: 3, path: 'c', bytes: 1 },
      });
      const unsub = '                 ^---!  ';
      expectObservable(source.pipe(trackStats()), unsub).toBe('-a-b-', {
        a: stats({ updatedAt: 1, filesSeen: 1, bytesSeen: 1, filesPending: 1, backlogBytes: 1, backlogSeconds: undefined }),
        b: stats({ updatedAt: 2, filesSeen: 2, bytesSeen: 2, filesPending: 2, backlogBytes: 2, backlogSeconds: undefined }),
      });
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('should count a skipped file without adding it to the backlog', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<AgentEvent>('a|', { a: { type: 'skipped', at: 5, path: 'a', bytes: 100, reason: 'sent before' } });
      expectObservable(source.pipe(trackStats())).toBe('a|', {
        a: stats({ updatedAt: 5, filesSkipped: 1, etaAt: 5 }),
      });
    });
  });

  it('should count the files waiting for admission in the backlog and the ETA, as each report says', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const events = {
        a: { type: 'seen', at: 0, path: 'a', bytes: 100 },
        b: { type: 'uploaded', at: 1000, path: 'a', bytes: 100, status: 200, durationMs: 1000 },
        w: { type: 'waiting', at: 1000, files: 3, bytes: 300 },
        x: { type: 'waiting', at: 2000, files: 1, bytes: 100 },
        y: { type: 'waiting', at: 3000, files: 0, bytes: 0 },
      } satisfies Record<string, AgentEvent>;
      const source = cold<AgentEvent>('abwxy|', events);
      const sent = { filesSeen: 1, bytesSeen: 100, filesUploaded: 1, bytesSent: 100, uplinkBytesPerSecond: 100 };
      expectObservable(source.pipe(trackStats())).toBe('abwxy|', {
        a: stats({ updatedAt: 0, filesSeen: 1, filesPending: 1, bytesSeen: 100, backlogBytes: 100, backlogSeconds: undefined }),
        b: stats({ updatedAt: 1000, ...sent, etaAt: 1000 }),
        w: stats({ updatedAt: 1000, ...sent, filesWaiting: 3, backlogBytes: 300, backlogSeconds: 3, etaAt: 4000 }),
        x: stats({ updatedAt: 2000, ...sent, filesWaiting: 1, backlogBytes: 100, backlogSeconds: 1, etaAt: 3000 }),
        y: stats({ updatedAt: 3000, ...sent, etaAt: 3000 }),
      });
    });
  });

  it('should hold the ledger degraded from its first failed write to its recovery, counting failed writes', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const dir = '/var/lib/haste-agent';
      const source = cold<AgentEvent>('abc|', {
        a: { type: 'ledger-degraded', at: 10, path: dir, code: 'ENOSPC', error: 'full', attempt: 1, retryInMs: 1000, failedWrites: 1 },
        b: { type: 'ledger-degraded', at: 1010, path: dir, code: 'ENOSPC', error: 'full', attempt: 2, retryInMs: 2000, failedWrites: 2 },
        c: { type: 'ledger-recovered', at: 3010, path: dir, downMs: 3000, failedWrites: 2 },
      });
      expectObservable(source.pipe(trackStats())).toBe('abc|', {
        a: stats({ updatedAt: 10, etaAt: 10, ledgerDegraded: { since: 10, code: 'ENOSPC', error: 'full', retryInMs: 1000 }, ledgerWriteFailures: 1 }),
        b: stats({ updatedAt: 1010, etaAt: 1010, ledgerDegraded: { since: 10, code: 'ENOSPC', error: 'full', retryInMs: 2000 }, ledgerWriteFailures: 2 }),
        c: stats({ updatedAt: 3010, etaAt: 3010, ledgerWriteFailures: 2 }),
      });
    });
  });

  it('should start from zero for every subscription', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<AgentEvent>('a|', { a: { type: 'seen', at: 1, path: 'a', bytes: 1 } });
      const tracked = source.pipe(trackStats());
      const once = stats({ updatedAt: 1, filesSeen: 1, bytesSeen: 1, filesPending: 1, backlogBytes: 1, backlogSeconds: undefined });
      expectObservable(tracked).toBe('a|', { a: once });
      expectObservable(tracked).toBe('a|', { a: once });
    });
  });

  it('should reject a smoothing outside (0, 1] when called', () => {
    expect(() => trackStats({ smoothing: 0 })).to.throw(TypeError, 'Expected `smoothing` to be a number in (0, 1], got 0');
    expect(() => trackStats({ smoothing: 1.5 })).to.throw(TypeError);
  });
});
