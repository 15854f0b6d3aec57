// The text a benchmark writes: the per-file CSV of each run and the Markdown summary.
import type { FileRecord } from './digestEvents.js';

/** One CSV field, quoted when it must be. */
export function csvField(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The per-file CSV of one run. */
export function filesCsv(files: readonly FileRecord[]): string {
  const columns = ['name', 'bytes', 'placedMs', 'seenMs', 'reduced', 'reducedBytes', 'reduceCpuMs', 'uploadStartMs', 'uploadedMs', 'latencyMs', 'sentBytes', 'error'] as const;
  const rows = files.map((file) =>
    columns
      .map((column) => {
        if (column === 'latencyMs') {
          return csvField(file.uploadedMs !== undefined && file.seenMs !== undefined ? round(file.uploadedMs - file.seenMs, 1) : undefined);
        }
        const value = file[column];
        return csvField(typeof value === 'number' ? round(value, 1) : value);
      })
      .join(','),
  );
  return `${[columns.join(','), ...rows].join('\n')}\n`;
}

/** Rounds to `digits` decimals. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** One strategy's line of the summary. */
export interface SummaryRow {
  readonly strategy: string;
  readonly runs: number;
  readonly makespanMs: number;
  readonly ratioToBound: number;
  readonly ratioToFifo: number;
  readonly simMakespanMs: number;
  /** Median over runs of the simulator fed each run's own arrivals and CPU times. */
  readonly simAsRunMs: number;
  readonly bytesSent: number;
  readonly filesReduced: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  readonly processCpuSec: number;
  readonly reducerCpuSec: number;
  readonly failures: number;
}

/** The header facts of the summary. */
export interface SummaryHeader {
  readonly scenario: string;
  readonly files: number;
  readonly size: number;
  readonly rateHz: number;
  readonly cores: number;
  readonly uploadSlots: number;
  readonly bandwidthBytesPerSec: number;
  readonly shaper: string;
  readonly reps: number;
  readonly boundMs: number;
  readonly boundBinding: string;
  readonly gapClosed: number;
  /** Frames timed before each run, and the lowest and highest speed against the table they showed. */
  readonly reducerSpeed: { readonly frames: number; readonly min: number; readonly max: number };
  /** Median over runs of the bound on each run's as-run table. */
  readonly boundAsRunMs: number;
  readonly gapClosedAsRun: number;
  readonly best: string;
  readonly perFileOverheadMs: number;
  /** Whether the gateway and the replay ran in their own processes. @default false */
  readonly isolated?: boolean;
  /** Pause between the agent being ready and the first frame. @default 0 */
  readonly warmUpMs?: number;
  /** The rate trace file the uplink followed (its `x` rates multiplying the uplink above). @default none: a constant uplink */
  readonly trace?: string;
  /** Whether another process kept one core busy during the runs. @default false */
  readonly busyCore?: boolean;
}

const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '–');

/** The Markdown summary: facts, then one table row per strategy (medians over repetitions). */
export function summaryMarkdown(header: SummaryHeader, rows: readonly SummaryRow[]): string {
  const lines = [
    `# Benchmark: ${header.scenario}`,
    '',
    `${header.files} frames of ${header.size}×${header.size} at ${header.rateHz} Hz; ${header.cores} core(s), ${header.uploadSlots} upload slot(s); ` +
      `uplink ${fixed(header.bandwidthBytesPerSec / 1e6, 3)} MB/s${header.trace === undefined ? '' : ` × the rate trace ${header.trace} (switched with tc class change from the first frame)`} shaped by ${header.shaper}; ${header.reps} repetition(s), medians shown.` +
      (header.busyCore === true ? ' Another process kept one core busy throughout.' : ''),
    '',
    `Lower bound on the makespan: ${fixed(header.boundMs / 1000, 3)} s (${header.boundBinding}), on the reducer's times measured on every frame just before and again just after the runs (the shorter of the two for each frame). ` +
      `Best strategy: ${header.best}; gap closed (fifo − best) / (fifo − bound) = ${fixed(header.gapClosed * 100, 1)} %. ` +
      `The machine's speed drifts: timed on ${header.reducerSpeed.frames} frames before each run, the reducer took ${fixed(header.reducerSpeed.min, 2)}–${fixed(header.reducerSpeed.max, 2)} × its times in the table. ` +
      `On the runs' own arrivals and reducer core times (reduce-start to reduced) the bound is ${fixed(header.boundAsRunMs / 1000, 3)} s and the gap closed ${fixed(header.gapClosedAsRun * 100, 1)} %. ` +
      `Simulator: virtual-time prioritize on the measured table ("sim"), and on each run's own arrival and reducer times ("sim as run"); per-file overhead ${fixed(header.perFileOverheadMs, 1)} ms.`,
    '',
    (header.isolated === true
      ? 'The gateway and the replay (the instrument) ran in their own processes, so they shared only the cores with the agent, not its event loop or libuv threadpool'
      : 'The gateway, the replay (the instrument) and the agent ran in one process, sharing its event loop and libuv threadpool') +
      `; the agent was started ${fixed((header.warmUpMs ?? 0) / 1000, 1)} s before the first frame.`,
    '',
    '| strategy | runs | makespan (s) | × bound | × fifo | sim (s) | sim / real | sim as run (s) | as run / real | MB sent | reduced | latency p50 (s) | latency p95 (s) | process CPU (s) | reducer CPU (s) | failures |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) =>
      [
        row.strategy,
        String(row.runs),
        fixed(row.makespanMs / 1000, 3),
        fixed(row.ratioToBound, 3),
        fixed(row.ratioToFifo, 3),
        fixed(row.simMakespanMs / 1000, 3),
        fixed(row.simMakespanMs / row.makespanMs, 3),
        fixed(row.simAsRunMs / 1000, 3),
        fixed(row.simAsRunMs / row.makespanMs, 3),
        fixed(row.bytesSent / 1e6, 2),
        String(Math.round(row.filesReduced)),
        fixed(row.latencyP50Ms / 1000, 3),
        fixed(row.latencyP95Ms / 1000, 3),
        fixed(row.processCpuSec, 2),
        fixed(row.reducerCpuSec, 2),
        String(row.failures),
      ].join(' | '),
    ).map((line) => `| ${line} |`),
    '',
    '`offline` is the reference "reduced offline, uploaded raw": every file was reduced before the run (its CPU is not counted) ' +
      'and the reduced copies are replayed at the same rate and uploaded with strategy none. No online strategy can send fewer bytes.',
    '',
  ];
  return lines.join('\n');
}
