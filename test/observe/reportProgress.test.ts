import { Writable } from 'node:stream';
import { expect } from 'chai';
import { TestScheduler } from 'rxjs/testing';
import type { AgentStats } from '../../src/observe/AgentStats.js';
import { renderStatusBlock } from '../../src/observe/renderStatusBlock.js';
import { reportProgress } from '../../src/observe/reportProgress.js';
import { busyStats, idleStats } from './statsFixtures.js';

/** A terminal stand-in that records what was written and when (in virtual time). */
class FakeStream extends Writable {
  readonly writes: { at: number; text: string }[] = [];
  isTTY: boolean;
  columns: number | undefined;

  constructor(private readonly now: () => number, tty: boolean, columns?: number) {
    super();
    this.isTTY = tty;
    this.columns = columns;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.writes.push({ at: this.now(), text: chunk.toString('utf8') });
    callback();
  }
}

const stat = (filesSeen: number): AgentStats => ({ ...idleStats, filesSeen });

describe('reportProgress', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const values = { a: stat(1), b: stat(2), c: stat(3), d: stat(4) };
  const seenIn = (text: string): number => Number(/(\d+) seen/.exec(text)?.[1]);

  it('should draw the block on a TTY at once and then at most once per interval, trailing the latest', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a-bc--------d-|', values);
      const result = source.pipe(reportProgress({ stream, intervalMs: 4, scheduler: testScheduler, color: false }));
      expectObservable(result).toBe('a-bc--------d-|', values);
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
    expect(stream.writes.map(({ at, text }) => [at, seenIn(text)])).to.deep.equal([
      [0, 1],
      [4, 3],
      [12, 4],
    ]);
  });

  it('should redraw in place with cursor-up and clear-line codes', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('a----b|', { a: idleStats, b: busyStats });
      expectObservable(source.pipe(reportProgress({ stream, intervalMs: 2, scheduler: testScheduler, color: false }))).toBe(
        'a----b|',
        { a: idleStats, b: busyStats },
      );
    });
    const block = (stats: AgentStats): string => renderStatusBlock(stats, { width: 80 }).map((l) => `\r\x1b[2K${l}`).join('\n');
    expect(stream.writes.map((w) => w.text)).to.deep.equal([`${block(idleStats)}\n`, `\x1b[5A${block(busyStats)}\n`]);
  });

  it('should fit the block to the stream columns and colour it by default on a TTY', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 30);
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('a|', { a: busyStats }).pipe(reportProgress({ stream, scheduler: testScheduler }))).toBe('a|', {
        a: busyStats,
      });
    });
    const expected = renderStatusBlock(busyStats, { width: 30, color: true }).map((l) => `\r\x1b[2K${l}`).join('\n');
    expect(stream.writes.map((w) => w.text)).to.deep.equal([`${expected}\n`]);
  });

  it('should draw the last state on completion even inside an interval', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, expectObservable }) => {
      const result = cold('ab|', values).pipe(reportProgress({ stream, scheduler: testScheduler }));
      expectObservable(result).toBe('ab|', values);
    });
    expect(stream.writes.map(({ at, text }) => [at, seenIn(text)])).to.deep.equal([
      [0, 1],
      [2, 2],
    ]);
  });

  it('should draw the last state when the source errors, and pass the error on', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, expectObservable }) => {
      const result = cold('ab#', values, new Error('boom')).pipe(reportProgress({ stream, scheduler: testScheduler }));
      expectObservable(result).toBe('ab#', values, new Error('boom'));
    });
    expect(stream.writes.map(({ text }) => seenIn(text))).to.deep.equal([1, 2]);
  });

  it('should write plain status lines every 10 s by default when the stream is not a TTY', () => {
    const stream = new FakeStream(() => testScheduler.now(), false);
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('a 1s b 4s c 9s d 20s |', values);
      expectObservable(source.pipe(reportProgress({ stream, scheduler: testScheduler }))).toBe('a 1s b 4s c 9s d 20s |', values);
    });
    expect(stream.writes.map(({ at, text }) => [at, text])).to.deep.equal([
      [0, 'seen 1, uploaded 0, pending 0, failed 0, sent 0 B, saved 0 B, backlog 0 B, uplink ?, ETA 0s, errors 0\n'],
      [10_000, 'seen 3, uploaded 0, pending 0, failed 0, sent 0 B, saved 0 B, backlog 0 B, uplink ?, ETA 0s, errors 0\n'],
      [20_000, 'seen 4, uploaded 0, pending 0, failed 0, sent 0 B, saved 0 B, backlog 0 B, uplink ?, ETA 0s, errors 0\n'],
    ]);
    expect(stream.writes.every(({ text }) => !text.includes('\x1b'))).to.equal(true);
  });

  it('should write each status as one JSON object, even on a TTY, with format json', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold('a 1s b 12s |', { a: idleStats, b: busyStats });
      expectObservable(source.pipe(reportProgress({ stream, scheduler: testScheduler, format: 'json' }))).toBe('a 1s b 12s |', { a: idleStats, b: busyStats });
    });
    expect(stream.writes.map(({ at }) => at)).to.deep.equal([0, 10_000]);
    expect(stream.writes.every(({ text }) => !text.includes('\x1b') && text.endsWith('}\n') && text.split('\n').length === 2)).to.equal(true);
    const [idle, busy] = stream.writes.map(({ text }) => JSON.parse(text) as Record<string, unknown>);
    expect(idle).to.include({ time: '1970-01-01T00:00:00.000Z', type: 'status', filesSeen: 0, uplinkBytesPerSecond: null, etaAt: null });
    expect(busy).to.deep.include({
      time: '1970-01-01T00:00:10.000Z',
      type: 'status',
      filesSeen: 12,
      uplinkBytesPerSecond: 2_000_000,
      backlogSeconds: 65,
      lastError: { at: 1_699_999_999_000, path: '/data/a.png', message: 'HTTP 503\nService Unavailable' },
    });
    expect(busy!.message).to.match(/^seen 12, uploaded 6, .*uplink 2\.0 MB\/s, ETA 1m05s, errors 3$/);
  });

  it('should reject a format other than human or json when called', () => {
    const stream = new FakeStream(() => 0, false);
    expect(() => reportProgress({ stream, format: 'xml' as 'json' })).to.throw(TypeError, "Expected `format` to be 'human' or 'json', got \"xml\"");
  });

  it('should draw nothing for a source that never emits or is empty', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const never = cold<AgentStats>('-');
      const empty = cold<AgentStats>('|');
      expectObservable(never.pipe(reportProgress({ stream, scheduler: testScheduler }))).toBe('-');
      expectObservable(empty.pipe(reportProgress({ stream, scheduler: testScheduler }))).toBe('|');
      expectSubscriptions(never.subscriptions).toBe('^');
      expectSubscriptions(empty.subscriptions).toBe('(^!)');
    });
    expect(stream.writes).to.deep.equal([]);
  });

  it('should stop drawing when unsubscribed early from a never-ending source', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot('a-b-----c-d-', values);
      const unsub = '     ^--!        ';
      const result = source.pipe(reportProgress({ stream, intervalMs: 5, scheduler: testScheduler }));
      expectObservable(result, unsub).toBe('a-b-', values);
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
    // b was waiting for the interval to end when we left; it is never drawn.
    expect(stream.writes.map(({ text }) => seenIn(text))).to.deep.equal([1]);
  });

  it('should write nothing when quiet', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('ab|', values).pipe(reportProgress({ stream, quiet: true }))).toBe('ab|', values);
    });
    expect(stream.writes).to.deep.equal([]);
  });

  it('should keep passing stats through when writing to the stream throws', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    stream.write = () => {
      throw new Error('EPIPE');
    };
    testScheduler.run(({ cold, expectObservable }) => {
      expectObservable(cold('abc|', values).pipe(reportProgress({ stream, intervalMs: 1, scheduler: testScheduler }))).toBe(
        'abc|',
        values,
      );
    });
  });

  it('should reject a missing stream or a negative interval when called', () => {
    expect(() => reportProgress({} as never)).to.throw(TypeError, 'Expected `stream` to be a writable stream');
    const stream = new FakeStream(() => 0, true);
    expect(() => reportProgress({ stream, intervalMs: -1 })).to.throw(TypeError, 'Expected `intervalMs` to be a number >= 0, got -1');
  });
});

describe('reportProgress with lines', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  const values = { a: stat(1), b: stat(2) };
  const block = (stats: AgentStats): string => renderStatusBlock(stats, { width: 80 }).map((l) => `\r\x1b[2K${l}`).join('\n');

  it('should print each line where the block was and draw the block again beneath it on a TTY', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const source = cold('a----------|', values);
      const lines = hot(' --x--y-----', { x: 'uploaded /d/x.dat', y: 'uploaded /d/y.dat' });
      const result = source.pipe(reportProgress({ stream, intervalMs: 100, scheduler: testScheduler, color: false, lines }));
      expectObservable(result).toBe('a----------|', values);
      expectSubscriptions(lines.subscriptions).toBe('^----------!');
    });
    expect(stream.writes.map(({ at, text }) => [at, text])).to.deep.equal([
      [0, `${block(values.a)}\n`],
      [2, `\x1b[5A\r\x1b[0Juploaded /d/x.dat\n${block(values.a)}\n`],
      [5, `\x1b[5A\r\x1b[0Juploaded /d/y.dat\n${block(values.a)}\n`],
    ]);
  });

  it('should print a line that comes before any stats as it is, and count it off the block', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const lines = hot('x-', { x: 'first' });
      const result = cold('-a|', values).pipe(reportProgress({ stream, intervalMs: 100, scheduler: testScheduler, color: false, lines }));
      expectObservable(result).toBe('-a|', values);
    });
    expect(stream.writes.map(({ text }) => text)).to.deep.equal(['first\n', `${block(values.a)}\n`]);
  });

  it('should count a redraw caused by a line as drawing the latest stats', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const lines = hot('--x------', { x: 'line' });
      const result = cold('ab-------|', values).pipe(reportProgress({ stream, intervalMs: 5, scheduler: testScheduler, color: false, lines }));
      expectObservable(result).toBe('ab-------|', values);
    });
    // b rides along with the line at 2, so the interval ending at 5 has nothing new to draw.
    expect(stream.writes.map(({ at, text }) => [at, text])).to.deep.equal([
      [0, `${block(values.a)}\n`],
      [2, `\x1b[5A\r\x1b[0Jline\n${block(values.b)}\n`],
    ]);
  });

  it('should write lines as they come when the stream is not a TTY', () => {
    const stream = new FakeStream(() => testScheduler.now(), false, 80);
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const lines = hot('-x--', { x: 'a line' });
      const source = cold<AgentStats>('--|');
      expectObservable(source.pipe(reportProgress({ stream, scheduler: testScheduler, quiet: false, lines }))).toBe('--|');
      expectSubscriptions(lines.subscriptions).toBe('^-!');
    });
    expect(stream.writes.map(({ text }) => text)).to.deep.equal(['a line\n']);
  });

  it('should write lines as they come when quiet, even on a TTY', () => {
    const stream = new FakeStream(() => testScheduler.now(), true, 80);
    testScheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const lines = hot('-x--', { x: 'a line' });
      const source = cold<AgentStats>('--|');
      expectObservable(source.pipe(reportProgress({ stream, scheduler: testScheduler, quiet: true, lines }))).toBe('--|');
      expectSubscriptions(lines.subscriptions).toBe('^-!');
    });
    expect(stream.writes.map(({ text }) => text)).to.deep.equal(['a line\n']);
  });

  it('should stop taking lines when unsubscribed early from a never-ending source', () => {
    const stream = new FakeStream(() => testScheduler.now(), false);
    testScheduler.run(({ hot, expectObservable, expectSubscriptions }) => {
      const source = hot<AgentStats>('-------');
      const lines = hot('-x---y-', { x: 'kept', y: 'never printed' });
      expectObservable(source.pipe(reportProgress({ stream, scheduler: testScheduler, lines })), '^--!').toBe('-');
      expectSubscriptions(lines.subscriptions).toBe('^--!');
    });
    expect(stream.writes.map(({ text }) => text)).to.deep.equal(['kept\n']);
  });

  it('should keep passing stats through when the lines error', () => {
    const stream = new FakeStream(() => testScheduler.now(), false);
    testScheduler.run(({ cold, hot, expectObservable }) => {
      const lines = hot('x#', { x: 'before the error' }, new Error('log feed broke'));
      expectObservable(cold('--a|', values).pipe(reportProgress({ stream, scheduler: testScheduler, lines }))).toBe('--a|', values);
    });
    expect(stream.writes.map(({ text }) => text)[0]).to.equal('before the error\n');
  });

  it('should reject lines that are not an Observable when called', () => {
    const stream = new FakeStream(() => 0, true);
    expect(() => reportProgress({ stream, lines: 'x' as never })).to.throw(TypeError, 'Expected `lines` to be an Observable, got x');
  });
});
