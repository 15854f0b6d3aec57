import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

  it('should not load sharp (libvips, ~20 MB of RSS) with the commands, only when an image is reduced or written', () => {
    // A fresh process: this one has loaded sharp for other tests already.
    const modules = ['../../src/cli/buildProgram.ts', '../../src/agent/runAgent.ts', '../../src/reducers/createWorkerPool.ts'].map((name) =>
      fileURLToPath(new URL(name, import.meta.url)),
    );
    const script = [
      "import { createRequire } from 'node:module';",
      ...modules.map((file) => `await import(${JSON.stringify(file)});`),
      'const loaded = Object.keys(createRequire(import.meta.url).cache).filter((name) => /[\\/]sharp[\\/]|[\\/]sharp-[a-z]/.test(name));',
      'console.log(JSON.stringify(loaded));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.stderr).to.equal('');
    expect(JSON.parse(child.stdout)).to.deep.equal([]);
  });
});
