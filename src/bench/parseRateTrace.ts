import { RateTrace, type RateStep } from './RateTrace.js';

/** Options for {@link parseRateTrace}. */
export interface ParseRateTraceOptions {
  /** What `x` rates multiply (bytes/s): the scenario's own uplink. @default undefined (then `x` rates are refused) */
  readonly nominalBytesPerSec?: number;
  /** Name of the text in error messages, e.g. the file's path. @default 'trace' */
  readonly source?: string;
}

const LINE = /^(\S+)\s+(\S+)$/;
const RATE = /^(\d+(?:\.\d*)?|\.\d+)(?:e([+-]?\d+))?(x|k|M)?$/;
const UNIT: Record<string, number> = { k: 1e3, M: 1e6 };

/**
 * Reads an uplink rate trace: one `seconds rate` pair a line, the seconds from the stream's
 * first arrival, the rate holding until the next line (the last one for ever).
 *
 * A rate is bytes per second, optionally with `k` or `M` (10³, 10⁶), or a multiple of the
 * scenario's own uplink with `x` (`0.25x`), so one trace serves a scenario at any size. Blank
 * lines and `#` comments are skipped. The first line must be at 0 s, the times must increase,
 * and every rate must be > 0 (a drop-out is a very low rate: `tc` cannot set 0).
 *
 * ```ts
 * const trace = parseRateTrace('# slow, then fast\n0 0.5x\n4 2x\n', { nominalBytesPerSec: 2e6 });
 * trace.rateAt(5000); // 4e6
 * ```
 *
 * @param text The trace file's content.
 * @param options The nominal rate for `x` rates and the name for messages.
 * @returns The trace.
 * @throws SyntaxError naming the source and the line number of the first bad line.
 */
export function parseRateTrace(text: string, options: ParseRateTraceOptions = {}): RateTrace {
  const source = options.source ?? 'trace';
  const nominal = options.nominalBytesPerSec;
  const steps: RateStep[] = [];
  text.split(/\r?\n/).forEach((raw, position) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') return;
    const fail = (why: string): never => {
      throw new SyntaxError(`${source}:${position + 1}: ${why}, got ${JSON.stringify(raw.trim())}`);
    };
    const fields = LINE.exec(line) ?? fail('expected "seconds rate" (e.g. "2.5 1.5M" or "2.5 0.5x")');
    const seconds = Number(fields[1]);
    if (!/^\d+(\.\d*)?$|^\.\d+$/.test(fields[1]!) || !Number.isFinite(seconds)) fail('expected the seconds to be a number >= 0');
    const rate = RATE.exec(fields[2]!) ?? fail('expected the rate to be bytes/s (a number, optionally with k or M) or a multiple like 0.5x');
    let bytesPerSec = Number(`${rate[1]}e${rate[2] ?? 0}`);
    if (rate[3] === 'x') {
      if (nominal === undefined) fail('a rate in x needs the scenario\'s nominal uplink');
      bytesPerSec *= nominal!;
    } else if (rate[3] !== undefined) {
      bytesPerSec *= UNIT[rate[3]]!;
    }
    if (!(bytesPerSec > 0 && Number.isFinite(bytesPerSec))) fail('expected the rate to be > 0 (write a drop-out as a low rate)');
    if (steps.length === 0 && seconds !== 0) fail('expected the first line to be at 0 seconds');
    if (steps.length > 0 && seconds * 1000 <= steps.at(-1)!.atMs) fail(`expected the seconds to increase past ${steps.at(-1)!.atMs / 1000}`);
    steps.push({ atMs: seconds * 1000, bytesPerSec });
  });
  if (steps.length === 0) throw new SyntaxError(`${source}: no "seconds rate" lines`);
  return new RateTrace(steps);
}
