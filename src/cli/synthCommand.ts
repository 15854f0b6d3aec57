import { resolve } from 'node:path';
import type { Command } from 'commander';
import { synthesizeDataset } from '../bench/synthesizeDataset.js';
import type { CliIo } from './CliIo.js';

/**
 * Adds `haste-agent synth`: writes a deterministic MiniTEM-like PNG stream, to replay into a
 * watched folder or to benchmark a reducer on.
 */
export function registerSynthCommand(program: Command, io: CliIo): void {
  program
    .command('synth')
    .description('write a deterministic stream of synthetic microscopy frames (PNG)')
    .requiredOption('--out <dir>', 'folder for frame_00000.png, … and manifest.json')
    .option('--count <n>', 'number of frames (the MiniTEM stream has 759)', '759')
    .option('--seed <n>', 'generator seed; the same seed gives byte-identical files', '1')
    .option('--size <px>', 'frame side in pixels', '1024')
    .action(async (flags: { out: string; count: string; seed: string; size: string }) => {
      const out = resolve(io.cwd, flags.out);
      try {
        const files = await synthesizeDataset({ out, count: Number(flags.count), seed: Number(flags.seed), size: Number(flags.size) });
        const bytes = files.reduce((sum, file) => sum + file.bytes, 0);
        io.stdout.write(`wrote ${files.length} frames (${(bytes / 1e6).toFixed(1)} MB) to ${out}\n`);
      } catch (error) {
        io.stderr.write(`haste-agent synth: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exitCode = error instanceof TypeError ? 2 : 1;
      }
    });
}
