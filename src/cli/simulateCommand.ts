import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { FileCost } from '../bench/FileCost.js';
import { simulateSweep, type SimulateSweepOptions } from '../bench/simulateSweep.js';
import type { PrioritizeStrategy } from '../operators/prioritize.js';
import type { CliIo } from './CliIo.js';

const numbers = (text: string | undefined): number[] | undefined =>
  text === undefined ? undefined : text.split(',').filter((part) => part.trim() !== '').map(Number);

/**
 * Adds `haste-agent simulate`: the scheduler in virtual time on a measured cost table (a
 * benchmark's `table.json`) or a scenario's, swept over uplink × cores × rate; prints one row
 * per configuration with each strategy's makespan and the lower bound.
 */
export function registerSimulateCommand(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description('simulate the strategies in virtual time on a measured cost table')
    .option('--table <file>', "a benchmark's table.json (or a JSON array of FileCost)")
    .option('--scenario <name>', 'measure a benchmark scenario instead: paper, cpu-scarce, varying, fast or mixed')
    .option('--small', "with --scenario: the scenario's small version")
    .option('--bandwidth <list>', 'uplink rates in bytes/s, comma-separated')
    .option('--trace <file>', "uplink rate trace: 'seconds rate' lines, rates in bytes/s or x of --bandwidth (default: the scenario's)")
    .option('--cores <list>', 'core counts, comma-separated', '1')
    .option('--rate <list>', "arrival rates in Hz, comma-separated (default: the table's arrivals)")
    .option('--strategies <list>', 'comma-separated strategies', 'none,fifo,splines,oracle,adaptive')
    .option('--upload-slots <n>', 'uploads in flight', '2')
    .option('--overhead <ms>', 'per-upload latency off the uplink', '0')
    .action(async (flags: Record<string, string | boolean | undefined>) => {
      const text = (name: string): string | undefined => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
      const strategies = text('strategies')!.split(',').map((s) => s.trim()).filter((s) => s !== '') as PrioritizeStrategy[];
      try {
        let source: Pick<SimulateSweepOptions, 'files' | 'defaultBandwidth' | 'scenario' | 'small'>;
        const table = text('table');
        if (table !== undefined) {
          const parsed = JSON.parse(await readFile(resolve(io.cwd, table), 'utf8')) as
            | FileCost[]
            | { files: FileCost[]; bandwidthBytesPerSec?: number };
          source = Array.isArray(parsed)
            ? { files: parsed }
            : { files: parsed.files, ...(parsed.bandwidthBytesPerSec === undefined ? {} : { defaultBandwidth: parsed.bandwidthBytesPerSec }) };
        } else {
          source = { scenario: text('scenario') as SimulateSweepOptions['scenario'], small: flags.small === true };
        }
        const rows = await simulateSweep({
          ...source,
          ...(text('bandwidth') === undefined ? {} : { bandwidths: numbers(text('bandwidth')) }),
          ...(text('trace') === undefined ? {} : { trace: resolve(io.cwd, text('trace')!) }),
          cores: numbers(text('cores')),
          ...(text('rate') === undefined ? {} : { rates: numbers(text('rate')) }),
          strategies,
          uploadSlots: Number(text('uploadSlots')),
          perFileOverheadMs: Number(text('overhead')),
          log: (line) => io.stderr.write(`${line}\n`),
        });
        const traced = rows.some((row) => row.trace !== undefined);
        const header = ['MB/s', ...(traced ? ['mean MB/s'] : []), 'cores', 'rate Hz', 'bound s', ...strategies.map((s) => `${s} s`), 'gap closed'];
        const lines = rows.map((row) => {
          const fifo = row.makespanMs.fifo;
          const best = Math.min(...strategies.filter((s) => s !== 'none' && s !== 'fifo').map((s) => row.makespanMs[s]!));
          const gap = fifo !== undefined && fifo > row.boundMs && Number.isFinite(best) ? `${(((fifo - best) / (fifo - row.boundMs)) * 100).toFixed(0)} %` : '–';
          return [
            (row.bandwidthBytesPerSec / 1e6).toFixed(3),
            ...(traced ? [(row.meanBandwidthBytesPerSec / 1e6).toFixed(3)] : []),
            String(row.cores),
            row.rateHz === undefined ? 'table' : String(row.rateHz),
            (row.boundMs / 1000).toFixed(3),
            ...strategies.map((s) => (row.makespanMs[s]! / 1000).toFixed(3)),
            gap,
          ];
        });
        const widths = header.map((h, i) => Math.max(h.length, ...lines.map((line) => line[i]!.length)));
        const format = (cells: string[]): string => cells.map((cell, i) => cell.padStart(widths[i]!)).join('  ');
        io.stdout.write(`${[format(header), ...lines.map(format)].join('\n')}\n`);
      } catch (error) {
        io.stderr.write(`haste-agent simulate: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = error instanceof TypeError || error instanceof SyntaxError ? 2 : 1;
      }
    });
}
