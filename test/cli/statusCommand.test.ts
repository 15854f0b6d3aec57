import { expect } from 'chai';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultStateDir } from '../../src/cli/agentCommandInternals.js';
import { openLedger } from '../../src/state/openLedger.js';
import { fakeCli, isolateExitCode } from './cliHarness.js';

const hash = (n: number): string => n.toString(16).padStart(64, '0');

describe('registerStatusCommand', () => {
  isolateExitCode();
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'haste-cli-status-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  /** Two files delivered, one failing with an error, one only seen. */
  const fillLedger = async (dir: string): Promise<void> => {
    const ledger = await openLedger({ dir });
    const key = (n: number) => ({ path: `/data/f${n}.tif`, size: 100 * n, mtimeMs: 1_700_000_000_000 + n, hash: hash(n) });
    await ledger.record({ ...key(1), state: 'acknowledged' });
    await ledger.record({ ...key(2), state: 'acknowledged' });
    await ledger.record({ ...key(3), state: 'failed', lastError: 'HTTP 503 from the gateway' });
    await ledger.record({ ...key(4) });
    await ledger.close();
  };

  it('should print the counts by state, the pending count and the last error', async () => {
    const dir = join(root, 'state');
    await fillLedger(dir);
    const cli = fakeCli();
    await cli.run('status', '--state-dir', dir);
    expect(process.exitCode ?? 0).to.equal(0);
    const lines = cli.stdout.text.trimEnd().split('\n');
    expect(lines[0]).to.equal(`state dir   ${dir}`);
    expect(lines[1]).to.equal('agent       not running');
    expect(lines[2]).to.match(/^files {7}4 \(/);
    expect(lines[2]).to.include('acknowledged 2');
    expect(lines[2]).to.include('failed 1');
    expect(lines[2]).to.include('seen 1');
    expect(lines[3]).to.equal('pending     2');
    expect(lines[4]).to.match(/^oldest {6}\/data\/f3\.tif \(failed since \d{4}-/);
    expect(lines[5]).to.match(/^last error {2}\d{4}-\S+ \/data\/f3\.tif: HTTP 503 from the gateway$/);
    expect(lines[6]).to.equal('repaired    never');
    expect(lines).to.have.length(7);
    expect(cli.stderr.text).to.equal('');
  });

  it('should show damage not yet repaired, then the repair the agent made and noted, long after', async () => {
    const dir = join(root, 'state');
    await fillLedger(dir);
    const journal = join(dir, 'journal.jsonl');
    // fillLedger's close left everything in the journal: the snapshot is written on the next open.
    await appendFile(journal, 'garbage\n');
    const { size } = await stat(journal);

    const before = fakeCli();
    await before.run('status', '--state-dir', dir);
    expect(before.stdout.text).to.include(
      `damaged     1 record: journal.jsonl line 5 (byte ${size - 8}, 7 bytes, checksum mismatch) (unreadable now; the agent drops them when it next opens the ledger)\n`,
    );
    expect(before.stdout.text).to.include('repaired    never\n');

    const ledger = await openLedger({ dir });
    await ledger.close();
    const after = fakeCli();
    await after.run('status', '--state-dir', dir);
    expect(process.exitCode ?? 0).to.equal(0);
    expect(after.stdout.text).to.match(
      new RegExp(`\nrepaired {4}\\d{4}-\\S+ dropped 1 record: journal\\.jsonl line 5 \\(byte ${size - 8}, 7 bytes, checksum mismatch\\)\n`),
    );
    expect(after.stdout.text).to.not.include('damaged');
    const asJson = fakeCli();
    await asJson.run('status', '--state-dir', dir, '--json');
    const json = JSON.parse(asJson.stdout.text) as { lastRepair?: { dropped: number; damage: Array<{ line: number }> } };
    expect(json.lastRepair?.dropped).to.equal(1);
    expect(json.lastRepair?.damage[0]?.line).to.equal(5);
  });

  it('should print the same summary as one JSON object with --json', async () => {
    const dir = join(root, 'state');
    await fillLedger(dir);
    const cli = fakeCli();
    await cli.run('status', '--state-dir', dir, '--json');
    const summary = JSON.parse(cli.stdout.text) as { stateDir: string; total: number; pending: number; counts: Record<string, number> };
    expect(summary.stateDir).to.equal(dir);
    expect(summary.total).to.equal(4);
    expect(summary.pending).to.equal(2);
    expect(summary.counts.acknowledged).to.equal(2);
  });

  it('should find the default state dir from the watched folder, as the agent does', async () => {
    const env = { XDG_STATE_HOME: join(root, 'xdg') };
    const watched = join(root, 'run42');
    await fillLedger(defaultStateDir(watched, env));
    const cli = fakeCli({ env, cwd: root });
    await cli.run('status', 'run42');
    expect(process.exitCode ?? 0).to.equal(0);
    expect(cli.stdout.text).to.include(`state dir   ${defaultStateDir(watched, env)}\n`);
    expect(cli.stdout.text).to.include('files       4 (');
  });

  it('should exit 2 and say so when no agent ever used the state dir', async () => {
    const cli = fakeCli();
    await cli.run('status', '--state-dir', join(root, 'never-used'));
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal(`haste-agent status: no ledger at ${join(root, 'never-used')}: no agent has run with this state dir\n`);
    expect(cli.stdout.text).to.equal('');
  });

  it('should exit 2 when neither a folder nor --state-dir is given', async () => {
    const cli = fakeCli();
    await cli.run('status');
    expect(process.exitCode).to.equal(2);
    expect(cli.stderr.text).to.equal('haste-agent status: give --state-dir DIR or the watched folder\n');
    expect(cli.stdout.text).to.equal('');
  });
});
