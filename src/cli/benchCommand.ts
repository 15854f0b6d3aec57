import { resolve } from 'node:path';
import type { Command } from 'commander';
import { runBenchmark, type BenchmarkStrategy, type RunBenchmarkOptions } from '../bench/runBenchmark.js';
import type { CliIo } from './CliIo.js';

const number = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));

/**
 * Adds `haste-agent bench`: runs the agent against a throttled embedded gateway once per
 * strategy and repetition and prints the summary table (makespan against the lower bound, fifo
 * and the simulator); everything else goes to the results folder.
 */
export function registerBenchCommand(program: Command, io: CliIo): void {
  program
    .command('bench')
    .description('benchmark the scheduling strategies end to end on a synthetic MiniTEM-like stream')
    .option('--scenario <name>', 'paper (upload-bound), cpu-scarce (too little CPU to reduce everything), varying (the uplink follows a rate trace), fast (reducing rarely pays) or mixed (the gain jumps between segments)', 'paper')
    .option('--small', 'the quick version of the scenario (under 2 minutes)')
    .option('--reps <n>', 'runs per strategy, interleaved', '3')
    .option('--strategies <list>', 'comma-separated: none,fifo,splines,oracle,adaptive,offline', 'none,fifo,splines,oracle,adaptive,offline')
    .option('--out <dir>', 'results folder (default bench-results/<timestamp>)')
    .option('--bandwidth <bytes/s>', "uplink rate (default: the scenario's, raw upload = 2 × acquisition)")
    .option('--cores <n>', 'reducer cores')
    .option('--rate <hz>', 'frames per second')
    .option('--count <n>', 'number of frames')
    .option('--size <px>', 'frame side in pixels')
    .option('--trace <file>', "uplink rate trace: 'seconds rate' lines, rates in bytes/s or x of the scenario's uplink; needs tc (default: the scenario's)")
    .option('--busy-core', 'keep another process busy on one core during the runs')
    .option('--shaper <kind>', 'tc (kernel htb on lo, needs root), bucket (gateway token bucket) or auto', 'auto')
    .option('--overhead <ms>', 'per-upload latency the simulator adds', '0')
    .option('--cache <dir>', 'where synthesized data sets are kept between runs')
    .option('--work-dir <dir>', "where each run's watched folder and spool go (default /dev/shm if writable)")
    .option('--no-isolate', 'run the gateway and the replay in the agent\'s own process instead of their own')
    .option('--warm-up <ms>', 'start the agent this long before the first frame', '1000')
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
      const options: RunBenchmarkOptions = {
        scenario: text('scenario') as RunBenchmarkOptions['scenario'],
        small: flags.small === true,
        reps: number(text('reps')),
        strategies: text('strategies')!.split(',').map((s) => s.trim()).filter((s) => s !== '') as BenchmarkStrategy[],
        out: text('out') === undefined ? resolve(io.cwd, 'bench-results', new Date().toISOString().replace(/[:.]/g, '-')) : resolve(io.cwd, text('out')!),
        bandwidth: number(text('bandwidth')),
        cores: number(text('cores')),
        rate: number(text('rate')),
        count: number(text('count')),
        size: number(text('size')),
        shaper: text('shaper') as RunBenchmarkOptions['shaper'],
        ...(text('trace') === undefined ? {} : { trace: resolve(io.cwd, text('trace')!) }),
        busyCore: flags.busyCore === true,
        perFileOverheadMs: number(text('overhead')),
        ...(text('cache') === undefined ? {} : { cacheDir: resolve(io.cwd, text('cache')!) }),
        ...(text('workDir') === undefined ? {} : { workDir: resolve(io.cwd, text('workDir')!) }),
        isolate: flags.isolate !== false,
        warmUpMs: number(text('warmUp')),
        log: (line) => io.stderr.write(`${line}\n`),
      };
      try {
        const result = await runBenchmark(options);
        io.stdout.write(`${result.markdown}\nResults in ${result.outDir}\n`);
      } catch (error) {
        io.stderr.write(`haste-agent bench: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = error instanceof TypeError || error instanceof SyntaxError ? 2 : 1;
      }
    });
}
