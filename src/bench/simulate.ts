import { from, map, mergeMap, timer, VirtualAction, VirtualTimeScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import type { UploadJob } from '../model/UploadJob.js';
import type { UploadResult } from '../model/UploadResult.js';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
import { scheduleFiles } from '../operators/scheduleFiles.js';
import { reductionScore } from '../operators/reductionScore.js';
import type { ScheduleEvent } from '../operators/ScheduleEvent.js';
import type { FileCost } from './FileCost.js';
import { RateTrace } from './RateTrace.js';
import { finiteNumberAbove, finiteNumberAtLeast, objectOption } from '../validation.js';

/** Options for {@link simulate}. */
export interface SimulateOptions {
  /** What each file costs, as the benchmark measured it; `index` must be 0…n−1. */
  readonly files: readonly FileCost[];
  /** Capacity of the one uplink every upload shares, in bytes per second. Either this or `bandwidthTrace`. */
  readonly bandwidthBytesPerSec?: number;
  /**
   * A time-varying uplink instead, replayed from the first arrival on: each byte goes at the
   * rate of the moment it is sent (the trace a real benchmark run applies with `tc`).
   */
  readonly bandwidthTrace?: RateTrace;
  /** The strategy `prioritize` runs. @default 'adaptive' */
  readonly strategy?: PrioritizeStrategy;
  /** Reductions in flight at once. @default 1 */
  readonly cores?: number;
  /** Uploads in flight at once (they share the uplink). @default 2, as in runAgent */
  readonly uploadSlots?: number;
  /**
   * Latency each upload adds after its last byte (request set-up, the gateway's answer) that
   * does not occupy the uplink. @default 0
   */
  readonly perFileOverheadMs?: number;
  /** Replace the files' arrival times by `index / rateHz` seconds. @default the table's arrivalMs */
  readonly rateHz?: number;
  /** Passed to `prioritize` for `adaptive`. @default undefined */
  readonly initialBandwidth?: number;
}

/** The outcome of one simulated run. */
export interface SimulationResult {
  /** From the first arrival to the end of the last upload, in ms. */
  readonly makespanMs: number;
  /** Bytes that went over the uplink. */
  readonly bytesSent: number;
  /** Files uploaded as their reduced copy. */
  readonly filesReduced: number;
  /** Every schedule event, `at` in ms from the first arrival. */
  readonly schedule: readonly ScheduleEvent[];
}

/** The options once checked, with the table indexed and every default filled in. */
interface Simulation {
  readonly files: readonly FileCost[];
  readonly byIndex: ReadonlyMap<number, FileCost>;
  /** When `bytes` sent from `startMs` (ms from the first arrival), the link theirs alone, have gone. */
  readonly sendEnd: (startMs: number, bytes: number) => number;
  readonly overheadMs: number;
  readonly strategy: PrioritizeStrategy;
  readonly cores: number;
  readonly uploadSlots: number;
  readonly initialBandwidth: number | undefined;
  /** When a file arrives, in ms on the table's clock. */
  readonly arrivalOf: (file: FileCost) => number;
}

/** Validates the options once, eagerly, and indexes the table. */
function normaliseSimulateOptions(options: SimulateOptions): Simulation {
  objectOption('options', options);
  const { files } = options;
  if (!Array.isArray(files)) {
    throw new TypeError(`Expected \`files\` to be an array of FileCost, got ${typeof files}`);
  }
  const { bandwidthBytesPerSec, bandwidthTrace } = options;
  if ((bandwidthBytesPerSec === undefined) === (bandwidthTrace === undefined)) {
    throw new TypeError('Expected exactly one of `bandwidthBytesPerSec` and `bandwidthTrace`');
  }
  if (bandwidthTrace !== undefined && !(bandwidthTrace instanceof RateTrace)) {
    throw new TypeError(`Expected \`bandwidthTrace\` to be a RateTrace, got ${String(bandwidthTrace)}`);
  }
  let sendEnd: Simulation['sendEnd'];
  if (bandwidthTrace === undefined) {
    const msPerByte = 1000 / finiteNumberAbove('bandwidthBytesPerSec', bandwidthBytesPerSec, 0);
    sendEnd = (startMs, bytes) => startMs + bytes * msPerByte;
  } else {
    sendEnd = (startMs, bytes) => bandwidthTrace.finishAt(startMs, bytes);
  }
  const overheadMs = options.perFileOverheadMs ?? 0;
  finiteNumberAtLeast('perFileOverheadMs', overheadMs, 0);
  const rateHz = options.rateHz === undefined ? undefined : finiteNumberAbove('rateHz', options.rateHz, 0);
  const strategy = options.strategy ?? 'adaptive';
  const byIndex = new Map<number, FileCost>();
  for (const file of files) byIndex.set(file.index, file);
  if (byIndex.size !== files.length || files.some((file) => !(file.index >= 0 && file.index < files.length))) {
    throw new TypeError('Expected `files` to have the indexes 0…n−1, each once');
  }
  const arrivalOf = (file: FileCost): number => (rateHz === undefined ? file.arrivalMs : (file.index * 1000) / rateHz);
  const cores = options.cores ?? 1;
  const uploadSlots = options.uploadSlots ?? 2;
  return { files, byIndex, sendEnd, overheadMs, strategy, cores, uploadSlots, initialBandwidth: options.initialBandwidth, arrivalOf };
}

/** What reducing a file gives, as the table says: its reduced copy, or the file itself when it would not shrink. */
function outcomeOf(simulation: Simulation, item: FileItem): Reduction {
  const file = simulation.byIndex.get(item.index)!;
  const shrinks = file.reducedBytes < file.bytes;
  return {
    item,
    reduced: shrinks,
    ...(shrinks ? { outputPath: `/simulated/reduced/${item.index}` } : { reason: 'would not shrink' }),
    bytesIn: file.bytes,
    bytesOut: shrinks ? file.reducedBytes : file.bytes,
    cpuMs: file.cpuMs,
  };
}

/** The one first-come-first-served uplink: each upload waits for the link, then its bytes, then the overhead. */
function virtualUplink(simulation: Simulation, scheduler: SchedulerLike): (job: UploadJob) => Observable<UploadResult> {
  let linkFreeAt = 0;
  return (job) => {
    const startedAt = scheduler.now();
    const bytes = job.bodySize ?? job.item.size;
    linkFreeAt = simulation.sendEnd(Math.max(startedAt, linkFreeAt), bytes);
    const finishAt = linkFreeAt + simulation.overheadMs;
    return timer(finishAt - startedAt, scheduler).pipe(
      map(() => ({ item: job.item, status: 200, bytes, startedAt, finishedAt: scheduler.now() })),
    );
  };
}

/** Each file as the watcher would emit it, at its arrival counted from the first one. */
function arrivalsOf(simulation: Simulation, scheduler: SchedulerLike): Observable<FileItem> {
  const { files, arrivalOf } = simulation;
  const firstArrival = files.length === 0 ? 0 : Math.min(...files.map(arrivalOf));
  return from([...files].sort((a, b) => arrivalOf(a) - arrivalOf(b) || a.index - b.index)).pipe(
    mergeMap((file) =>
      timer(arrivalOf(file) - firstArrival, scheduler).pipe(
        map((): FileItem => ({ path: `/simulated/${file.index}`, size: file.bytes, mtimeMs: 0, index: file.index })),
      ),
    ),
  );
}

/** Runs `scheduleFiles` on the virtual arrivals, reducer and uplink to the end, and returns its events. */
function runSchedule(simulation: Simulation): ScheduleEvent[] {
  const { strategy, initialBandwidth } = simulation;
  const scheduler = new VirtualTimeScheduler(VirtualAction, Infinity);
  const reduce = (item: FileItem): Observable<Reduction> =>
    timer(simulation.byIndex.get(item.index)!.cpuMs, scheduler).pipe(map(() => outcomeOf(simulation, item)));
  const schedule: ScheduleEvent[] = [];
  let failure: unknown;
  arrivalsOf(simulation, scheduler)
    .pipe(
      scheduleFiles({
        strategy,
        cores: simulation.cores,
        uploadSlots: simulation.uploadSlots,
        reduce,
        upload: virtualUplink(simulation, scheduler),
        scheduler,
        ...(strategy === 'oracle' ? { oracleScores: (item: FileItem) => reductionScore(outcomeOf(simulation, item)) } : {}),
        ...(initialBandwidth === undefined ? {} : { initialBandwidth }),
      }),
    )
    .subscribe({ next: (event) => schedule.push(event), error: (error: unknown) => (failure = error) });
  scheduler.flush();
  if (failure !== undefined) throw failure;
  return schedule;
}

/** The makespan, bytes sent and files reduced of a finished schedule. */
function tally(schedule: readonly ScheduleEvent[]): Omit<SimulationResult, 'schedule'> {
  let makespanMs = 0;
  let bytesSent = 0;
  let filesReduced = 0;
  for (const event of schedule) {
    if (event.type === 'upload-end') {
      makespanMs = Math.max(makespanMs, event.at);
      if (!(event.result instanceof Error)) bytesSent += event.result.bytes;
    }
    if (event.type === 'upload-start' && event.job.bodyPath !== undefined) filesReduced += 1;
  }
  return { makespanMs, bytesSent, filesReduced };
}

/**
 * Runs the agent's scheduler, `prioritize`, in virtual time on a table of measured file costs,
 * so a strategy can be judged on a thousand configurations in the time one real run takes.
 *
 * Each file arrives at its `arrivalMs` (or `index / rateHz`); a reduction takes its `cpuMs` on
 * a core and yields `reducedBytes` (a file that would not shrink comes back `reduced: false`);
 * an upload occupies the uplink for `bytes / bandwidth`. The uplink is modelled as one
 * first-come-first-served link: concurrent uploads queue for it rather than each getting the
 * full bandwidth, which keeps the total rate right (as a shared bucket or `tc` class does) and
 * gives the same makespan as fair sharing whenever the link stays busy. With `bandwidthTrace`
 * the link's rate changes over time, its origin at the first arrival, and each upload's bytes
 * go at the rates of the moments they are sent. Everything else
 * (watcher latency, HTTP, disk) is either ignored or folded into `perFileOverheadMs`.
 *
 * ```ts
 * declare const table: FileCost[];
 * const { makespanMs } = simulate({ files: table, bandwidthBytesPerSec: 2e6, strategy: 'splines' });
 * ```
 *
 * @param options The table, the uplink, the cores and the strategy.
 * @returns The makespan, bytes sent, files reduced and the full schedule.
 */
export function simulate(options: SimulateOptions): SimulationResult {
  const schedule = runSchedule(normaliseSimulateOptions(options));
  return { ...tally(schedule), schedule };
}
