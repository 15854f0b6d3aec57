/**
 * Does `estimateBandwidth` settle within ±10% of a really shaped uplink within 5 s?
 *
 *   npx tsx bench/bandwidthSettling.ts [--rate BYTES_PER_S[,…]] [--slots N[,…]] [--shaper tc|bucket|auto]
 *
 * The marble tests prove the arithmetic in virtual time; this checks it against a real TCP
 * stack. For each rate × slot count it starts the embedded gateway (port 0, tag `discard`, no
 * store), shapes the uplink to it (tc htb on lo when root and working, else the gateway's own
 * token bucket; `auto` picks), and for ~10 s keeps `slots` uploads of 256 KiB–1 MiB random files
 * in flight through `createUploader`, feeding `estimateBandwidth()` on the real asyncScheduler
 * an `upload-start` event as each upload starts and an `upload-end` as it ends, as prioritize
 * emits them in the agent. It then lets the uploads in flight finish, so the busy-time rate of the whole
 * run (no window, nothing in flight) is a ground truth for what the shaper actually delivered:
 * if that is off, blame the shaping; if it is right but the windowed estimate is not, blame
 * the operator. With tc, the htb class's byte counter is also checked against the bytes
 * uploaded, since lo is shared and another process could have replaced the qdisc mid-run.
 *
 * Beside the operator the table shows the operator fed the bare results only (no starts, so its
 * finish-anchored fallback), and the candidate fixes as first measured here (FinishAnchoredMeter,
 * FairShareMeter below); PASS/FAIL is the operator's, fed events, alone.
 *
 * Defaults: rates 2 MB/s and 10 MB/s, 2 slots (about 25 s). Exit code 1 when any run fails.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { asyncScheduler, defer, EMPTY, lastValueFrom, merge, of, repeat, Subject, tap, toArray } from 'rxjs';
import { startGateway } from '../src/gateway/startGateway.js';
import { busyRate } from '../src/operators/BandwidthMeter.js';
import { GatewayError } from '../src/model/GatewayError.js';
import type { FileItem } from '../src/model/FileItem.js';
import type { UploadResult } from '../src/model/UploadResult.js';
import { estimateBandwidth } from '../src/operators/estimateBandwidth.js';
import type { ScheduleEvent } from '../src/operators/ScheduleEvent.js';
import { createUploader } from '../src/sinks/createUploader.js';

const RUN_MS = 10_000;
const SETTLE_WITHIN_MS = 5_000;
const TOLERANCE = 0.1;
const ROW_MS = 500;
const FILE_COUNT = 24;
const MIN_FILE = 256 * 1024;
const MAX_FILE = 1024 * 1024;

function parseList(flag: string, text: string, valid: (n: number) => boolean, expected: string): number[] {
  const values = text.split(',').map((part) => Number(part.trim()));
  for (const value of values) {
    if (!valid(value)) throw new TypeError(`Expected \`--${flag}\` to be ${expected}, got ${JSON.stringify(text)}`);
  }
  return values;
}

const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '2e6,1e7' },
    slots: { type: 'string', default: '2' },
    shaper: { type: 'string', default: 'auto' },
  },
});
// Below ~100 kB/s a single 1 MiB file outlasts the 5 s budget, so settling cannot be judged.
const rates = parseList('rate', flags.rate, (n) => Number.isFinite(n) && n >= 100_000, 'numbers >= 100000 (bytes/s)');
const slotCounts = parseList('slots', flags.slots, (n) => Number.isInteger(n) && n >= 1 && n <= 16, 'integers from 1 to 16');
const shaperChoice = flags.shaper;
if (shaperChoice !== 'tc' && shaperChoice !== 'bucket' && shaperChoice !== 'auto') {
  throw new TypeError(`Expected \`--shaper\` to be tc, bucket or auto, got ${JSON.stringify(shaperChoice)}`);
}

const shapeScript = fileURLToPath(new URL('./shape-uplink.sh', import.meta.url));
const run = promisify(execFile);

// lo's qdisc is machine-wide, so the removal must happen however this process ends, and only
// if this process is the one that added it.
let tcShaped = false;
let tcUsed = false;
function removeTcNow(): void {
  if (!tcShaped) return;
  tcShaped = false;
  try {
    execFileSync('sh', [shapeScript, 'del'], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

let tempDir: string | undefined;
function removeTempDirNow(): void {
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

process.on('exit', () => {
  removeTcNow();
  removeTempDirNow();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    removeTcNow();
    removeTempDirNow();
    console.error(`\n${signal}: uplink shaping and temp files removed`);
    process.exit(130);
  });
}

async function tcWorks(): Promise<boolean> {
  if (process.getuid?.() !== 0) return false;
  // `check` also refuses when lo already carries an htb, e.g. another benchmark's.
  return run('sh', [shapeScript, 'check']).then(
    () => true,
    () => false,
  );
}

async function loQdisc(): Promise<string> {
  return run('tc', ['qdisc', 'show', 'dev', 'lo']).then(
    ({ stdout }) => stdout.trim(),
    (error: unknown) => `(tc qdisc show failed: ${error instanceof Error ? error.message : String(error)})`,
  );
}

/** Deterministic sizes, so runs at different rates and slot counts upload the same files. */
async function makeFiles(dir: string): Promise<FileItem[]> {
  let state = 12345;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const items: FileItem[] = [];
  for (let index = 0; index < FILE_COUNT; index++) {
    const size = MIN_FILE + Math.floor(random() * (MAX_FILE - MIN_FILE + 1));
    const filePath = path.join(dir, `blob${index}.bin`);
    // Random bytes, so nothing on the way could compress them.
    await writeFile(filePath, randomBytes(size));
    items.push({ path: filePath, size, mtimeMs: Date.now(), index });
  }
  return items;
}


/**
 * The fix proposed for estimateBandwidth, measured here beside it (not used by the library).
 *
 * The operator's window starts at the earliest *start* among the uploads it keeps and ends at
 * the latest finish, so with parallel uploads both edges cut through uploads it cannot see:
 * at the leading edge, uploads already dropped were sharing the link; at the trailing edge,
 * uploads still in flight were. Their bytes are missing but their time is counted, so the
 * estimate runs low by about (slots - 1) partial files per window. Anchoring the window at a
 * *finish* (that of the newest upload at or before the horizon, whose own bytes are then left
 * out, or the first finish while the window still holds the whole run) cuts both edges the
 * same way: at the anchor, uploads in flight get all their bytes for part of their time, which
 * on average makes up for the uploads in flight at the trailing edge.
 */
class FinishAnchoredMeter {
  private finished: { startedAt: number; finishedAt: number; bytes: number }[] = [];
  private readonly wholeRun: UploadResult[] = [];

  constructor(private readonly windowMs: number) {}

  add(result: UploadResult, now: number): number | undefined {
    this.wholeRun.push(result);
    const wholeRunBps = busyRate(this.wholeRun);
    this.finished.push({ startedAt: result.startedAt, finishedAt: result.finishedAt, bytes: result.bytes });
    this.finished.sort((a, b) => a.finishedAt - b.finishedAt);
    if (this.finished.length === 1) {
      const only = this.finished[0]!;
      return only.finishedAt > only.startedAt ? (only.bytes * 1000) / (only.finishedAt - only.startedAt) : undefined;
    }
    const horizon = now - this.windowMs;
    let anchor = 0;
    while (anchor + 2 < this.finished.length && this.finished[anchor + 1]!.finishedAt <= horizon) anchor += 1;
    this.finished = this.finished.slice(anchor);
    const from = this.finished[0]!.finishedAt;
    const last = this.finished.at(-1)!.finishedAt;
    // Uploads that finish just after the anchor got most of their bytes before it; until the span
    // is as long as the anchor upload took, that over-count dwarfs the time, so fall back to the
    // operator's arithmetic (the window still holds the whole run then).
    if (last - from < from - this.finished[0]!.startedAt) return wholeRunBps;
    return busyRate(this.finished.slice(1).map((entry) => ({ ...entry, startedAt: Math.max(entry.startedAt, from) })));
  }
}

/**
 * The second proposal: each finished upload's bytes over its fair share of the link.
 *
 * While k uploads are in flight each gets about 1/k of the link (TCP flows through one
 * bottleneck queue; the gateway's bucket serves chunks first come first served), so an upload
 * that sent `bytes` over [s, f] saw the link at bytes / ∫ 1/k(t) dt. Summing bytes and shares
 * over the window makes the window edges harmless: every upload is counted whole, with exactly
 * its own share of the time, and uploads already out of the window still count in k.
 *
 * k is exact only if the meter hears of uploads when they start (`started`); the operator today
 * sees finished uploads only. Without starts, k misses uploads still in flight, so the newest
 * uploads' shares come out too long (a low bias, like the operator's trailing edge) until those
 * uploads finish; shares are recomputed at every estimate so older ones become exact.
 */
class FairShareMeter {
  private readonly intervals = new Map<number, { startedAt: number; finishedAt?: number; bytes?: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly hearsStarts: boolean,
  ) {}

  started(id: number, at: number): void {
    if (this.hearsStarts) this.intervals.set(id, { startedAt: at });
  }

  add(id: number, result: UploadResult, now: number): number | undefined {
    this.intervals.set(id, { startedAt: result.startedAt, finishedAt: result.finishedAt, bytes: result.bytes });
    const all = [...this.intervals.values()];
    const finished = all.filter((entry) => entry.finishedAt !== undefined).sort((x, y) => x.finishedAt! - y.finishedAt!);
    const horizon = now - this.windowMs;
    const window = finished.filter((entry, i) => entry.finishedAt! > horizon || i === finished.length - 1);
    let bytes = 0;
    let shareMs = 0;
    for (const entry of window) {
      bytes += entry.bytes!;
      shareMs += this.share(entry.startedAt, entry.finishedAt!, all);
    }
    // Keep what can still overlap an upload in the window or one still to finish.
    const keepFrom = Math.min(...window.map((entry) => entry.startedAt), ...all.filter((entry) => entry.finishedAt === undefined).map((entry) => entry.startedAt));
    for (const [key, entry] of this.intervals) {
      if (entry.finishedAt !== undefined && entry.finishedAt < keepFrom) this.intervals.delete(key);
    }
    return shareMs > 0 ? (bytes * 1000) / shareMs : undefined;
  }

  /** ∫ 1/k(t) dt over [s, f], k counting every known upload in flight at t. */
  private share(s: number, f: number, all: readonly { startedAt: number; finishedAt?: number }[]): number {
    const edges: [number, number][] = [];
    for (const entry of all) {
      const end = entry.finishedAt ?? Number.POSITIVE_INFINITY;
      if (entry.startedAt < f && end > s) edges.push([Math.max(entry.startedAt, s), 1], [Math.min(end, f), -1]);
    }
    edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    let active = 0;
    let previous = s;
    let total = 0;
    for (const [at, delta] of edges) {
      if (active > 0) total += (at - previous) / active;
      active += delta;
      previous = at;
    }
    return total;
  }
}

/** What tc's class for the gateway port says it passed, to prove the shaping stayed ours. */
async function tcClassSentBytes(): Promise<number | undefined> {
  const { stdout } = await run('tc', ['-s', 'class', 'show', 'dev', 'lo', 'classid', '1:10']).catch(() => ({ stdout: '' }));
  const match = /Sent (\d+) bytes/.exec(stdout);
  return match === null ? undefined : Number(match[1]);
}

/** The proposed estimators, fed the same results as the operator (and, for one, the starts). */
const CANDIDATES = ['operator, results only', 'finish-anchored', 'fair-share', 'fair-share+starts'] as const;

interface Sample {
  readonly t: number;
  readonly bps: number;
  /** The candidates' estimates at the same moment, in CANDIDATES order. */
  readonly candidates: readonly (number | undefined)[];
  readonly finished: number;
}

/** When every estimate from then on stays in band, or undefined when the last is out. */
function settlingTime(samples: readonly Sample[], estimate: (sample: Sample) => number | undefined, rate: number): number | undefined {
  let lastOut = -1;
  samples.forEach((sample, i) => {
    const bps = estimate(sample);
    if (bps === undefined || Math.abs(bps / rate - 1) > TOLERANCE) lastOut = i;
  });
  return lastOut === samples.length - 1 ? undefined : samples[lastOut + 1]?.t;
}

interface RunOutcome {
  readonly rate: number;
  readonly slots: number;
  readonly shaper: string;
  readonly settledAt: number | undefined;
  readonly candidatesSettledAt: readonly (number | undefined)[];
  readonly pass: boolean;
  readonly truthBps: number;
  readonly uploads: number;
  readonly failures: number;
}

const mb = (bps: number): string => (bps / 1e6).toFixed(3);
const sec = (ms: number): string => (ms / 1000).toFixed(2);

async function measure(rate: number, slots: number, shaper: 'tc' | 'bucket', files: readonly FileItem[]): Promise<RunOutcome> {
  const gateway = await startGateway({
    port: 0,
    username: 'bench',
    password: 'bench',
    ...(shaper === 'bucket' ? { maxBytesPerSecond: rate } : {}),
  });
  try {
    if (shaper === 'tc') {
      // Checked again per run: another benchmark may have shaped lo since, and `add` would replace it.
      if (!(await tcWorks())) throw new Error('lo is no longer free to shape (another htb on it?)');
      tcShaped = true;
      tcUsed = true;
      await run('sh', [shapeScript, 'add', String(gateway.port), String(Math.round(rate))]);
    }
    const upload = createUploader({ host: gateway.url, username: 'bench', password: 'bench', tag: 'discard' });
    let next = 0;
    const nextItem = (): FileItem => {
      const file = files[next % files.length]!;
      const item = { ...file, index: next };
      fair.started(next, asyncScheduler.now());
      events.next({ type: 'upload-start', item, at: asyncScheduler.now(), job: { item } });
      next += 1;
      return item;
    };
    const results: UploadResult[] = [];
    let failures = 0;
    const anchored = new FinishAnchoredMeter(5000);
    const fairBlind = new FairShareMeter(5000, false);
    const fair = new FairShareMeter(5000, true);
    let candidates: (number | undefined)[] = [];
    const t0 = asyncScheduler.now();
    let bareBps: number | undefined;
    const bare = new Subject<UploadResult | GatewayError>();
    bare.pipe(estimateBandwidth()).subscribe((bps) => (bareBps = bps));
    // Starts reach the operator when they happen, ends after the bare-results estimate is taken,
    // so every sample sees all columns at the same moment.
    const events = new Subject<ScheduleEvent>();
    const samples: Sample[] = [];
    events.pipe(estimateBandwidth()).subscribe((bps) => samples.push({ t: asyncScheduler.now() - t0, bps, candidates, finished: results.length }));
    const slot = () =>
      defer(() => upload({ item: nextItem() })).pipe(
        // Stop starting uploads after RUN_MS but let those in flight finish, so that the whole
        // run's busy-time rate is exact (nothing in flight, nothing outside a window).
        repeat({ delay: () => (asyncScheduler.now() - t0 < RUN_MS ? of(0) : EMPTY) }),
      );
    await lastValueFrom(
      merge(...Array.from({ length: slots }, slot)).pipe(
        tap((result) => {
          bare.next(result);
          if (result instanceof GatewayError) {
            failures += 1;
            if (failures <= 3) console.error(`  upload failed: ${result.message}`);
          } else {
            results.push(result);
            const now = asyncScheduler.now();
            candidates = [
              bareBps,
              anchored.add(result, now),
              fairBlind.add(result.item.index, result, now),
              fair.add(result.item.index, result, now),
            ];
          }
          events.next({ type: 'upload-end', item: result.item!, at: asyncScheduler.now(), result });
        }),
        toArray(),
      ),
    );
    events.complete();
    bare.complete();

    const truthBps = busyRate(results) ?? Number.NaN;

    const tcSent = shaper === 'tc' ? await tcClassSentBytes() : undefined;
    const settledAt = settlingTime(samples, (sample) => sample.bps, rate);
    const candidatesSettledAt = CANDIDATES.map((_, i) => settlingTime(samples, (sample) => sample.candidates[i], rate));
    const pass = settledAt !== undefined && settledAt <= SETTLE_WITHIN_MS && failures === 0;

    console.log(`\n== rate ${mb(rate)} MB/s, ${slots} slot(s), shaped by ${shaper === 'tc' ? 'tc htb on lo' : 'the gateway token bucket'} ==`);
    console.log('  Each row: the last estimate in a 0.5 s bin as a ratio to the shaped rate, [min, max] of the bin; ✗ = out of ±10%.');
    console.log('  estimateBandwidth is fed start and end events; after it: the operator fed results only, then the fixes first proposed, from the same results.');
    console.log(`  t (s)  uploads  estimate MB/s  ${['estimateBandwidth', ...CANDIDATES].map((name) => name.padEnd(24)).join('')}`.trimEnd());
    const ratio = (x: number): string => x.toFixed(3);
    const column = (row: readonly Sample[], pick: (sample: Sample) => number | undefined): string => {
      const ratios = row.map((sample) => (pick(sample) ?? Number.NaN) / rate);
      const ok = ratios.every((x) => Math.abs(x - 1) <= TOLERANCE);
      return `${ratio(ratios.at(-1)!)} [${ratio(Math.min(...ratios))},${ratio(Math.max(...ratios))}]${ok ? '' : '✗'}`.padEnd(24);
    };
    for (let from = 0; from < (samples.at(-1)?.t ?? 0) + 1; from += ROW_MS) {
      const row = samples.filter((sample) => sample.t >= from && sample.t < from + ROW_MS);
      const last = row.at(-1);
      if (last === undefined) continue;
      const line =
        `  ${sec(last.t).padStart(5)}  ${String(last.finished).padStart(7)}  ${mb(last.bps).padStart(13)}  ` +
        `${column(row, (sample) => sample.bps)}${CANDIDATES.map((_, i) => column(row, (sample) => sample.candidates[i])).join('')}` +
        `${from >= RUN_MS ? '(draining)' : ''}`;
      console.log(line.trimEnd());
    }
    console.log(
      `  delivered (whole run, busy time, nothing in flight): ${mb(truthBps)} MB/s = ${(truthBps / rate).toFixed(3)} × shaped; ` +
        `${results.length} uploads, ${failures} failed`,
    );
    if (shaper === 'tc') {
      const uploaded = results.reduce((sum, result) => sum + result.bytes, 0);
      // Another process replacing or deleting lo's qdisc mid-run would make the figures meaningless.
      const intact = tcSent !== undefined && tcSent >= uploaded;
      console.log(
        `  tc class 1:10 passed ${tcSent ?? '?'} bytes for ${uploaded} uploaded: ${intact ? 'shaping stayed in place' : 'WARNING: shaping was not in place for the whole run'}`,
      );
    }
    console.log(
      settledAt === undefined
        ? `  never settled within ±10% -> FAIL`
        : `  every estimate from ${sec(settledAt)} s on is within ±10% -> ${pass ? 'PASS' : 'FAIL'} (limit ${sec(SETTLE_WITHIN_MS)} s)`,
    );
    const late = samples.filter((sample) => sample.t >= SETTLE_WITHIN_MS);
    const spread = (pick: (sample: Sample) => number | undefined): string => {
      const ratios = late.map((sample) => (pick(sample) ?? Number.NaN) / rate);
      const mean = ratios.reduce((sum, x) => sum + x, 0) / ratios.length;
      return `mean ${ratio(mean)} [${ratio(Math.min(...ratios))}, ${ratio(Math.max(...ratios))}]`;
    };
    console.log(
      `  ratios from ${sec(SETTLE_WITHIN_MS)} s on: estimateBandwidth ${spread((sample) => sample.bps)}; ` +
        CANDIDATES.map((name, i) => `${name} ${spread((sample) => sample.candidates[i])}`).join('; '),
    );
    const when = (at: number | undefined): string => (at === undefined ? 'never settled' : `within ±10% from ${sec(at)} s on`);
    console.log(`  proposed: ${CANDIDATES.map((name, i) => `${name} ${when(candidatesSettledAt[i])}`).join('; ')}`);
    return { rate, slots, shaper, settledAt, candidatesSettledAt, pass, truthBps, uploads: results.length, failures };
  } finally {
    if (shaper === 'tc') {
      tcShaped = false;
      await run('sh', [shapeScript, 'del']).catch(() => undefined);
    }
    await gateway.close();
  }
}

try {
  let shaper: 'tc' | 'bucket';
  if (shaperChoice === 'bucket') {
    shaper = 'bucket';
  } else if (await tcWorks()) {
    shaper = 'tc';
  } else if (shaperChoice === 'tc') {
    throw new Error('tc cannot shape lo here (needs root, tc with htb, and no htb already on lo)');
  } else {
    shaper = 'bucket';
  }
  console.log(
    shaper === 'tc'
      ? 'Shaper: tc htb on lo, limiting traffic to the gateway port (kernel queue, real TCP backpressure)'
      : 'Shaper: the embedded gateway token bucket (maxBytesPerSecond; reads bodies slowly, TCP buffers the rest)',
  );
  tempDir = await mkdtemp(path.join(os.tmpdir(), 'haste-bw-settling-'));
  const files = await makeFiles(tempDir);
  const total = files.reduce((sum, file) => sum + file.size, 0);
  console.log(`${files.length} random files, ${MIN_FILE / 1024}–${MAX_FILE / 1024} KiB, ${mb(total)} MB, reused in turn`);

  const outcomes: RunOutcome[] = [];
  for (const rate of rates) {
    for (const slots of slotCounts) outcomes.push(await measure(rate, slots, shaper, files));
  }

  console.log('\n== summary ==');
  console.log(`  rate MB/s  slots  shaper  delivered/shaped  settled at (s)  result  | proposed, settled at (s): ${CANDIDATES.join('  ')}`);
  for (const o of outcomes) {
    console.log(
      `  ${mb(o.rate).padStart(9)}  ${String(o.slots).padStart(5)}  ${o.shaper.padEnd(6)}  ${(o.truthBps / o.rate).toFixed(3).padStart(16)}` +
        `  ${(o.settledAt === undefined ? 'never' : sec(o.settledAt)).padStart(14)}  ${o.pass ? 'PASS' : 'FAIL'}` +
        `  | ${' '.repeat(26)}${CANDIDATES.map((name, i) => (o.candidatesSettledAt[i] === undefined ? 'never' : sec(o.candidatesSettledAt[i]!)).padStart(name.length)).join('  ')}`,
    );
  }
  if (outcomes.some((o) => !o.pass)) process.exitCode = 1;
} finally {
  removeTcNow();
  removeTempDirNow();
  // Only a qdisc this run added is this run's to judge; another benchmark may have its own on lo.
  console.log(`lo qdisc afterwards${tcUsed ? '' : ' (this run did not shape lo)'}: ${await loQdisc()}`);
}
