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
import { processIo } from '../src/cli/processIo.js';
import { registerSimulateCommand } from '../src/cli/simulateCommand.js';
import { registerSynthCommand } from '../src/cli/synthCommand.js';

const io = processIo();
const program = new Command('bench');
registerBenchCommand(program, io);
registerSimulateCommand(program, io);
registerSynthCommand(program, io);
await program.parseAsync(process.argv);
