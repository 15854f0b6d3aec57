/**
 * Does `estimateBandwidth` settle within ±10% of a really shaped uplink within 5 s?
 *
 *   npx tsx bench/bandwidthSettling.ts [--rate BYTES_PER_S[,…]] [--slots N[,…]] [--shaper tc|bucket|auto]
 *
 * The marble tests prove the arithmetic in virtual time; this checks it against a real TCP
 * stack. For each rate × slot count it starts the embedded gateway (port 0, tag `discard`, no
 * store), shapes the uplink to it (tc htb on lo when root and working, else the gateway's own
 * token bucket; `auto` picks), and for ~10 s keeps `slots` uploads of 256 KiB–1 MiB random files
 * in flight through `createUploader`, feeding every result to `estimateBandwidth()` on the real
 * asyncScheduler. It then lets the uploads in flight finish, so the busy-time rate of the whole
 * run (no window, nothing in flight) is a ground truth for what the shaper actually delivered:
 * if that is off, blame the shaping; if it is right but the windowed estimate is not, blame
 * the operator.
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
import { asyncScheduler, defer, EMPTY, lastValueFrom, map, merge, of, repeat, tap, toArray } from 'rxjs';
import { startGateway } from '../src/gateway/startGateway.js';
import { GatewayError } from '../src/model/GatewayError.js';
import type { FileItem } from '../src/model/FileItem.js';
import type { UploadResult } from '../src/model/UploadResult.js';
import { estimateBandwidth } from '../src/operators/estimateBandwidth.js';
import { BandwidthMeter } from '../src/operators/estimateBandwidthInternals.js';
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

interface Sample {
  readonly t: number;
  readonly bps: number;
  readonly finished: number;
}

interface RunOutcome {
  readonly rate: number;
  readonly slots: number;
  readonly shaper: string;
  readonly settledAt: number | undefined;
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
      await run('sh', [shapeScript, 'add', String(gateway.port), String(Math.round(rate))]);
    }
    const upload = createUploader({ host: gateway.url, username: 'bench', password: 'bench', tag: 'discard' });
    let next = 0;
    const nextItem = (): FileItem => {
      const file = files[next % files.length]!;
      const item = { ...file, index: next };
      next += 1;
      return item;
    };
    const results: UploadResult[] = [];
    let failures = 0;
    const t0 = asyncScheduler.now();
    const slot = () =>
      defer(() => upload({ item: nextItem() })).pipe(
        // Stop starting uploads after RUN_MS but let those in flight finish, so that the whole
        // run's busy-time rate is exact (nothing in flight, nothing outside a window).
        repeat({ delay: () => (asyncScheduler.now() - t0 < RUN_MS ? of(0) : EMPTY) }),
      );
    const samples = await lastValueFrom(
      merge(...Array.from({ length: slots }, slot)).pipe(
        tap((result) => {
          if (result instanceof GatewayError) {
            failures += 1;
            if (failures <= 3) console.error(`  upload failed: ${result.message}`);
          } else {
            results.push(result);
          }
        }),
        estimateBandwidth(),
        map((bps): Sample => ({ t: asyncScheduler.now() - t0, bps, finished: results.length })),
        toArray(),
      ),
    );

    const truthMeter = new BandwidthMeter(Number.POSITIVE_INFINITY);
    let truthBps = Number.NaN;
    for (const result of results) truthBps = truthMeter.add(result, 0) ?? Number.NaN;

    const inBand = (bps: number): boolean => Math.abs(bps / rate - 1) <= TOLERANCE;
    let lastOut = -1;
    samples.forEach((sample, i) => {
      if (!inBand(sample.bps)) lastOut = i;
    });
    const settledAt = lastOut === samples.length - 1 ? undefined : samples[lastOut + 1]?.t;
    const pass = settledAt !== undefined && settledAt <= SETTLE_WITHIN_MS && failures === 0;

    console.log(`\n== rate ${mb(rate)} MB/s, ${slots} slot(s), shaped by ${shaper === 'tc' ? 'tc htb on lo' : 'the gateway token bucket'} ==`);
    console.log('  t (s)   uploads done  estimate MB/s  ratio   [min ratio, max ratio] of the estimates in this 0.5 s');
    for (let from = 0; from < (samples.at(-1)?.t ?? 0) + 1; from += ROW_MS) {
      const row = samples.filter((sample) => sample.t >= from && sample.t < from + ROW_MS);
      const last = row.at(-1);
      if (last === undefined) continue;
      const ratios = row.map((sample) => sample.bps / rate);
      const flag = ratios.every((ratio) => Math.abs(ratio - 1) <= TOLERANCE) ? '' : '  out of ±10%';
      const drain = from >= RUN_MS ? '  (draining)' : '';
      console.log(
        `  ${sec(last.t).padStart(5)}  ${String(last.finished).padStart(12)}  ${mb(last.bps).padStart(13)}  ${(last.bps / rate).toFixed(3)}` +
          `   [${Math.min(...ratios).toFixed(3)}, ${Math.max(...ratios).toFixed(3)}]${flag}${drain}`,
      );
    }
    console.log(
      `  delivered (whole run, busy time, nothing in flight): ${mb(truthBps)} MB/s = ${(truthBps / rate).toFixed(3)} × shaped; ` +
        `${results.length} uploads, ${failures} failed`,
    );
    console.log(
      settledAt === undefined
        ? `  never settled within ±10% -> FAIL`
        : `  every estimate from ${sec(settledAt)} s on is within ±10% -> ${pass ? 'PASS' : 'FAIL'} (limit ${sec(SETTLE_WITHIN_MS)} s)`,
    );
    return { rate, slots, shaper, settledAt, pass, truthBps, uploads: results.length, failures };
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
  console.log('  rate MB/s  slots  shaper  delivered/shaped  settled at (s)  result');
  for (const o of outcomes) {
    console.log(
      `  ${mb(o.rate).padStart(9)}  ${String(o.slots).padStart(5)}  ${o.shaper.padEnd(6)}  ${(o.truthBps / o.rate).toFixed(3).padStart(16)}` +
        `  ${(o.settledAt === undefined ? 'never' : sec(o.settledAt)).padStart(14)}  ${o.pass ? 'PASS' : 'FAIL'}`,
    );
  }
  if (outcomes.some((o) => !o.pass)) process.exitCode = 1;
} finally {
  removeTcNow();
  removeTempDirNow();
  console.log(`lo qdisc afterwards: ${await loQdisc()}`);
}
