import { readFile } from 'node:fs/promises';
import { parseRateTrace } from './parseRateTrace.js';
import type { RateTrace } from './RateTrace.js';

/**
 * Reads an uplink rate trace file (`seconds rate` lines, see {@link parseRateTrace}), its `x`
 * rates taken as multiples of `nominalBytesPerSec`; errors name the file and the line.
 *
 * ```ts
 * const trace = await readRateTrace('bench/traces/steps.txt', 2e6);
 * ```
 *
 * @param file Path of the trace.
 * @param nominalBytesPerSec The rate `1x` stands for.
 * @returns The trace.
 */
export async function readRateTrace(file: string, nominalBytesPerSec: number): Promise<RateTrace> {
  return parseRateTrace(await readFile(file, 'utf8'), { nominalBytesPerSec, source: file });
}
