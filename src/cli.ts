#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './cli/buildProgram.js';
import { processIo } from './cli/processIo.js';

const program = buildProgram(processIo());
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed its own one-line message (or the help) already. Its usage errors
    // exit 1, which would read as "a file could not be delivered"; bad arguments exit 2.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.stderr.write(`haste-agent: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
