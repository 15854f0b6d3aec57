import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';

/** Options for {@link reduction}: what the reducer made of the file. */
export interface ReductionOptions {
  /** Bytes of the copy; below `item.size` the file counts as reduced. @default item.size (not reduced) */
  readonly bytesOut?: number;
  /** CPU time the reduction took, in milliseconds. @default 0 */
  readonly cpuMs?: number;
  /** Where the reduced copy is. @default `/spool/f<index>` when reduced, none otherwise */
  readonly outputPath?: string;
  /** Why the file was not reduced. @default none */
  readonly reason?: string;
  /** Media type of the copy, passed on to its upload job. @default none */
  readonly mediaType?: string;
  /** The reducer's settings, passed on to its upload job. @default none */
  readonly settings?: Readonly<Record<string, string | number | boolean>>;
  /** SHA-256 hex of the copy, passed on to its upload job. @default none */
  readonly outputSha256?: string;
}

/**
 * The Reduction a reducer reports for `item`: reduced when `bytesOut` is below its size.
 *
 * A reduced file gets a copy at `/spool/f<index>`; one that is not (no `bytesOut`, or one that
 * would not shrink it) keeps `bytesOut === bytesIn` and no `outputPath`, as the library's
 * reducers report it. With a `reason` and nothing else, it is what `reduceLocally` and
 * `scheduleFiles` report for a reducer that failed.
 *
 * ```ts
 * const a = fileItem(0, 100);
 * const reduced = reduction(a, { bytesOut: 40, cpuMs: 2 });
 * // { item: a, reduced: true, outputPath: '/spool/f0', bytesIn: 100, bytesOut: 40, cpuMs: 2 }
 * const failed = reduction(a, { reason: 'cannot decode' });
 * // { item: a, reduced: false, bytesIn: 100, bytesOut: 100, cpuMs: 0, reason: 'cannot decode' }
 * ```
 *
 * @param item The file reduced.
 * @param options Bytes out, CPU time and the optional fields.
 * @returns A Reduction with only the fields that apply, so it deep-equals what the library emits.
 */
export function reduction(item: FileItem, options: ReductionOptions = {}): Reduction {
  const { bytesOut = item.size, cpuMs = 0, outputPath, ...optional } = options;
  const reduced = bytesOut < item.size;
  const defined = Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined));
  return reduced
    ? { item, reduced, outputPath: outputPath ?? `/spool/f${item.index}`, bytesIn: item.size, bytesOut, cpuMs, ...defined }
    : { item, reduced, ...(outputPath === undefined ? {} : { outputPath }), bytesIn: item.size, bytesOut: item.size, cpuMs, ...defined };
}
