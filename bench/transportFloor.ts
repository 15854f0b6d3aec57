/**
 * The floor cost of the transport the agent must use: can 1,000 small files a second be
 * uploaded on this machine at all, with node-fetch as the client and a server on loopback?
 *
 *   npm run build && npx tsx bench/transportFloor.ts [--files 10000] [--bytes 1024] [--in-flight 2] [--rounds 3]
 *
 * Two servers, each a child process: `bare`, a minimal `node:http` server that reads each body
 * and answers `{"result": "OK!"}` as the gateway does, and `gateway`, the embedded gateway as a
 * user starts it (`haste-agent gateway`, not storing, as bench/agentScale.ts runs it; the built
 * CLI, so `npm run build` first). This process is the client, with nothing of the agent but
 * its upload: `--files` POSTs of one file of `--bytes` random bytes, `--in-flight` at once (the
 * agent's default upload slots: 2), each by the agent's own uploader (`createUploader` with its
 * node-fetch transport) given the file's bytes as admission keeps them, so each request makes
 * the one `lstat` the agent's does and reads nothing. No ledger is written: whatever else the
 * agent does comes on top of these figures.
 *
 * For `--rounds` rounds, each server in turn (the order alternating, so the machine's drift
 * spreads over both): 500 requests to warm up, then the measured ones. Per round and server:
 * requests/s from the first request's start to the last answer, this process's CPU per request
 * (`process.cpuUsage()`, user + system) and the server's (utime + stime from /proc/PID/stat).
 * Then the medians over rounds, their sum (the CPU one file costs both sides), and the rate
 * two cores could sustain at that cost if they did nothing else. Answers other than 2xx, and
 * requests that failed, are counted and printed. Printed figures, not assertions.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { firstValueFrom } from 'rxjs';
import type { FileItem } from '../src/model/FileItem.js';
import { GatewayError } from '../src/model/GatewayError.js';
import { createUploader } from '../src/sinks/createUploader.js';
import { startGatewayChild } from './startGatewayChild.js';

interface BenchOptions {
  readonly files: number;
  readonly bytes: number;
  readonly inFlight: number;
  readonly rounds: number;
}

const usage = 'usage: npm run build && npx tsx bench/transportFloor.ts [--files 10000] [--bytes 1024] [--in-flight 2] [--rounds 3]';
const warmUpRequests = 500;
const cores = 2;
const credentials = { HASTE_USERNAME: 'bench', HASTE_PASSWORD: 'bench' };
const streamId = '2026_12_02__00_00_00_vironova';
const cli = resolve('dist/cli.js');

function positiveInteger(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new TypeError(`--${flag}: expected a positive integer, got ${JSON.stringify(text)}`);
  }
  return n;
}

function parseOptions(args: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...args],
    options: {
      files: { type: 'string', default: '10000' },
      bytes: { type: 'string', default: '1024' },
      'in-flight': { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
    },
  });
  return {
    files: positiveInteger('files', values.files),
    bytes: positiveInteger('bytes', values.bytes),
    inFlight: positiveInteger('in-flight', values['in-flight']),
    rounds: positiveInteger('rounds', values.rounds),
  };
}

/** A server child: where to send, whose CPU to read, and how to stop it. */
interface ServerChild {
  readonly kind: 'bare' | 'gateway';
  readonly host: string;
  readonly pid: number;
  close(): Promise<void>;
}

/** Children still running, killed outright if this process ends before closing them. */
const livePids = new Set<number>();
let tempDir: string | undefined;

function cleanUpNow(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  livePids.clear();
  if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  tempDir = undefined;
}

const bareServerSource = `import { createServer } from 'node:http';
const answer = '{"result": "OK!"}';
const server = createServer((request, response) => {
  let bytes = 0;
  request.on('data', (chunk) => { bytes += chunk.length; });
  request.on('end', () => {
    response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(answer) });
    response.end(answer);
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function firstLine(child: ChildProcess): Promise<string> {
  const exited = once(child, 'exit').then(([code]) => Promise.reject(new Error(`the bare server exited (code ${String(code)}) before it listened`)));
  const lines = createInterface({ input: child.stdout! });
  try {
    return await Promise.race([once(lines, 'line').then(([line]) => String(line)), exited]);
  } finally {
    lines.close();
    exited.catch(() => undefined);
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
  livePids.delete(child.pid!);
}

/** The bare server, from a `.mjs` file (not `-e`: flags given to node would reach it too). */
async function startBareServer(): Promise<ServerChild> {
  tempDir ??= mkdtempSync(join(tmpdir(), 'haste-agent-transport-'));
  const file = join(tempDir, 'bareServer.mjs');
  writeFileSync(file, bareServerSource);
  const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
  livePids.add(child.pid!);
  const port = Number(await firstLine(child));
  if (!Number.isInteger(port) || port < 1) throw new Error(`the bare server printed no port`);
  return { kind: 'bare', host: `http://127.0.0.1:${port}`, pid: child.pid!, close: () => stopChild(child) };
}

/** The embedded gateway as bench/agentScale.ts starts it: default settings, not storing. */
async function startGateway(): Promise<ServerChild> {
  const gateway = await startGatewayChild(cli, credentials);
  const pid = gateway.pid;
  livePids.add(pid);
  return {
    kind: 'gateway',
    host: gateway.host,
    pid,
    close: async () => {
      await gateway.close();
      livePids.delete(pid);
    },
  };
}

const clockTicksPerSecond = ((): number => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** CPU ms the process has used, user + system, all its threads. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields 14 and 15 of stat (after the command in parentheses) are utime and stime in ticks.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
}

function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Answers other than 2xx (`HTTP 401: …`) and failed requests (`failed: …`), counted by kind. */
type ErrorCounts = Map<string, number>;

/** The file every request sends, as the agent holds an admitted one: its item and kept bytes. */
interface BenchBody {
  readonly item: FileItem;
  readonly bytes: Buffer;
}

/** A file of `size` random bytes in the temp folder, with the identity the agent would admit it by. */
function benchBody(size: number): BenchBody {
  tempDir ??= mkdtempSync(join(tmpdir(), 'haste-agent-transport-'));
  const path = join(tempDir, 'frame.dat');
  const bytes = randomBytes(size);
  writeFileSync(path, bytes);
  const stats = lstatSync(path);
  return { item: { path, size: stats.size, mtimeMs: stats.mtimeMs, dev: stats.dev, ino: stats.ino, index: 0 }, bytes };
}

/** `count` uploads, `inFlight` at a time, as the agent's upload slots send them. */
async function postMany(host: string, count: number, inFlight: number, body: BenchBody): Promise<ErrorCounts> {
  const upload = createUploader({ host, username: credentials.HASTE_USERNAME, password: credentials.HASTE_PASSWORD, streamId });
  const errors: ErrorCounts = new Map();
  let next = 0;
  const slot = async (): Promise<void> => {
    while (next < count) {
      next += 1;
      const outcome = await firstValueFrom(upload({ item: body.item, bodyBytes: body.bytes }));
      if (outcome instanceof GatewayError) {
        const problem = outcome.status === 0 ? `failed: ${outcome.message}` : `HTTP ${outcome.status}: ${outcome.message.slice(0, 120)}`;
        errors.set(problem, (errors.get(problem) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, slot));
  return errors;
}

interface RoundFigures {
  readonly requestsPerSecond: number;
  readonly clientCpuMs: number;
  readonly serverCpuMs: number;
  readonly errors: ErrorCounts;
}

async function measureRound(server: ServerChild, options: BenchOptions, body: BenchBody): Promise<RoundFigures> {
  const warmUpErrors = await postMany(server.host, warmUpRequests, options.inFlight, body);
  const serverBefore = processCpuMs(server.pid);
  const clientBefore = ownCpuMs();
  const started = performance.now();
  const errors = await postMany(server.host, options.files, options.inFlight, body);
  const seconds = (performance.now() - started) / 1000;
  const clientMs = ownCpuMs() - clientBefore;
  const serverMs = processCpuMs(server.pid) - serverBefore;
  for (const [problem, n] of warmUpErrors) errors.set(`(warm-up) ${problem}`, n);
  return {
    requestsPerSecond: options.files / seconds,
    clientCpuMs: clientMs / options.files,
    serverCpuMs: serverMs / options.files,
    errors,
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function printRound(round: number, kind: string, figures: RoundFigures): void {
  const errorCount = [...figures.errors.values()].reduce((sum, n) => sum + n, 0);
  console.log(
    `round ${round} ${kind}: ${figures.requestsPerSecond.toFixed(0)} requests/s, client ${figures.clientCpuMs.toFixed(3)} + ` +
      `server ${figures.serverCpuMs.toFixed(3)} CPU ms/request, load ${loadavg()[0]!.toFixed(2)}, errors ${errorCount}`,
  );
  for (const [problem, n] of figures.errors) console.log(`  ${n} × ${problem}`);
}

function printTable(results: ReadonlyMap<string, readonly RoundFigures[]>): void {
  console.log('');
  console.log(`| server | requests/s | client CPU ms/request | server CPU ms/request | CPU ms per file, both sides | ceiling on ${cores} cores, requests/s | errors |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [kind, rounds] of results) {
    const client = median(rounds.map((r) => r.clientCpuMs));
    const server = median(rounds.map((r) => r.serverCpuMs));
    const errors = rounds.reduce((sum, r) => sum + [...r.errors.values()].reduce((a, n) => a + n, 0), 0);
    console.log(
      `| ${kind} | ${median(rounds.map((r) => r.requestsPerSecond)).toFixed(0)} | ${client.toFixed(3)} | ${server.toFixed(3)} | ` +
        `${(client + server).toFixed(3)} | ${((cores * 1000) / (client + server)).toFixed(0)} | ${errors} |`,
    );
  }
}

const loadText = (): string => loadavg().map((n) => n.toFixed(2)).join(' ');

async function run(options: BenchOptions): Promise<void> {
  console.log(
    `transport floor, ${new Date().toISOString()}: node-fetch ${options.bytes}-byte POSTs, ${options.inFlight} in flight, ` +
      `${options.files.toLocaleString('en')} a round after ${warmUpRequests} to warm up, ${options.rounds} rounds; ` +
      `${availableParallelism()} CPUs, ${clockTicksPerSecond} ticks/s, load average ${loadText()}`,
  );
  const body = benchBody(options.bytes);
  const servers: ServerChild[] = [];
  try {
    servers.push(await startBareServer());
    servers.push(await startGateway());
    const results = new Map<string, RoundFigures[]>(servers.map((server) => [server.kind, []]));
    for (let round = 1; round <= options.rounds; round += 1) {
      for (const server of round % 2 === 1 ? servers : [...servers].reverse()) {
        const figures = await measureRound(server, options, body);
        results.get(server.kind)!.push(figures);
        printRound(round, server.kind, figures);
      }
    }
    printTable(results);
  } finally {
    for (const server of servers) await server.close();
    cleanUpNow();
  }
  console.log(`\nload average at the end ${loadText()}, ${new Date().toISOString()}`);
}

process.on('exit', cleanUpNow);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.once(signal, () => {
    cleanUpNow();
    process.exit(code);
  });
}

let options: BenchOptions | undefined;
try {
  options = parseOptions(process.argv.slice(2));
} catch (error) {
  console.error(`${(error as Error).message}\n${usage}`);
  process.exitCode = 1;
}
if (options !== undefined) {
  if (!existsSync(cli)) {
    console.error(`${cli} is missing: the gateway runs from the built CLI, so run \`npm run build\` first`);
    process.exitCode = 1;
  } else {
    try {
      await run(options);
    } catch (error) {
      console.error(error);
      process.exitCode = 1;
    }
  }
}
