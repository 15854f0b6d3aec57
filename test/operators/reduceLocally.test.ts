import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { from, lastValueFrom, type Observable, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';
import { reduceLocally } from '../../src/operators/reduceLocally.js';
import { fileItem, microscopyPixels, writeGreyPng } from '../reducers/reducerFixtures.js';

const file = (name: string, index: number): FileItem => ({ path: `/in/${name}.png`, size: 100 + index, mtimeMs: 0, index });
const a = file('a', 0);
const b = file('b', 1);
const c = file('c', 2);
const reduced = (item: FileItem): Reduction => ({
  item,
  reduced: true,
  outputPath: `/spool/${item.index}.png`,
  bytesIn: item.size,
  bytesOut: 10,
  cpuMs: 5,
});
const A = reduced(a);
const B = reduced(b);
const C = reduced(c);
const unreduced = (item: FileItem, reason: string): Reduction => ({
  item,
  reduced: false,
  bytesIn: item.size,
  bytesOut: item.size,
  cpuMs: 0,
  reason,
});

describe('reduceLocally', () => {
  let testScheduler: TestScheduler;

  beforeEach(() => {
    testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
  });

  /** A reduce stand-in answering each item with its own observable. */
  const byItem = (answers: Map<FileItem, Observable<Reduction>>) => (item: FileItem) => {
    const answer = answers.get(item);
    if (answer === undefined) throw new Error(`unexpected item ${item.path}`);
    return answer;
  };

  it('should emit nothing and stay subscribed for a source that never emits', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('-');
      const result = source.pipe(reduceLocally({ reduce: byItem(new Map()) }));
      expectObservable(result).toBe('-');
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });

  it('should complete at once for an empty source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('|');
      expectObservable(source.pipe(reduceLocally({ reduce: byItem(new Map()) }))).toBe('|');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('should emit the reduction of one file when its reduce answers, then complete', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('-a|', { a });
      const reduceA = cold<Reduction>('  --A|', { A });
      const result = source.pipe(reduceLocally({ reduce: byItem(new Map([[a, reduceA]])) }));
      // The first value is the reduction: the reducer is let go, and its slot freed, with it.
      expectObservable(result).toBe('---(A|)', { A });
      expectSubscriptions(source.subscriptions).toBe('^-!');
      expectSubscriptions(reduceA.subscriptions).toBe('-^-!');
    });
  });

  it('should emit many reductions in the order they finish', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<FileItem>('-a-b-c|', { a, b, c });
      const answers = new Map([
        [a, cold<Reduction>('----A|', { A })],
        [b, cold<Reduction>('-B|', { B })],
        [c, cold<Reduction>('-C|', { C })],
      ]);
      const result = source.pipe(reduceLocally({ cores: 3, reduce: byItem(answers) }));
      expectObservable(result).toBe('----BA(C|)', { A, B, C });
    });
  });

  it('should reduce one file at a time with cores 1', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('(abc|)', { a, b, c });
      const reduceA = cold<Reduction>('----A|', { A });
      const reduceB = cold<Reduction>('----B|', { B });
      const reduceC = cold<Reduction>('----C|', { C });
      const answers = new Map([[a, reduceA], [b, reduceB], [c, reduceC]]);
      const result = source.pipe(reduceLocally({ cores: 1, reduce: byItem(answers) }));
      expectObservable(result).toBe('----A---B---(C|)', { A, B, C });
      expectSubscriptions(reduceA.subscriptions).toBe('^---!');
      expectSubscriptions(reduceB.subscriptions).toBe('----^---!');
      expectSubscriptions(reduceC.subscriptions).toBe('--------^---!');
    });
  });

  it('should reduce two files at a time with cores 2', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('(abc|)', { a, b, c });
      const reduceA = cold<Reduction>('----A|', { A });
      const reduceB = cold<Reduction>('----B|', { B });
      const reduceC = cold<Reduction>('----C|', { C });
      const answers = new Map([[a, reduceA], [b, reduceB], [c, reduceC]]);
      const result = source.pipe(reduceLocally({ cores: 2, reduce: byItem(answers) }));
      expectObservable(result).toBe('----(AB)(C|)', { A, B, C });
      expectSubscriptions(reduceA.subscriptions).toBe('^---!');
      expectSubscriptions(reduceB.subscriptions).toBe('^---!');
      expectSubscriptions(reduceC.subscriptions).toBe('----^---!');
    });
  });

  it('should pass a source error through after the reductions already emitted', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('-a-#', { a }, new Error('watcher died'));
      const reduceA = cold<Reduction>('  -A|', { A });
      const result = source.pipe(reduceLocally({ reduce: byItem(new Map([[a, reduceA]])) }));
      expectObservable(result).toBe('--A#', { A }, new Error('watcher died'));
      expectSubscriptions(source.subscriptions).toBe('^--!');
      expectSubscriptions(reduceA.subscriptions).toBe('-^!');
    });
  });

  it('should keep reducing files from a never-ending source', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('-a---b---', { a, b });
      const answers = new Map([
        [a, cold<Reduction>('-A|', { A })],
        [b, cold<Reduction>('-B|', { B })],
      ]);
      const result = source.pipe(reduceLocally({ reduce: byItem(answers) }));
      expectObservable(result).toBe('--A---B--', { A, B });
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });

  it('should unsubscribe from the source and the running reduction on early unsubscribe', () => {
    testScheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<FileItem>('-a-b-c-|', { a, b, c });
      const reduceA = cold<Reduction>('  --A|', { A });
      const reduceB = cold<Reduction>('    --B|', { B });
      const reduceC = cold<Reduction>('--C|', { C });
      const answers = new Map([[a, reduceA], [b, reduceB], [c, reduceC]]);
      const result = source.pipe(reduceLocally({ cores: 2, reduce: byItem(answers) }));
      expectObservable(result, '----!').toBe('---A', { A });
      expectSubscriptions(source.subscriptions).toBe('^---!');
      expectSubscriptions(reduceA.subscriptions).toBe('-^-!');
      expectSubscriptions(reduceB.subscriptions).toBe('---^!');
      expectSubscriptions(reduceC.subscriptions).toBe([]);
    });
  });

  it('should turn a reduce that throws into an unreduced result and carry on', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<FileItem>('-a-b|', { a, b });
      const reduce = (item: FileItem) => {
        if (item === a) throw new Error('cannot start worker');
        return cold<Reduction>('-B|', { B });
      };
      const result = source.pipe(reduceLocally({ reduce }));
      expectObservable(result).toBe('-x--(B|)', { x: unreduced(a, 'cannot start worker'), B });
    });
  });

  it('should turn a reduce that errors into an unreduced result and carry on', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<FileItem>('-a-b|', { a, b });
      const answers = new Map([
        [a, cold<Reduction>('--#', undefined, new Error('worker pool is closed'))],
        [b, cold<Reduction>('-B|', { B })],
      ]);
      const result = source.pipe(reduceLocally({ reduce: byItem(answers) }));
      expectObservable(result).toBe('---x(B|)', { x: unreduced(a, 'worker pool is closed'), B });
    });
  });

  it('should turn a reduce that completes without a result into an unreduced result', () => {
    testScheduler.run(({ cold, expectObservable }) => {
      const source = cold<FileItem>('-a|', { a });
      const answers = new Map([[a, cold<Reduction>('--|')]]);
      const result = source.pipe(reduceLocally({ reduce: byItem(answers) }));
      expectObservable(result).toBe('---(x|)', { x: unreduced(a, 'Reducer completed without a result') });
    });
  });

  it('should throw a TypeError for cores that is not an integer >= 1', () => {
    expect(() => reduceLocally({ cores: 0 })).to.throw(TypeError, 'Expected `cores` to be an integer >= 1, got 0');
    expect(() => reduceLocally({ cores: 2.5 })).to.throw(TypeError, 'Expected `cores` to be an integer >= 1, got 2.5');
  });

  it('should throw a TypeError for invalid reducer options before any subscription', () => {
    expect(() => reduceLocally({ tolerance: Number.NaN })).to.throw(
      TypeError,
      'Expected `tolerance` to be a number from 0 to 256, got NaN',
    );
  });

  describe('with the default worker pool', () => {
    let dir: string;

    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'haste-reduce-locally-'));
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('should reduce real images on two worker threads and report an undecodable one', async () => {
      const items: FileItem[] = [];
      for (let i = 0; i < 3; i++) {
        const image = path.join(dir, `frame${i}.png`);
        await writeGreyPng(image, microscopyPixels(128, i + 10), 128, 128);
        items.push(await fileItem(image, i));
      }
      const missing: FileItem = { path: path.join(dir, 'missing.png'), size: 42, mtimeMs: 0, index: 3 };
      const spoolDir = path.join(dir, 'spool');

      const reductions = await lastValueFrom(
        from([...items, missing]).pipe(reduceLocally({ cores: 2, spoolDir }), toArray()),
      );

      const byIndex = [...reductions].sort((x, y) => x.item.index - y.item.index);
      expect(byIndex.map((r) => r.reduced)).to.deep.equal([true, true, true, false]);
      for (const r of byIndex.slice(0, 3)) {
        expect(r.outputPath).to.equal(path.join(spoolDir, `${r.item.index}-frame${r.item.index}.png`));
        expect(r.bytesOut).to.be.lessThan(r.bytesIn);
      }
      expect(byIndex[3]).to.include({ bytesIn: 42, bytesOut: 42 });
    });
  });
});
