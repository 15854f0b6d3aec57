import { createHash } from 'node:crypto';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import { floodFillBackground } from './floodFillBackground.js';
import {
  messageOf,
  normaliseReduceImageOptions,
  notReduced,
  spoolFileName,
  type NormalisedReduceImageOptions,
} from './reduceImageInternals.js';

/** Options for {@link reduceImage}, also accepted by the worker pool and `reduceLocally`. */
export interface ReduceImageOptions {
  /**
   * Pixels strictly darker than this (0–255 scale), 4-connected to the border, become 0.
   * @default 30
   */
  readonly tolerance?: number;
  /**
   * Folder the reduced copies are written to; created on demand. Originals are never touched.
   * @default path.join(os.tmpdir(), `haste-agent-spool-${process.pid}`)
   */
  readonly spoolDir?: string;
  /**
   * zlib level for the PNG output, 0–9. Higher costs more CPU per byte saved.
   * @default 6
   */
  readonly compressionLevel?: number;
  /**
   * Let libpng choose a row filter adaptively; with `compressionLevel: 9` this makes reduction
   * CPU-expensive, which is what the scheduling benchmark wants.
   * @default false
   */
  readonly adaptiveFiltering?: boolean;
}

/**
 * Writes a copy of a microscopy image with its dark border-connected background zeroed, as an
 * 8-bit greyscale PNG in the spool folder.
 *
 * Decodes with sharp (colour becomes greyscale, 16-bit becomes 8-bit, alpha is dropped), runs
 * {@link floodFillBackground} and encodes a 1-channel PNG. The promise never rejects for a bad
 * file: an undecodable file, or one whose reduced copy would not be smaller, resolves to a
 * Reduction with `reduced: false` and a `reason`, and no spool file is left behind.
 *
 * `cpuMs` is the wall time of decode + fill + encode measured with `performance.now()`. Node 20
 * has no per-thread CPU clock, so this equals CPU time only when libvips runs on one thread, as
 * it does in the worker pool (`sharp.concurrency(1)`); called directly, libvips may use more
 * threads and `cpuMs` then understates the CPU spent.
 *
 * ```ts
 * const reduction = await reduceImage(item, { spoolDir: '/var/spool/haste' });
 * if (reduction.reduced) upload(reduction.outputPath);
 * ```
 *
 * @param item The file to reduce.
 * @param options Tolerance, spool folder and PNG settings; validated before anything is read.
 * @returns A promise of the Reduction; rejects only for invalid options.
 */
export function reduceImage(item: FileItem, options?: ReduceImageOptions): Promise<Reduction> {
  try {
    return reduceNormalised(item, normaliseReduceImageOptions(options));
  } catch (error) {
    return Promise.reject(error);
  }
}

async function reduceNormalised(
  item: FileItem,
  options: NormalisedReduceImageOptions,
): Promise<Reduction> {
  let bytesIn: number;
  try {
    bytesIn = (await stat(item.path)).size;
  } catch (error) {
    return notReduced(item, item.size, 0, `Cannot read ${item.path}: ${messageOf(error)}`);
  }

  const started = performance.now();
  let encoded: Buffer;
  try {
    const { data, info } = await sharp(item.path)
      .greyscale()
      .removeAlpha()
      .toColourspace('b-w')
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
    floodFillBackground(pixels, info.width, info.height, options.tolerance);
    // Without toColourspace('b-w') a 1-channel raw buffer is written as RGB.
    encoded = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
      .toColourspace('b-w')
      .png({
        compressionLevel: options.compressionLevel,
        adaptiveFiltering: options.adaptiveFiltering,
      })
      .toBuffer();
  } catch (error) {
    return notReduced(
      item,
      bytesIn,
      performance.now() - started,
      `Cannot decode ${item.path}: ${messageOf(error)}`,
    );
  }
  const cpuMs = performance.now() - started;

  if (encoded.length >= bytesIn) {
    return notReduced(
      item,
      bytesIn,
      cpuMs,
      `Reduced copy is not smaller (${encoded.length} >= ${bytesIn} bytes)`,
    );
  }

  const outputPath = path.join(options.spoolDir, spoolFileName(item));
  try {
    await mkdir(options.spoolDir, { recursive: true });
    await writeFile(outputPath, encoded);
  } catch (error) {
    // A half-written copy must not be mistaken for a finished one by a later run.
    await rm(outputPath, { force: true }).catch(() => undefined);
    return notReduced(item, bytesIn, cpuMs, `Cannot write ${outputPath}: ${messageOf(error)}`);
  }
  return {
    item,
    reduced: true,
    outputPath,
    bytesIn,
    bytesOut: encoded.length,
    cpuMs,
    outputSha256: createHash('sha256').update(encoded).digest('hex'),
  };
}
