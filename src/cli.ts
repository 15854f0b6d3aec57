#!/usr/bin/env node
import { CommanderError } from 'commander';
import { buildProgram } from './cli/buildProgram.js';
import { processIo } from './cli/processIo.js';
import { formatNotice } from './observe/formatNotice.js';

const program = buildProgram(processIo());
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander has printed its own one-line message (or the help) already. Its usage errors
    // exit 1, which would read as "a file could not be delivered"; bad arguments exit 2.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    const message = `haste-agent: ${error instanceof Error ? error.message : String(error)}`;
    // In JSON mode every line is one JSON object, an unexpected failure's too.
    const json = process.argv.some((arg, i, all) => arg === '--json' || arg === '--log-format=json' || (arg === '--log-format' && all[i + 1] === 'json'));
    process.stderr.write(`${json ? formatNotice({ type: 'error', message, exitCode: 1 }, 'json', Date.now()) : message}\n`);
    process.exitCode = 1;
  }
}
