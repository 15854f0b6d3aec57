import { Command } from 'commander';
import type { CliIo } from './CliIo.js';
import { createCliLog } from './createCliLog.js';
import { registerAgentCommand } from './agentCommand.js';
import { registerBenchCommand } from './benchCommand.js';
import { registerConsumeCommand } from './consumeCommand.js';
import { registerDemoCommand } from './demoCommand.js';
import { registerGatewayCommand } from './gatewayCommand.js';
import { registerSimulateCommand } from './simulateCommand.js';
import { registerStatusCommand } from './statusCommand.js';
import { registerSynthCommand } from './synthCommand.js';

/**
 * Builds the `haste-agent` command line: the agent itself (`haste-agent <path>`) and its
 * subcommands, writing only through `io` so that tests can run it in-process.
 */
export function buildProgram(io: CliIo): Command {
  // Set while parsing when a JSON log is asked for, so that commander's own usage errors are JSON lines too.
  let jsonErrors = false;
  const program = new Command('haste-agent')
    .description('Stream new files from a folder to a HASTE Cloud Gateway, reducing images locally when that shortens the upload.')
    .version('0.1.0')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) =>
        write(jsonErrors ? `${createCliLog(io, { format: 'json', prefix: 'haste-agent' }).line({ type: 'error', message: text.trim(), exitCode: 2 })}\n` : text),
    })
    .showSuggestionAfterError()
    // The agent's options belong to the program itself; without this, `status --state-dir` would
    // be read as the agent's --state-dir instead of the subcommand's.
    .enablePositionalOptions()
    // Before the subcommands are added, so they inherit it: errors reach the caller, not process.exit.
    .exitOverride();
  registerAgentCommand(program, io);
  registerGatewayCommand(program, io);
  registerDemoCommand(program, io);
  registerStatusCommand(program, io);
  registerSynthCommand(program, io);
  registerBenchCommand(program, io);
  registerSimulateCommand(program, io);
  registerConsumeCommand(program, io);
  for (const command of [program, ...program.commands]) {
    command.on('option:log-format', (value: unknown) => {
      jsonErrors = value === 'json';
    });
    if (command.name() === 'status') {
      command.on('option:json', () => {
        jsonErrors = true;
      });
    }
  }
  return program;
}
