import os from 'node:os';
import path from 'node:path';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import type { ReduceImageOptions } from './reduceImage.js';
import { booleanOption, integerBetween } from '../validation.js';
import { PNG_EFFORTS, isPngEffort, type PngEffort } from './pngEffort.js';

/**
 * ReduceImageOptions with every default filled in, safe to post to a worker and to normalise
 * again: a named PNG setting, or libvips' level and filtering, never both.
 */
export type NormalisedReduceImageOptions = { readonly tolerance: number; readonly spoolDir: string } & PngChoice;

/** A named setting, or the libvips settings given instead of one. */
export type PngChoice =
  | { readonly pngEffort: PngEffort; readonly compressionLevel?: undefined; readonly adaptiveFiltering?: undefined }
  | { readonly pngEffort?: undefined; readonly compressionLevel: number; readonly adaptiveFiltering: boolean };

/**
 * One spool folder per process: two agents on one machine must not overwrite each other's
 * `0-image.png`, and worker threads share their parent's pid so they agree on it.
 */
export function defaultSpoolDir(): string {
  return path.join(os.tmpdir(), `haste-agent-spool-${process.pid}`);
}

export function normaliseReduceImageOptions(
  options: ReduceImageOptions = {},
): NormalisedReduceImageOptions {
  const {
    tolerance = 30,
    spoolDir = defaultSpoolDir(),
    compressionLevel = 6,
    adaptiveFiltering = false,
  } = options;
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0 || tolerance > 256) {
    throw new TypeError(`Expected \`tolerance\` to be a number from 0 to 256, got ${tolerance}`);
  }
  if (typeof spoolDir !== 'string' || spoolDir === '') {
    throw new TypeError(`Expected \`spoolDir\` to be a non-empty string, got ${String(spoolDir)}`);
  }
  const common = { tolerance, spoolDir: path.resolve(spoolDir) };
  const libvipsSettings = options.compressionLevel !== undefined || options.adaptiveFiltering !== undefined;
  if (options.pngEffort !== undefined && libvipsSettings) {
    throw new TypeError('Expected either `pngEffort` or `compressionLevel`/`adaptiveFiltering`, not both');
  }
  if (libvipsSettings) {
    integerBetween('compressionLevel', compressionLevel, 0, 9);
    booleanOption('adaptiveFiltering', adaptiveFiltering);
    return { ...common, compressionLevel, adaptiveFiltering };
  }
  const pngEffort: unknown = options.pngEffort ?? 'fast';
  if (!isPngEffort(pngEffort)) {
    throw new TypeError(`Expected \`pngEffort\` to be one of ${PNG_EFFORTS.join(', ')}, got ${String(pngEffort)}`);
  }
  return { ...common, pngEffort };
}

/**
 * `${index}-${basename}.png`: the index keeps two `image.png` from different sub-folders apart,
 * and anything outside a safe character set is replaced so no name can escape the spool folder.
 */
export function spoolFileName(item: FileItem): string {
  const stem = path.basename(item.path, path.extname(item.path)).replace(/[^A-Za-z0-9._-]/g, '_');
  return `${item.index}-${stem.replace(/^\.+/, '_') || '_'}.png`;
}

/** The Reduction of a file that will be uploaded as it is. */
export function notReduced(item: FileItem, bytesIn: number, cpuMs: number, reason: string): Reduction {
  return { item, reduced: false, bytesIn, bytesOut: bytesIn, cpuMs, reason };
}

export { messageOf } from '../validation.js';
