import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './cliHarness.js';
import { ensureBuilt } from '../ensureBuilt.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const binary = join(repo, 'dist', 'cli.js');
const password = 'json-lines-password-3';

interface Running {
  readonly child: ChildProcess;
  /** Lines written so far, stdout's and stderr's, each tagged with its stream. */
  readonly lines: () => { stream: 'stdout' | 'stderr'; text: string }[];
  readonly exited: Promise<number | null>;
}

/** Starts the built binary with no TTY and only the environment the test gives. */
function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Running {
  const child = spawn(process.execPath, [binary, ...args], { cwd: repo, env: { PATH: process.env.PATH, HOME: tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (text.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (text.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  const lines = () =>
    (['stdout', 'stderr'] as const).flatMap((stream) =>
      text[stream]
        .split('\n')
        .slice(0, -1)
        .map((line) => ({ stream, text: line })),
    );
  return { child, lines, exited };
}

/** Every line parsed as one JSON object with an ISO `time` and a string `type`; fails naming the first that is not. */
function parseEveryLine(running: Running): Record<string, unknown>[] {
  return running.lines().map(({ stream, text }) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      expect.fail(`${stream} line is not JSON: ${text}`);
    }
    expect(parsed, `${stream}: ${text}`).to.be.an('object').that.is.not.an('array');
    return parsed as Record<string, unknown>;
  });
}

function typed(records: Record<string, unknown>[]): Record<string, unknown>[] {
  for (const record of records) {
    expect(record.type, JSON.stringify(record)).to.be.a('string');
    expect(record.time, JSON.stringify(record)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  return records;
}

describe('--log-format json (the built binary)', function () {
  this.timeout(120_000);
  let root: string;
  const children: ChildProcess[] = [];

  before(() => ensureBuilt(binary));

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-json-lines-'));
  });

  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
  });

  it('should write only JSON lines from the gateway, the agent and status --json, through a run and its shutdown', async () => {
    const watched = join(root, 'watched');
    const stateDir = join(root, 'state');
    await mkdir(watched);
    for (const name of ['a.bin', 'b.bin', 'c.bin']) await writeFile(join(watched, name), Buffer.alloc(20_000, name));
    const env = { HASTE_USERNAME: 'lab', HASTE_PASSWORD: password };

    const gateway = start(['gateway', '--port', '0', '--store', join(root, 'store'), '--log-format', 'json', '--metrics-port', '0'], env);
    children.push(gateway.child);
    await waitFor(() => gateway.lines().some((line) => line.text.includes('"listening"')), 'the gateway to listen');
    const url = typed(parseEveryLine(gateway)).find((record) => record.type === 'listening')!.url as string;
    expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);

    const agent = start(
      [watched, '--host', url, '--state-dir', stateDir, '--log-format', 'json', '--metrics-port', '0', '--status-interval', '0.2', '--settle-ms', '100'],
      env,
    );
    children.push(agent.child);
    const uploaded = (): number => agent.lines().filter((line) => line.text.includes('"type":"uploaded"')).length;
    await waitFor(() => uploaded() === 3, 'three uploads', 60_000);
    await waitFor(() => agent.lines().some((line) => line.text.includes('"type":"status"') && line.text.includes('"filesUploaded":3')), 'a status line after the uploads');
    agent.child.kill('SIGTERM');
    expect(await agent.exited).to.equal(0);
    const agentRecords = typed(parseEveryLine(agent));
    const types = new Set(agentRecords.map((record) => record.type));
    for (const type of ['metrics', 'seen', 'uploaded', 'status', 'signal', 'stopped']) expect([...types], type).to.include(type);
    const stopped = agentRecords.find((record) => record.type === 'stopped')!;
    expect(stopped).to.include({ acknowledged: 3, pending: 0, failed: 0 });
    const status = agentRecords.filter((record) => record.type === 'status').at(-1)!;
    expect(status).to.include({ filesSeen: 3, filesUploaded: 3, filesFailed: 0 });
    expect(status.message).to.match(/^seen 3, uploaded 3, /);

    const summary = start(['status', '--state-dir', stateDir, '--json']);
    expect(await summary.exited).to.equal(0);
    const [ledger, ...rest] = parseEveryLine(summary);
    expect(rest).to.deep.equal([]);
    expect(ledger).to.deep.include({ stateDir, pending: 0 });

    const gatewayMetrics = typed(parseEveryLine(gateway)).find((record) => record.type === 'metrics')!.url as string;
    const scraped = await (await fetch(gatewayMetrics)).text();
    expect(scraped).to.match(/^haste_gateway_blobs_received_total 3$/m);
    expect(scraped).to.match(/^haste_gateway_bytes_received_total 60000$/m);
    expect(scraped).to.match(/^process_resident_memory_bytes \d+$/m);

    gateway.child.kill('SIGTERM');
    expect(await gateway.exited).to.equal(0);
    const gatewayRecords = typed(parseEveryLine(gateway));
    expect(gatewayRecords.filter((record) => record.type === 'received').map((record) => basename(record.originalFilename as string)).sort()).to.deep.equal(['a.bin', 'b.bin', 'c.bin']);
    expect(gatewayRecords.at(-1)).to.include({ type: 'stopped', accepted: 3, stored: 3, duplicates: 0 });
  });

  it('should write errors as JSON lines too: a missing option, a bad one, a missing ledger', async () => {
    const missingHost = start([root, '--log-format', 'json'], { HASTE_PASSWORD: password });
    const unknownOption = start([root, '--log-format', 'json', '--frobnicate']);
    const noLedger = start(['status', '--state-dir', join(root, 'nowhere'), '--json']);
    const gatewayWithoutUser = start(['gateway', '--port', '0', '--log-format', 'json']);
    for (const [running, pattern] of [
      [missingHost, /missing --host/],
      [unknownOption, /unknown option '--frobnicate'/],
      [noLedger, /no ledger at/],
      [gatewayWithoutUser, /missing --username/],
    ] as const) {
      expect(await running.exited).to.equal(2);
      const records = typed(parseEveryLine(running));
      expect(records).to.have.length(1);
      expect(records[0]).to.include({ type: 'error', exitCode: 2 });
      expect(records[0]!.message).to.match(pattern);
    }
  });
});
