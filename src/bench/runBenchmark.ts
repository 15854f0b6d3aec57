import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { lastValueFrom, Subject, takeUntil, tap, timer, type Subscription } from 'rxjs';
import { runAgent } from '../agent/runAgent.js';
import { startGateway } from '../gateway/startGateway.js';
import { createWorkerPool } from '../reducers/createWorkerPool.js';
import type { FileItem } from '../model/FileItem.js';
import type { AgentEvent } from '../observe/AgentEvent.js';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
import { replayInChild, startGatewayInChild } from './benchChildInternals.js';
import { filesCsv, summaryMarkdown, type SummaryRow } from './benchReports.js';
import { bandwidthEstimateSeries } from './bandwidthEstimateSeries.js';
import { boxPlotSvg } from './boxPlotSvg.js';
import { digestEvents, type FileRecord } from './digestEvents.js';
import type { FileCost } from './FileCost.js';
import { lineChartSvg } from './lineChartSvg.js';
import { lowerBoundMakespan, type MakespanLowerBound } from './lowerBoundMakespan.js';
import { calibrationSample, measureDataset, timeReductions, type MeasuredDataset } from './measureDataset.js';
import { playRateTrace } from './playRateTrace.js';
import type { RateTrace } from './RateTrace.js';
import { readRateTrace } from './readRateTrace.js';
import { replayDataset } from './replayDataset.js';
import { scenarioBandwidth, scenarioFor, SCENARIO_NAMES, type Scenario, type ScenarioName } from './scenarios.js';
import { simulate } from './simulate.js';
import { gapClosed, median, percentile } from './statistics.js';
import { svgToPng } from './svgToPng.js';
import { changeTcRate, shapeWithTc, tcAvailable } from './tcShaper.js';
import { booleanOption, finiteNumberAbove, finiteNumberAtLeast, integerAtLeast, oneOf } from '../validation.js';

/** A strategy of `prioritize`, or `offline`: the reduced-beforehand reference. */
export type BenchmarkStrategy = PrioritizeStrategy | 'offline';

const ALL_STRATEGIES: readonly BenchmarkStrategy[] = ['none', 'fifo', 'splines', 'oracle', 'adaptive', 'offline'];

/** Options for {@link runBenchmark}. */
export interface RunBenchmarkOptions {
  /**
   * `paper` (upload-bound), `cpu-scarce` (the cores cannot reduce everything), `varying` (the
   * uplink follows a rate trace), `fast` (reducing rarely pays) or `mixed` (the gain jumps
   * between segments). @default 'paper'
   */
  readonly scenario?: ScenarioName;
  /** The quick version of the scenario (fewer, smaller frames; same regime). @default false */
  readonly small?: boolean;
  /** Runs per strategy, interleaved so drift in the machine's load spreads over all of them. @default 3 */
  readonly reps?: number;
  /** Which strategies to run. @default none, fifo, splines, oracle, adaptive, offline */
  readonly strategies?: readonly BenchmarkStrategy[];
  /** Results folder. @default bench-results/<ISO timestamp> under the current folder */
  readonly out?: string;
  /** Uplink in bytes/s. @default the scenario's: raw upload takes `rawUploadFactor` × acquisition */
  readonly bandwidth?: number;
  /** Reducer cores. @default the scenario's (1) */
  readonly cores?: number;
  /** Frames per second. @default the scenario's */
  readonly rate?: number;
  /** Number of frames. @default the scenario's */
  readonly count?: number;
  /** Frame side in pixels. @default the scenario's */
  readonly size?: number;
  /**
   * An uplink rate trace file (`seconds rate` lines, see `parseRateTrace`; `x` rates multiply
   * the scenario's uplink), switched with `tc class change` during each run from its first frame.
   * Needs the tc shaper. @default the scenario's trace (varying's `bench/traces/steps.txt`), else none
   */
  readonly trace?: string;
  /**
   * Keep another process busy on one core during the runs (a spinning `node`), as other software
   * on an instrument PC would be. @default false
   */
  readonly busyCore?: boolean;
  /** How the uplink is throttled: kernel `tc` htb, the gateway's token bucket, or tc when it works. @default 'auto' */
  readonly shaper?: 'tc' | 'bucket' | 'auto';
  /** Latency per upload the simulator adds. @default 0 */
  readonly perFileOverheadMs?: number;
  /** Where synthesized data sets and their measured costs are kept between runs. @default <tmpdir>/haste-agent-bench-cache */
  readonly cacheDir?: string;
  /**
   * Where each run's watched folder and reducer spool go. A RAM disk keeps the disk's
   * write-back stalls (hundreds of MB per run) out of a measurement of scheduling.
   * @default /dev/shm when it is a writable folder, else the OS temp folder
   */
  readonly workDir?: string;
  /**
   * Run the gateway and the replay (the instrument writing files) in their own processes, as
   * they are in a deployment, so they compete with the agent only for the cores, not for its
   * event loop and libuv threadpool. `false` runs all three in this process (the old harness).
   * @default true
   */
  readonly isolate?: boolean;
  /**
   * Pause between the agent being ready and the replay's first file. An agent is started
   * before acquisition, so its reducer threads have loaded by the first frame; without the
   * pause the first frames would wait a few hundred ms for them, which no simulator models.
   * @default 1000
   */
  readonly warmUpMs?: number;
  /** Progress lines. @default () => {} */
  readonly log?: (line: string) => void;
}

/** What one run of one strategy measured. */
export interface BenchmarkRun {
  readonly strategy: BenchmarkStrategy;
  readonly rep: number;
  /** First file seen to last file acknowledged. */
  readonly makespanMs: number;
  readonly bytesSent: number;
  readonly filesUploaded: number;
  readonly filesReduced: number;
  readonly failures: number;
  /** Seen → acknowledged, over the files. */
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
  /**
   * `process.cpuUsage` over the run: the agent and its reducer threads, plus the gateway and the
   * replay when they are not `isolate`d.
   */
  readonly processCpuSec: number;
  /** Sum of the reducer's own `cpuMs`. */
  readonly reducerCpuSec: number;
  /**
   * How long the reducer took, just before this run, on a sample of frames spread over the
   * stream, against its times for them when the runs began (1.1 = 10 % slower): how far the
   * machine's speed drifted.
   */
  readonly reducerSpeed: number;
  /**
   * The simulator's makespan for this run's own conditions: arrivals at the times the files
   * were seen, reductions at the time each held the core in this run, reduce-start to reduced
   * (the reducer's own time plus its file I/O and the hand-off to and from the worker; files it
   * did not reduce scaled by the run's median slowdown against the table). Separates the
   * scheduler model from the machine's load on the day.
   */
  readonly simAsRunMs: number;
  /** The lower bound on the same as-run table (arrivals as seen, core time as it ran here). */
  readonly boundAsRunMs: number;
  /**
   * Latest a file was put in place by the replay, against its due time `i / rate` after the
   * first file was: how far the (simulated) instrument fell behind.
   */
  readonly placedLagMaxMs: number;
  /** Latest a file was seen (admitted by the agent), against the same due time. */
  readonly seenLagMaxMs: number;
  /** Bytes waiting for or on the uplink, `[seconds since the first seen, bytes]` at each event. */
  readonly queued: readonly (readonly [number, number])[];
  readonly files: readonly FileRecord[];
}

/** Everything a benchmark measured, also written to `outDir`. */
export interface BenchmarkResult {
  readonly scenario: Scenario;
  /** The uplink's rate, or with a trace the rate its `x` multiply. */
  readonly bandwidthBytesPerSec: number;
  /** The rate trace the uplink followed, if any. */
  readonly trace: RateTrace | undefined;
  readonly shaper: 'tc' | 'bucket';
  readonly bound: MakespanLowerBound;
  readonly runs: readonly BenchmarkRun[];
  readonly summary: readonly SummaryRow[];
  /** Online strategy with the smallest median makespan. */
  readonly best: string;
  /** `(fifo − best) / (fifo − bound)` on the median makespans; NaN without fifo. */
  readonly gapClosed: number;
  /** The same against the median as-run bound (the CPU costs this machine showed during the runs). */
  readonly gapClosedAsRun: number;
  /** The summary table as Markdown (also `summary.md`). */
  readonly markdown: string;
  readonly outDir: string;
}

async function writableFolder(folder: string): Promise<boolean> {
  return access(folder, constants.W_OK).then(
    () => true,
    () => false,
  );
}

const USER = 'bench';
/** Frames timed before each run; about 1.5 s of reducer time on the full cpu-scarce scenario. */
const CALIBRATION_FRAMES = 24;
/** Frames reduced and not timed when a reducer worker starts. */
const WARM_UP_FRAMES = 4;
const PASSWORD = 'bench';

/**
 * Runs the agent end to end against a throttled embedded gateway, once per strategy and
 * repetition, and compares the makespans with the lower bound and with the simulator.
 *
 * For the scenario it synthesizes (or reuses) the data set and reduces each frame once to
 * measure the cost table (size, reduced size, CPU ms, arrival). Then, in an interleaved order,
 * each run starts `runAgent` on a fresh folder, waits `warmUpMs`, replays the frames into it at
 * the scenario's rate, and records every event (watched folder and spool on /dev/shm when there
 * is one). The gateway and the replay run in child processes (`isolate`), as a gateway and an
 * instrument would be, so they do not delay the agent's event loop or threadpool, nor it
 * theirs. The uplink is a kernel htb class on the gateway's port when
 * `tc` works here (root), else the gateway's token bucket. The oracle gets the measured scores.
 * `offline` replays the reduced copies and uploads them with strategy none: the makespan if
 * reduction were free. Writes `summary.md`, `summary.json`, `table.json`, a JSON and a CSV per
 * run, and makespan and bytes-queued plots as SVG and PNG.
 *
 * ```ts
 * const result = await runBenchmark({ scenario: 'cpu-scarce', small: true, reps: 3 });
 * console.log(result.markdown);
 * ```
 *
 * @param options Scenario, repetitions, strategies, overrides and the output folder.
 * @returns The runs, the summary and where they were written.
 */
export async function runBenchmark(options: RunBenchmarkOptions = {}): Promise<BenchmarkResult> {
  const settings = await normaliseBenchmarkOptions(options);
  const { scenario, strategies, shaperChoice, log, outDir, workDir } = settings;

  const measured = await measureDataset(scenario, settings.cacheDir, log);
  const shaper: 'tc' | 'bucket' = shaperChoice === 'bucket' ? 'bucket' : (await tcAvailable()) ? 'tc' : 'bucket';
  if (shaperChoice === 'tc' && shaper !== 'tc') {
    throw new Error('`tc` cannot shape loopback here (needs root, tc and htb); use --shaper bucket');
  }
  if (settings.traceFile !== undefined && shaper !== 'tc') {
    throw new Error('A rate trace needs the tc shaper (root, tc and htb on lo): the gateway\'s token bucket cannot change its rate during a run');
  }
  const calibrator = await startCalibrator(scenario, workDir);
  let before: number[];
  try {
    before = await timeBeforeRuns(calibrator, measured, log);
  } catch (error) {
    await calibrator.close();
    throw error;
  }
  // Replaced after the runs by the faster of this and a second timing, for the bound and the summary.
  let table = measured.table.map((file, position) => ({ ...file, cpuMs: before[position]! }));
  const bandwidth = scenarioBandwidth(scenario, table);
  const trace = settings.traceFile === undefined ? undefined : await readRateTrace(settings.traceFile, bandwidth);
  const uplink = trace === undefined ? { bandwidthBytesPerSec: bandwidth } : { bandwidthTrace: trace };
  let bound = lowerBoundMakespan(table, { ...uplink, cores: scenario.cores });
  await mkdir(path.join(outDir, 'runs'), { recursive: true });
  log(`${scenario.name}: ${table.length} frames, uplink ${(bandwidth / 1e6).toFixed(3)} MB/s${trace === undefined ? '' : ` × the trace ${settings.traceFile}`} by ${shaper}, bound ${(bound.makespanMs / 1000).toFixed(3)} s, runs in ${workDir}`);
  // How far the machine's speed drifts during the runs: a sample timed before each.
  const sample = calibrationSample(table, CALIBRATION_FRAMES);
  const sampleTableMs = sample.reduce((sum, position) => sum + table[position]!.cpuMs, 0);
  const reducerSpeed = async (): Promise<number> => {
    if (sample.length === 0) return 1;
    const times = await timeReductions(calibrator.reduce, sample.map((position) => measured.files[position]!));
    return times.reduce((sum, ms) => sum + ms, 0) / sampleTableMs;
  };

  const gatewayOptions = { username: USER, password: PASSWORD, ...(shaper === 'bucket' ? { maxBytesPerSecond: bandwidth } : {}) };
  const gateway = await (settings.isolate ? startGatewayInChild(gatewayOptions) : startGateway({ port: 0, ...gatewayOptions })).catch(async (error: unknown) => {
    await calibrator.close();
    throw error;
  });
  const unshape = shaper === 'tc' ? await shapeWithTc(gateway.port, trace?.rateAt(0) ?? bandwidth) : async () => {};

  const bench: BenchContext = { ...settings, measured, table, bandwidth, trace, uplink, gatewayUrl: gateway.url, scoreByName: oracleScoresOf(measured, table) };
  let runs: readonly BenchmarkRun[] = [];
  const stopBusy = settings.busyCore ? keepOneCoreBusy() : () => {};
  try {
    runs = await runRepetitions(bench, reducerSpeed);
    stopBusy();
    // The bound takes, for each frame, the faster of its times before and after the runs: valid
    // whichever way the machine drifted while they ran.
    log(`timing the reducer again on ${table.length} frames`);
    const after = await timeReductions(calibrator.reduce, measured.files);
    table = table.map((file, position) => ({ ...file, cpuMs: Math.min(file.cpuMs, after[position]!) }));
    bound = lowerBoundMakespan(table, { ...uplink, cores: scenario.cores });
    log(`bound on the faster timings: ${(bound.makespanMs / 1000).toFixed(3)} s`);
  } finally {
    stopBusy();
    await unshape();
    await gateway.close();
    await calibrator.close();
  }

  const outcome = summarizeRuns({ ...bench, table }, runs, bound);
  const markdown = await writeSummary({ ...bench, table }, { shaper, bound, calibrationFrames: sample.length, outcome });
  await writePlots(outDir, scenario, strategies, runs, bound, trace);

  const { summary, best } = outcome;
  return { scenario, bandwidthBytesPerSec: bandwidth, trace, shaper, bound, runs: [...runs], summary, best, gapClosed: outcome.gapClosed, gapClosedAsRun: outcome.gapClosedAsRun, markdown, outDir };
}

/** {@link RunBenchmarkOptions} once checked, with every default filled in. */
interface BenchmarkSettings {
  readonly scenario: Scenario;
  readonly reps: number;
  readonly strategies: readonly BenchmarkStrategy[];
  readonly shaperChoice: 'tc' | 'bucket' | 'auto';
  readonly traceFile: string | undefined;
  readonly busyCore: boolean;
  readonly perFileOverheadMs: number;
  readonly isolate: boolean;
  readonly warmUpMs: number;
  readonly log: (line: string) => void;
  readonly outDir: string;
  readonly cacheDir: string;
  readonly workDir: string;
}

/** Validates the options once, eagerly, and applies the overrides to the scenario. */
async function normaliseBenchmarkOptions(options: RunBenchmarkOptions): Promise<BenchmarkSettings> {
  const scenarioName = options.scenario ?? 'paper';
  oneOf('scenario', scenarioName, SCENARIO_NAMES);
  const reps = options.reps ?? 3;
  integerAtLeast('reps', reps, 1);
  for (const name of ['cores', 'count', 'size'] as const) {
    if (options[name] !== undefined) integerAtLeast(name, options[name], 1);
  }
  for (const name of ['rate', 'bandwidth'] as const) {
    if (options[name] !== undefined) finiteNumberAbove(name, options[name], 0);
  }
  const strategies = options.strategies ?? ALL_STRATEGIES;
  const unknown = strategies.filter((strategy) => !ALL_STRATEGIES.includes(strategy));
  if (strategies.length === 0 || unknown.length > 0) {
    throw new TypeError(`Expected \`strategies\` to be some of ${ALL_STRATEGIES.join(', ')}, got ${strategies.join(', ')}`);
  }
  const shaperChoice = options.shaper ?? 'auto';
  if (!['tc', 'bucket', 'auto'].includes(shaperChoice)) {
    throw new TypeError(`Expected \`shaper\` to be tc, bucket or auto, got ${String(shaperChoice)}`);
  }
  const perFileOverheadMs = options.perFileOverheadMs ?? 0;
  const isolate = options.isolate ?? true;
  const warmUpMs = options.warmUpMs ?? 1000;
  finiteNumberAtLeast('warmUpMs', warmUpMs, 0);
  booleanOption('isolate', isolate);
  const busyCore = options.busyCore ?? false;
  booleanOption('busyCore', busyCore);
  if (options.trace !== undefined && (typeof options.trace !== 'string' || options.trace === '')) {
    throw new TypeError(`Expected \`trace\` to be a path, got ${String(options.trace)}`);
  }
  const log = options.log ?? (() => {});
  const base = scenarioFor(scenarioName, options.small ?? false);
  const scenario: Scenario = {
    ...base,
    ...(options.count === undefined ? {} : { count: options.count }),
    ...(options.size === undefined ? {} : { size: options.size }),
    ...(options.rate === undefined ? {} : { rateHz: options.rate }),
    ...(options.cores === undefined ? {} : { cores: options.cores }),
    ...(options.bandwidth === undefined ? {} : { bandwidthBytesPerSec: options.bandwidth }),
  };
  const outDir = options.out ?? path.resolve('bench-results', new Date().toISOString().replace(/[:.]/g, '-'));
  const cacheDir = options.cacheDir ?? path.join(os.tmpdir(), 'haste-agent-bench-cache');
  const workDir = options.workDir ?? ((await writableFolder('/dev/shm')) ? '/dev/shm' : os.tmpdir());
  const traceFile = options.trace === undefined ? scenario.trace : path.resolve(options.trace);
  // A malformed trace is reported now, with its line, not after the data set is measured.
  if (traceFile !== undefined) await readRateTrace(traceFile, 1);
  return { scenario, reps, strategies, shaperChoice, traceFile, busyCore, perFileOverheadMs, isolate, warmUpMs, log, outDir, cacheDir, workDir };
}

/** The one-worker reducer that times frames before, between and after the runs. */
interface Calibrator {
  readonly reduce: ReturnType<typeof createWorkerPool>['reduce'];
  close(): Promise<void>;
}

async function startCalibrator(scenario: Scenario, workDir: string): Promise<Calibrator> {
  const spoolDir = await mkdtemp(path.join(workDir, 'haste-bench-calibration-'));
  const pool = createWorkerPool({ size: 1, reducerOptions: { ...scenario.reducer, spoolDir } });
  return {
    reduce: pool.reduce,
    close: async () => {
      await pool.close();
      await rm(spoolDir, { recursive: true, force: true });
    },
  };
}

/** Each frame's reducer time at the machine's speed of the day, after warming the worker up. */
async function timeBeforeRuns(calibrator: Calibrator, measured: MeasuredDataset, log: (line: string) => void): Promise<number[]> {
  // A fresh worker's first frames are slow (module load, libvips start-up, the flood fill not
  // yet compiled), which no run sees.
  await timeReductions(calibrator.reduce, measured.files.slice(0, WARM_UP_FRAMES));
  // The sizes come from the cache, the reducer's times not: the bound must be measured at the
  // machine's speed of the day, which drifts (seen here: 58 ms a frame one hour, 70-76 the next).
  log(`timing the reducer on ${measured.files.length} frames`);
  return timeReductions(calibrator.reduce, measured.files);
}

/** The oracle's score of each frame by name: bytes saved per second of reducer time. */
function oracleScoresOf(measured: MeasuredDataset, table: readonly FileCost[]): ReadonlyMap<string, number> {
  return new Map(
    table.map((file) => [path.basename(measured.files[file.index]!.path), file.reducedBytes < file.bytes ? (file.bytes - file.reducedBytes) / (Math.max(file.cpuMs, 1) / 1000) : 0]),
  );
}

/** What every run of one benchmark shares. */
interface BenchContext extends BenchmarkSettings {
  readonly measured: MeasuredDataset;
  /** The cost table the runs are judged against (the timings before the runs, while they run). */
  readonly table: readonly FileCost[];
  readonly bandwidth: number;
  /** The rate trace the uplink follows during each run, if any. */
  readonly trace: RateTrace | undefined;
  /** The uplink for the simulator and the bound: the constant rate or the trace. */
  readonly uplink: { readonly bandwidthBytesPerSec: number } | { readonly bandwidthTrace: RateTrace };
  readonly gatewayUrl: string;
  readonly scoreByName: ReadonlyMap<string, number>;
}

/** One run: a fresh watched folder, the agent on it, the frames replayed into it, its events digested. */
async function runOnce(bench: BenchContext, strategy: BenchmarkStrategy, rep: number, speed: number): Promise<BenchmarkRun> {
  const { scenario, table, measured } = bench;
  const watchDir = await mkdtemp(path.join(bench.workDir, 'haste-bench-watch-'));
  const spoolDir = await mkdtemp(path.join(bench.workDir, 'haste-bench-spool-'));
  try {
    const events: AgentEvent[] = [];
    const stop = new Subject<void>();
    let seen = 0;
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    const cpuBefore = process.cpuUsage();
    const agent$ = runAgent({
      path: watchDir,
      include: ['png'],
      // The replay renames finished files into place, so there is nothing to wait for.
      watch: { awaitWriteFinish: false, ignoreInitial: true, onReady: () => markReady() },
      host: bench.gatewayUrl,
      username: USER,
      password: PASSWORD,
      tag: 'discard',
      streamId: `bench_${strategy}_${rep + 1}`,
      strategy: strategy === 'offline' ? 'none' : strategy,
      cores: scenario.cores,
      uploadSlots: scenario.uploadSlots,
      reducer: { ...scenario.reducer, spoolDir },
      oracleScores: (item: FileItem) => bench.scoreByName.get(path.basename(item.path)) ?? 0,
      retry: { baseMs: 100, capMs: 2000, maxRetries: 5 },
      stop,
    });
    const acquisitionMs = (table.length * 1000) / scenario.rateHz;
    const rawUploadMs = (table.reduce((sum, file) => sum + file.bytes, 0) * 1000) / bench.bandwidth;
    const limitMs = 60_000 + 5 * (acquisitionMs + rawUploadMs);
    const done = lastValueFrom(
      agent$.pipe(
        tap((event) => {
          events.push(event);
          // Intake ends once every replayed file has been taken, so the run can complete.
          if (event.type === 'seen' && ++seen === table.length) stop.next();
        }),
        takeUntil(timer(limitMs)),
      ),
      { defaultValue: undefined },
    );
    await ready;
    await delay(bench.warmUpMs);
    // The trace's origin is the first frame in place (the replay's process takes a while to start).
    let playing: Subscription | undefined;
    const playTrace = (): void => {
      if (bench.trace === undefined || playing !== undefined) return;
      playing = playRateTrace(bench.trace, { apply: changeTcRate }).subscribe({ error: (error: unknown) => bench.log(`rate trace: ${String(error)}`) });
    };
    const sources = strategy === 'offline' ? measured.reducedPaths : measured.files.map((file) => file.path);
    const placedAt = new Map<string, number>();
    const replayOptions = { files: sources, into: watchDir, rateHz: scenario.rateHz };
    await lastValueFrom((bench.isolate ? replayInChild(replayOptions) : replayDataset(replayOptions)).pipe(
        tap((file) => {
          playTrace();
          placedAt.set(path.basename(file.path), file.at);
        }),
      ), {
      defaultValue: undefined,
    });
    await done;
    const cpu = process.cpuUsage(cpuBefore);
    playing?.unsubscribe();
    if (bench.trace !== undefined) await changeTcRate(bench.trace.rateAt(0));
    return measureRun(bench, { strategy, rep, speed, events, sources, placedAt, cpu });
  } finally {
    await rm(watchDir, { recursive: true, force: true });
    await rm(spoolDir, { recursive: true, force: true });
  }
}

/** What one run left to measure: its events, what was replayed and when, the CPU it took. */
interface RunTrace {
  readonly strategy: BenchmarkStrategy;
  readonly rep: number;
  readonly speed: number;
  readonly events: readonly AgentEvent[];
  readonly sources: readonly string[];
  readonly placedAt: ReadonlyMap<string, number>;
  readonly cpu: NodeJS.CpuUsage;
}

/** The run's makespan, bytes, latencies and lags from its events. */
function measureRun(bench: BenchContext, trace: RunTrace): BenchmarkRun {
  const { strategy, rep, speed, events, sources, placedAt, cpu } = trace;
  const { scenario, table } = bench;
  const digested = digestEvents(events);
  // Event times and placement times are both scheduler.now() (asyncScheduler), one clock.
  const digest = {
    ...digested,
    files: digested.files.map((file) => {
      const at = placedAt.get(file.name);
      return at === undefined ? file : { ...file, placedMs: at - digested.startAt };
    }),
  };
  const intervalMs = 1000 / scenario.rateHz;
  const indexByName = new Map(sources.map((source, i) => [path.basename(source), i]));
  const firstPlacedMs = Math.min(...digest.files.map((file) => file.placedMs ?? Infinity));
  const lagMax = (pick: (file: FileRecord) => number | undefined): number =>
    Math.max(...digest.files.map((file) => (pick(file) ?? NaN) - firstPlacedMs - (indexByName.get(file.name) ?? NaN) * intervalMs).filter(Number.isFinite));
  const { simAsRunMs, boundAsRunMs } = simulateAsRun(bench, strategy, digest.files);
  const uploaded = digest.files.filter((file) => file.uploadedMs !== undefined);
  const latencies = uploaded.map((file) => file.uploadedMs! - (file.seenMs ?? 0));
  return {
    strategy,
    rep: rep + 1,
    makespanMs: uploaded.length === 0 ? NaN : Math.max(...uploaded.map((file) => file.uploadedMs!)),
    bytesSent: uploaded.reduce((sum, file) => sum + (file.sentBytes ?? 0), 0),
    filesUploaded: uploaded.length,
    filesReduced: events.filter((event) => event.type === 'reduced' && event.reduced).length,
    failures: table.length - uploaded.length,
    latencyP50Ms: percentile(latencies, 0.5),
    latencyP95Ms: percentile(latencies, 0.95),
    processCpuSec: (cpu.user + cpu.system) / 1e6,
    reducerCpuSec: events.reduce((sum, event) => sum + (event.type === 'reduced' ? event.cpuMs : 0), 0) / 1000,
    reducerSpeed: speed,
    simAsRunMs,
    boundAsRunMs,
    placedLagMaxMs: lagMax((file) => file.placedMs),
    seenLagMaxMs: lagMax((file) => file.seenMs),
    queued: digest.queued.map(([t, bytes]) => [t / 1000, bytes] as const),
    files: digest.files,
  };
}

function simulateAsRun(bench: BenchContext, strategy: BenchmarkStrategy, records: readonly FileRecord[]): { simAsRunMs: number; boundAsRunMs: number } {
  const { scenario, table } = bench;
  const byName = new Map(records.map((record) => [record.name, record]));
  const names = bench.measured.files.map((file) => path.basename(file.path));
  // The core is taken from reduce-start to reduced, not only for the reducer's own cpuMs: the
  // stat, the spool write and the messages around it (a few ms a file here) are core time
  // the simulator would otherwise hand out again.
  const heldMs = (record: FileRecord | undefined): number | undefined =>
    record?.reduceStartMs !== undefined && record.reducedMs !== undefined ? record.reducedMs - record.reduceStartMs : record?.reduceCpuMs;
  const slowdowns = table
    .map((file, i) => (heldMs(byName.get(names[i]!)) ?? NaN) / file.cpuMs)
    .filter((ratio) => Number.isFinite(ratio) && ratio > 0);
  const slowdown = slowdowns.length === 0 ? 1 : median(slowdowns);
  const asRun = table.map((file, i) => {
    const record = byName.get(names[i]!);
    return {
      ...file,
      ...(strategy === 'offline' ? { bytes: file.reducedBytes } : {}),
      arrivalMs: record?.seenMs ?? file.arrivalMs,
      cpuMs: heldMs(record) ?? file.cpuMs * slowdown,
    };
  });
  const simAsRunMs = simulatedMakespan(bench, strategy, asRun);
  // The offline reference's table has no reductions left to bound, so it gets none.
  const boundAsRunMs = strategy === 'offline' ? NaN : lowerBoundMakespan(asRun, { ...bench.uplink, cores: scenario.cores }).makespanMs;
  return { simAsRunMs, boundAsRunMs };
}

/** The simulator's makespan of `files` with the scenario's cores, upload slots and overhead (offline sends with none). */
function simulatedMakespan(bench: BenchContext, strategy: BenchmarkStrategy, files: readonly FileCost[]): number {
  return simulate({
    files,
    ...bench.uplink,
    strategy: strategy === 'offline' ? 'none' : strategy,
    cores: bench.scenario.cores,
    uploadSlots: bench.scenario.uploadSlots,
    perFileOverheadMs: bench.perFileOverheadMs,
  }).makespanMs;
}

/** The medians per strategy, the best online strategy and how much of the gap to the bound it closed. */
function summarizeRuns(
  bench: BenchContext,
  runs: readonly BenchmarkRun[],
  bound: MakespanLowerBound,
): { summary: SummaryRow[]; best: string; gapClosed: number; gapClosedAsRun: number; boundAsRunMs: number; speeds: number[] } {
  const { scenario, table, bandwidth, strategies } = bench;
  const simulated = (strategy: BenchmarkStrategy): number =>
    simulatedMakespan(bench, strategy, strategy === 'offline' ? table.map((file) => ({ ...file, bytes: file.reducedBytes })) : table);

  const medianOf = (strategy: BenchmarkStrategy, pick: (run: BenchmarkRun) => number): number =>
    median(runs.filter((run) => run.strategy === strategy).map(pick));
  const fifoMs = strategies.includes('fifo') ? medianOf('fifo', (run) => run.makespanMs) : NaN;
  const summary: SummaryRow[] = strategies.map((strategy) => {
    const makespanMs = medianOf(strategy, (run) => run.makespanMs);
    return {
      strategy,
      runs: runs.filter((run) => run.strategy === strategy).length,
      makespanMs,
      ratioToBound: makespanMs / bound.makespanMs,
      ratioToFifo: makespanMs / fifoMs,
      simMakespanMs: simulated(strategy),
      simAsRunMs: medianOf(strategy, (run) => run.simAsRunMs),
      bytesSent: medianOf(strategy, (run) => run.bytesSent),
      filesReduced: medianOf(strategy, (run) => run.filesReduced),
      latencyP50Ms: medianOf(strategy, (run) => run.latencyP50Ms),
      latencyP95Ms: medianOf(strategy, (run) => run.latencyP95Ms),
      processCpuSec: medianOf(strategy, (run) => run.processCpuSec),
      reducerCpuSec: medianOf(strategy, (run) => run.reducerCpuSec),
      failures: runs.filter((run) => run.strategy === strategy).reduce((sum, run) => sum + run.failures, 0),
    };
  });
  const online = summary.filter((row) => row.strategy !== 'offline' && Number.isFinite(row.makespanMs));
  const bestRow = online.reduce<SummaryRow | undefined>((best, row) => (best === undefined || row.makespanMs < best.makespanMs ? row : best), undefined);
  const best = bestRow?.strategy ?? '–';
  const closed = bestRow === undefined ? NaN : gapClosed(fifoMs, bestRow.makespanMs, bound.makespanMs);
  const speeds = runs.map((run) => run.reducerSpeed);
  const boundAsRunMs = median(runs.map((run) => run.boundAsRunMs).filter((ms) => Number.isFinite(ms)));
  const closedAsRun = bestRow === undefined ? NaN : gapClosed(fifoMs, bestRow.makespanMs, boundAsRunMs);
  return { summary, best, gapClosed: closed, gapClosedAsRun: closedAsRun, boundAsRunMs, speeds };
}

/**
 * Another process spinning on one core for as long as the runs last, as other software on an
 * instrument PC would; returns the function that ends it (also called at process exit).
 */
function keepOneCoreBusy(): () => void {
  const child: ChildProcess = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  const stop = (): void => {
    process.removeListener('exit', stop);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', stop);
  return stop;
}

/**
 * The uplink's rate and the agent's estimate of it, in MB/s, for the queue plot: the trace as a
 * staircase over the plotted time, and the estimator's rule replayed on the adaptive run's
 * uploads (the run stands for all: the trace is the same in each). Times from the first file seen;
 * the trace starts with the first frame placed.
 */
function rateSeries(trace: RateTrace, runs: readonly BenchmarkRun[]): { name: string; points: (readonly [number, number])[] }[] {
  const run = runs.find((candidate) => candidate.strategy === 'adaptive') ?? runs[0];
  if (run === undefined) return [];
  const endSec = Math.max(...run.queued.map(([t]) => t), 1);
  const originMs = Math.min(0, ...run.files.map((file) => file.placedMs ?? 0));
  const tracePoints: (readonly [number, number])[] = [];
  for (const step of trace.steps) {
    const t = (step.atMs + originMs) / 1000;
    if (t > endSec) break;
    tracePoints.push([Math.max(0, t), step.bytesPerSec / 1e6]);
  }
  tracePoints.push([endSec, trace.rateAt(endSec * 1000 - originMs) / 1e6]);
  const estimate = bandwidthEstimateSeries(run.files).map(([ms, rate]) => [ms / 1000, rate / 1e6] as const);
  return [
    { name: 'uplink rate (MB/s)', points: tracePoints },
    { name: `estimate (MB/s, ${run.strategy} run)`, points: estimate },
  ];
}

/** The makespan box plot and the bytes-queued chart of the median run (with the uplink's trace and its estimate), as SVG and PNG. */
async function writePlots(
  outDir: string,
  scenario: Scenario,
  strategies: readonly BenchmarkStrategy[],
  runs: readonly BenchmarkRun[],
  bound: MakespanLowerBound,
  trace: RateTrace | undefined,
): Promise<void> {
  const makespanSvg = boxPlotSvg({
    title: `Makespan per strategy (${scenario.name}; bound ${(bound.makespanMs / 1000).toFixed(2)} s)`,
    yLabel: 'makespan (s)',
    groups: strategies.map((strategy) => ({
      name: strategy,
      values: runs.filter((run) => run.strategy === strategy && Number.isFinite(run.makespanMs)).map((run) => run.makespanMs / 1000),
    })),
  });
  // The run with the median makespan stands for its strategy in the queue plot.
  const representative = strategies
    .map((strategy) => {
      const mine = runs.filter((run) => run.strategy === strategy).sort((a, b) => a.makespanMs - b.makespanMs);
      return mine[Math.floor((mine.length - 1) / 2)];
    })
    .filter((run): run is BenchmarkRun => run !== undefined);
  const queuedSvg = lineChartSvg({
    title: trace === undefined ? `Bytes waiting for the uplink (${scenario.name}, median run)` : `Bytes waiting, uplink rate and its estimate (${scenario.name}, median run)`,
    xLabel: 'time since first file seen (s)',
    yLabel: trace === undefined ? 'queued (MB)' : 'queued (MB); rate (MB/s)',
    step: true,
    series: [
      ...representative.map((run) => ({ name: run.strategy, points: run.queued.map(([t, bytes]) => [t, bytes / 1e6] as const) })),
      ...(trace === undefined ? [] : rateSeries(trace, representative)),
    ],
  });
  await writeFile(path.join(outDir, 'makespan.svg'), makespanSvg);
  await writeFile(path.join(outDir, 'queued.svg'), queuedSvg);
  await svgToPng(makespanSvg, path.join(outDir, 'makespan.png'));
  await svgToPng(queuedSvg, path.join(outDir, 'queued.png'));
}

/**
 * Every strategy `reps` times, interleaved, each run's record written as it ends. The machine's
 * reducer speed is sampled before each run.
 */
async function runRepetitions(bench: BenchContext, reducerSpeed: () => Promise<number>): Promise<BenchmarkRun[]> {
  const { reps, strategies, log, outDir } = bench;
  const runs: BenchmarkRun[] = [];
  for (let rep = 0; rep < reps; rep += 1) {
    // Rotating the order each repetition keeps any slow drift of the machine's load from
    // always landing on the same strategy.
    const order = strategies.map((_, i) => strategies[(i + rep) % strategies.length]!);
    for (const strategy of order) {
      const speed = await reducerSpeed();
      const result = await runOnce(bench, strategy, rep, speed);
      runs.push(result);
      log(`${strategy} rep ${rep + 1}/${reps}: ${(result.makespanMs / 1000).toFixed(3)} s (reducer before it at × ${speed.toFixed(2)}), ${(result.bytesSent / 1e6).toFixed(2)} MB, ${result.filesReduced} reduced, lag placed ${Math.round(result.placedLagMaxMs)} ms seen ${Math.round(result.seenLagMaxMs)} ms${result.failures > 0 ? `, ${result.failures} failed` : ''}`);
      const stem = path.join(outDir, 'runs', `${strategy}-${rep + 1}`);
      await writeFile(`${stem}.json`, `${JSON.stringify(result)}\n`);
      await writeFile(`${stem}.csv`, filesCsv(result.files));
    }
  }
  return runs;
}

/** What the summary files report besides the context: the shaper, the bound and the outcome. */
interface SummaryFacts {
  readonly shaper: 'tc' | 'bucket';
  readonly bound: MakespanLowerBound;
  readonly calibrationFrames: number;
  readonly outcome: ReturnType<typeof summarizeRuns>;
}

/** Writes `table.json`, `summary.md` and `summary.json`; returns the Markdown. */
async function writeSummary(bench: BenchContext, facts: SummaryFacts): Promise<string> {
  const { scenario, table, bandwidth, reps, outDir } = bench;
  const { shaper, bound, outcome } = facts;
  const { summary, best, boundAsRunMs } = outcome;
  const markdown = summaryMarkdown(
    {
      scenario: scenario.name,
      files: table.length,
      size: scenario.size,
      rateHz: scenario.rateHz,
      cores: scenario.cores,
      uploadSlots: scenario.uploadSlots,
      bandwidthBytesPerSec: bandwidth,
      shaper: shaper === 'tc' ? 'tc (htb on lo)' : 'the gateway token bucket',
      reps,
      boundMs: bound.makespanMs,
      boundBinding: bound.binding,
      gapClosed: outcome.gapClosed,
      reducerSpeed: { frames: facts.calibrationFrames, min: Math.min(...outcome.speeds), max: Math.max(...outcome.speeds) },
      boundAsRunMs: outcome.boundAsRunMs,
      gapClosedAsRun: outcome.gapClosedAsRun,
      best: outcome.best,
      perFileOverheadMs: bench.perFileOverheadMs,
      isolated: bench.isolate,
      warmUpMs: bench.warmUpMs,
      ...(bench.traceFile === undefined ? {} : { trace: path.basename(bench.traceFile) }),
      busyCore: bench.busyCore,
    },
    outcome.summary,
  );
  await writeFile(path.join(outDir, 'table.json'), `${JSON.stringify({ scenario, bandwidthBytesPerSec: bandwidth, files: table }, null, 1)}\n`);
  await writeFile(path.join(outDir, 'summary.md'), markdown);
  await writeFile(
    path.join(outDir, 'summary.json'),
    `${JSON.stringify({ scenario, bandwidthBytesPerSec: bandwidth, shaper, bound, boundAsRunMs, best, gapClosed: outcome.gapClosed, gapClosedAsRun: outcome.gapClosedAsRun, summary }, null, 1)}\n`,
  );
  return markdown;
}
