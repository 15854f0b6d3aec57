import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startGateway } from '../../src/gateway/startGateway.js';
import type { RunningGateway } from '../../src/gateway/RunningGateway.js';
import { waitFor } from './cliHarness.js';
import { ensureBuilt } from '../ensureBuilt.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const binary = join(repo, 'dist', 'cli.js');
const password = 'smoke-test-password-7';

interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built binary; `whileRunning` gets the child before it is awaited. */
function runBinary(args: readonly string[], env: NodeJS.ProcessEnv, whileRunning?: (child: ChildProcess, output: () => string) => void): Promise<Finished> {
  return new Promise((resolve, reject) => {
    // No TTY and no inherited HASTE_* so the run depends only on what the test passes.
    const child = spawn(process.execPath, [binary, ...args], { cwd: repo, env: { PATH: process.env.PATH, HOME: tmpdir(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    whileRunning?.(child, () => stdout + stderr);
  });
}

describe('haste-agent (the built binary)', function () {
  // Building takes several seconds on a busy two-core machine; a current build takes none.
  this.timeout(120_000);
  let root: string;
  let gateway: RunningGateway | undefined;

  before(() => {
    // npm ci's prepare and npm run build leave dist/ in place; a current build is not redone.
    ensureBuilt(binary);
    expect(existsSync(binary), `${binary} after building`).to.equal(true);
  });

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-cli-smoke-'));
  });

  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
    await rm(root, { recursive: true, force: true });
  });

  it('should print the version and exit 0 for --version', async () => {
    const { version } = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { version: string };
    const result = await runBinary(['--version'], {});
    expect(result.code).to.equal(0);
    expect(result.stdout).to.equal(`${version}\n`);
  });

  it('should print the usage and exit 0 for --help', async () => {
    const result = await runBinary(['--help'], {});
    expect(result.code).to.equal(0);
    expect(result.stdout).to.match(/^Usage: haste-agent \[options\] \[command\] \[path\]\n/);
    expect(result.stdout).to.include('--host <host>');
    expect(result.stderr).to.equal('');
  });

  it('should exit 2 on a bad argument, as it does on a missing one', async () => {
    const badMode = await runBinary([root, '--mode', 'fastest'], { HASTE_PASSWORD: password });
    expect(badMode.code).to.equal(2);
    expect(badMode.stderr).to.include("argument 'fastest' is invalid");
    const noHost = await runBinary([root, '--username', 'lab'], { HASTE_PASSWORD: password });
    expect(noHost.code).to.equal(2);
    expect(noHost.stderr).to.equal('haste-agent: missing --host (or HASTE_HOST); see --help\n');
  });

  it('should deliver files byte-identical and exit 0 on SIGINT', async () => {
    const g = (gateway = await startGateway({ port: 0, username: 'lab', password, store: join(root, 'store') }));
    const watched = join(root, 'watched');
    await mkdir(join(watched, 'sub'), { recursive: true });
    const files = new Map<string, Buffer>([
      ['a.dat', randomBytes(3000)],
      ['sub/b.dat', randomBytes(5000)],
    ]);
    for (const [name, bytes] of files) await writeFile(join(watched, name), bytes);

    let late: Promise<void> | undefined;
    const result = await runBinary(
      [watched, '--host', g.url, '--username', 'lab', '--state-dir', join(root, 'state')],
      { HASTE_PASSWORD: password },
      (child, output) => {
        late = (async () => {
          await waitFor(() => g.received.length >= 2, 'the files already there', 30_000);
          const bytes = randomBytes(4000);
          files.set('c.dat', bytes);
          await writeFile(join(watched, 'c.dat'), bytes);
          await waitFor(() => g.received.length >= 3, 'the file written while running', 30_000);
          child.kill('SIGINT');
        })().catch((error: unknown) => {
          child.kill('SIGKILL');
          throw new Error(`${(error as Error).message}; output so far:\n${output()}`);
        });
      },
    );
    await late;
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stderr).to.include('SIGINT: no new uploads start');
    expect(result.stderr).to.match(/stopped; 3 acknowledged, 0 pending, 0 failed this run\n$/);
    expect(result.stdout + result.stderr).to.not.include(password);
    expect(g.received).to.have.length(3);
    for (const [name, bytes] of files) {
      const blob = g.received.find((received) => received.originalFilename === join(watched, name));
      expect(blob, name).to.not.equal(undefined);
      expect((await readFile(blob!.storedPath!)).equals(bytes), `${name} byte-identical`).to.equal(true);
    }
  });
});
