import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerSimulateCommand } from '../../src/cli/simulateCommand.js';
import { fakeCli, isolateExitCode } from './cliHarness.js';

function program(register: (program: Command, io: ReturnType<typeof fakeCli>['io']) => void) {
  const cli = fakeCli();
  const root = new Command('haste-agent').exitOverride();
  register(root, cli.io);
  return { cli, run: (...args: string[]) => root.parseAsync(['node', 'haste-agent', ...args]) };
}

describe('registerSimulateCommand', () => {
  isolateExitCode();
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-cli-simulate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should print one row per configuration with each strategy’s makespan', async () => {
    const files = [0, 10, 20].map((arrivalMs, index) => ({ index, arrivalMs, bytes: 100, reducedBytes: 20, cpuMs: 30 }));
    await writeFile(join(dir, 'table.json'), JSON.stringify({ bandwidthBytesPerSec: 1000, files }));
    const { cli, run } = program(registerSimulateCommand);
    await run('simulate', '--table', join(dir, 'table.json'), '--strategies', 'none,fifo', '--upload-slots', '1', '--cores', '1,2');
    const lines = cli.stdout.text.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/).filter(Boolean)).to.deep.equal(['MB/s', 'cores', 'rate', 'Hz', 'bound', 's', 'none', 's', 'fifo', 's', 'gap', 'closed']);
    const [bandwidth, cores, rate, , none, fifo] = lines[1]!.trim().split(/\s+/);
    expect([bandwidth, cores, rate, none, fifo]).to.deep.equal(['0.001', '1', 'table', '0.300', '0.150']);
    expect(lines[2]!.trim().split(/\s+/)[1]).to.equal('2');
    expect(lines).to.have.length(3);
    expect(process.exitCode).to.equal(undefined);
  });

  it('should set exit code 2 and say why for a table that is not JSON', async () => {
    await writeFile(join(dir, 'bad.json'), 'not json');
    const { cli, run } = program(registerSimulateCommand);
    await run('simulate', '--table', join(dir, 'bad.json'));
    expect(cli.stderr.text).to.match(/^haste-agent simulate: /);
    expect(process.exitCode).to.equal(2);
  });

  it('should replay a rate trace given with --trace, its x rates multiplying --bandwidth', async () => {
    const files = [0, 10, 20].map((arrivalMs, index) => ({ index, arrivalMs, bytes: 100, reducedBytes: 20, cpuMs: 30 }));
    await writeFile(join(dir, 'table.json'), JSON.stringify({ bandwidthBytesPerSec: 1000, files }));
    // 1 byte/ms until 0.15 s, then 4: none ends at 187.5 ms (see the simulator's test).
    await writeFile(join(dir, 'trace.txt'), '0 1x\n0.15 4x\n');
    const { cli, run } = program(registerSimulateCommand);
    await run('simulate', '--table', join(dir, 'table.json'), '--trace', join(dir, 'trace.txt'), '--strategies', 'none', '--upload-slots', '1');
    const lines = cli.stdout.text.trimEnd().split('\n');
    expect(lines[0]!.split(/\s+/).filter(Boolean).slice(0, 3)).to.deep.equal(['MB/s', 'mean', 'MB/s']);
    const cells = lines[1]!.trim().split(/\s+/);
    expect(cells[0]).to.equal('0.001');
    expect(cells[5]).to.equal('0.188');
    expect(process.exitCode).to.equal(undefined);
  });

  it('should name the trace file and the line of a malformed trace', async () => {
    await writeFile(join(dir, 'table.json'), JSON.stringify({ bandwidthBytesPerSec: 1000, files: [{ index: 0, arrivalMs: 0, bytes: 1, reducedBytes: 1, cpuMs: 1 }] }));
    await writeFile(join(dir, 'trace.txt'), '# ok\n0 1x\n2 fast\n');
    const { cli, run } = program(registerSimulateCommand);
    await run('simulate', '--table', join(dir, 'table.json'), '--trace', join(dir, 'trace.txt'));
    expect(cli.stderr.text).to.include(`${join(dir, 'trace.txt')}:3: expected the rate to be bytes/s`);
    expect(process.exitCode).to.equal(2);
  });
});
