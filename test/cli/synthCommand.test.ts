import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerSynthCommand } from '../../src/cli/synthCommand.js';
import { fakeCli, isolateExitCode } from './cliHarness.js';

function program(register: (program: Command, io: ReturnType<typeof fakeCli>['io']) => void) {
  const cli = fakeCli();
  const root = new Command('haste-agent').exitOverride();
  register(root, cli.io);
  return { cli, run: (...args: string[]) => root.parseAsync(['node', 'haste-agent', ...args]) };
}

describe('registerSynthCommand', () => {
  isolateExitCode();
  it('should write the frames and say how many', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'haste-cli-synth-'));
    try {
      const { cli, run } = program(registerSynthCommand);
      await run('synth', '--out', join(dir, 'frames'), '--count', '2', '--seed', '3', '--size', '64');
      expect(cli.stdout.text).to.match(/^wrote 2 frames \(.* MB\) to /);
      expect((await readdir(join(dir, 'frames'))).filter((name) => name.endsWith('.png'))).to.have.length(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('should set exit code 2 for a bad count', async () => {
    const { cli, run } = program(registerSynthCommand);
    await run('synth', '--out', join(tmpdir(), 'never-written'), '--count', 'many');
    expect(cli.stderr.text).to.contain('haste-agent synth:');
    expect(process.exitCode).to.equal(2);
  });
});
