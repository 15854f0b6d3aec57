/**
 * Runs the benchmark (and the simulator) from source, before or without the built CLI:
 *
 *   npx tsx bench/runBenchmark.ts bench --scenario cpu-scarce --small --reps 3
 *   npx tsx bench/runBenchmark.ts simulate --scenario paper --small --bandwidth 1e6,2e6 --cores 1,2
 *
 * Same flags as `haste-agent bench|simulate|synth`.
 */
import { Command } from 'commander';
import { registerBenchCommand } from '../src/cli/benchCommand.js';
import type { CliIo } from '../src/cli/CliIo.js';
import { registerSimulateCommand } from '../src/cli/simulateCommand.js';
import { registerSynthCommand } from '../src/cli/synthCommand.js';

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  onSignal: (handler) => {
    const listener = (signal: NodeJS.Signals): void => handler(signal as 'SIGINT' | 'SIGTERM');
    process.on('SIGINT', listener);
    process.on('SIGTERM', listener);
    return () => {
      process.off('SIGINT', listener);
      process.off('SIGTERM', listener);
    };
  },
};
const program = new Command('bench');
registerBenchCommand(program, io);
registerSimulateCommand(program, io);
registerSynthCommand(program, io);
await program.parseAsync(process.argv);
