import { expect } from 'chai';
import { CommanderError } from 'commander';
import { fakeCli, isolateExitCode } from './cliHarness.js';

async function commanderError(run: Promise<unknown>): Promise<CommanderError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof CommanderError) return error;
    throw error;
  }
  throw new Error('expected a CommanderError');
}

describe('buildProgram', () => {
  isolateExitCode();

  it('should write --help to the injected stdout and end with exit code 0', async () => {
    const cli = fakeCli();
    const error = await commanderError(cli.run('--help'));
    expect(error.exitCode).to.equal(0);
    expect(cli.stdout.text).to.match(/^Usage: haste-agent \[options\] \[command\] \[path\]\n/);
    expect(cli.stderr.text).to.equal('');
  });

  it('should write a subcommand\'s --help without running it', async () => {
    const cli = fakeCli();
    const error = await commanderError(cli.run('gateway', '--help'));
    expect(error.exitCode).to.equal(0);
    expect(cli.stdout.text).to.match(/^Usage: haste-agent gateway \[options\]\n/);
    expect(cli.listeners()).to.equal(0);
  });

  it('should print the version and end with exit code 0', async () => {
    const cli = fakeCli();
    const error = await commanderError(cli.run('--version'));
    expect(error.exitCode).to.equal(0);
    expect(cli.stdout.text).to.match(/^\d+\.\d+\.\d+\n$/);
  });

  it('should reject an unknown option in one line with a suggestion, on the injected stderr', async () => {
    const cli = fakeCli();
    const error = await commanderError(cli.run('/tmp', '--hots', 'gateway:8080'));
    expect(error.code).to.equal('commander.unknownOption');
    expect(error.exitCode).to.not.equal(0);
    expect(cli.stderr.text).to.equal("error: unknown option '--hots'\n(Did you mean --host?)\n");
    expect(cli.stdout.text).to.equal('');
  });

  it('should keep a subcommand\'s options apart from the agent\'s', async () => {
    const cli = fakeCli();
    const error = await commanderError(cli.run('demo', '--host', 'x:1'));
    expect(error.code).to.equal('commander.unknownOption');
    expect(cli.stderr.text).to.match(/^error: unknown option '--host'\n/);
  });
});
