import { defer, map, timer, type Observable, type SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { reduction } from './reduction.js';
import { numberAtLeast, objectOption } from '../validation.js';

/** How one file's reduction goes, for {@link virtualReducer}. */
export interface VirtualReductionSpec {
  /** How long it takes, in ms of scheduler time (frames); also its `cpuMs`. */
  readonly ms: number;
  /** Bytes of the copy; below the file's size it counts as reduced. @default the file's size (not reduced) */
  readonly bytesOut?: number;
  /** Fail with this error after `ms` instead of answering. @default answers */
  readonly error?: Error;
}

/** Each file's reduction: by `item.index` in an array, or computed from the item. */
export type VirtualReductionTable = readonly VirtualReductionSpec[] | ((item: FileItem) => VirtualReductionSpec);

/**
 * A reducer stand-in that answers in virtual time: each file's Reduction `ms` after it starts.
 *
 * Pass it as `scheduleFiles`' (or `reduceLocally`'s) `reduce` with the TestScheduler as
 * `scheduler`, and the schedule runs in frames. The answer is `reduction(item, { bytesOut,
 * cpuMs: ms })`, so an expectation builds the same value with `reduction`. A file the table
 * has no entry for fails its reduction, which `scheduleFiles` reports as unreduced with the
 * reason, where the expectation shows it.
 *
 * ```text
 * table:   [{ ms: 2, bytesOut: 40 }, { ms: 3 }]
 * f0:      --(r|)      r = reduction(f0, { bytesOut: 40, cpuMs: 2 })
 * f1:      ---(r|)     r = reduction(f1, { cpuMs: 3 }), not reduced
 * ```
 *
 * (Run as written by "should answer each file with its reduction after its ms, as its diagram
 * shows" in test/testing/virtualReducer.test.ts.)
 *
 * ```ts
 * import assert from 'node:assert/strict';
 *
 * const testScheduler = new TestScheduler((actual, expected) => {
 *   assert.deepEqual(actual, expected);
 * });
 * testScheduler.run(({ expectObservable }) => {
 *   const reduce = virtualReducer(testScheduler, [{ ms: 2, bytesOut: 40 }]);
 *   const a = fileItem(0, 100);
 *   expectObservable(reduce(a)).toBe('--(r|)', { r: reduction(a, { bytesOut: 40, cpuMs: 2 }) });
 * });
 * ```
 *
 * @param scheduler The scheduler whose time it waits in (the TestScheduler in a marble test).
 * @param table Each file's reduction time, output size and optional failure.
 * @returns A `reduce(item)` function for `scheduleFiles`.
 */
export function virtualReducer(scheduler: SchedulerLike, table: VirtualReductionTable): (item: FileItem) => Observable<Reduction> {
  if (typeof table !== 'function') {
    if (!Array.isArray(table)) throw new TypeError(`Expected \`table\` to be an array or a function, got ${String(table)}`);
    table.forEach((spec, index) => validSpec(spec, `table[${index}]`));
  }
  const specOf = (item: FileItem): VirtualReductionSpec => {
    if (typeof table === 'function') return validSpec(table(item), `table(${item.path})`);
    const spec = table[item.index];
    if (spec === undefined) throw new RangeError(`virtualReducer has no entry for file ${item.index} (${item.path})`);
    return spec;
  };
  return (item) =>
    defer(() => {
      const spec = specOf(item);
      return timer(spec.ms, scheduler).pipe(
        map(() => {
          if (spec.error !== undefined) throw spec.error;
          return reduction(item, { bytesOut: spec.bytesOut ?? item.size, cpuMs: spec.ms });
        }),
      );
    });
}

function validSpec(spec: VirtualReductionSpec, name: string): VirtualReductionSpec {
  objectOption(name, spec);
  numberAtLeast(`${name}.ms`, spec.ms, 0);
  return spec;
}
