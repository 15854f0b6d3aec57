import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { openAdmittedFile } from '../io/openAdmittedFile.js';
import type { FileItem } from '../model/FileItem.js';
import type { Reduction } from '../model/Reduction.js';
import type { BackgroundThreshold } from './backgroundThreshold.js';
import { decodeExactly } from './decodeExactly.js';
import { encodeReducedPng, type EncodedPng } from './encodeReducedPng.js';
import { fillBackground } from './fillBackground.js';
import { pngEffortSettings, type PngEffort } from './pngEffort.js';
import type { RasterImage } from './RasterImage.js';
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
   * Pixels strictly darker than this on the 0–255 scale, 4-connected to the border, become 0;
   * colour is judged by Pillow's `L` luma. 8-bit samples are compared with `tolerance` itself.
   * 16-bit samples are compared with threshold = tolerance × (2^b − 1) / 255, the same fraction
   * of the scale the image uses, where b (its significant bits) is the PNG `sBIT` value when
   * the file has one and every sample fits in it, and otherwise the smallest b from 8 to 16
   * such that the brightest sample of the mask plane is below 2^b. So a full-range frame gets
   * tolerance × 257 (7710 for 30), a 12-bit camera's 0–4095 in a 16-bit file gets
   * tolerance × 4095 / 255 (481.76… for 30), a frame below 256 gets tolerance. A wrong guess
   * errs on the safe side: a dim full-range frame gets a lower threshold and fills less, never
   * more. A sample is background when it is below the threshold as a real number, decided in
   * exact integer arithmetic (sample × 255 < tolerance × (2^b − 1)), so a sample equal to it
   * (7710 at b = 16) is kept. The Reduction's `settings` report `significantBits`, where they
   * came from (`significantBitsFrom`) and the `threshold`. 0 fills nothing.
   * @default 30
   */
  readonly tolerance?: number;
  /**
   * Folder the reduced copies are written to; created on demand. Originals are never touched.
   * @default path.join(os.tmpdir(), `haste-agent-spool-${process.pid}`)
   */
  readonly spoolDir?: string;
  /**
   * A named PNG setting: `fast`, `default` or `small` (see `pngEffortSettings`); 8-bit grey is
   * then written with that row filter and zlib level and strategy. Give either this or
   * `compressionLevel`/`adaptiveFiltering`, which make libvips write 8-bit grey instead.
   * @default 'fast' (unless `compressionLevel` or `adaptiveFiltering` is given): on the synthetic
   * frames both cheaper and smaller than libvips' level 6 (see the README's *The PNG encoder*)
   */
  readonly pngEffort?: PngEffort;
  /**
   * zlib level for the PNG output, 0–9, written by libvips for 8-bit grey. Higher costs more
   * CPU per byte saved.
   * @default 6
   */
  readonly compressionLevel?: number;
  /**
   * Let libpng choose a row filter adaptively; with `compressionLevel: 9` this makes reduction
   * CPU-expensive, which is what the scheduling benchmark wants. Applies to 8-bit grey output
   * (written by libvips); other outputs are written by fast-png without row filters.
   * @default false
   */
  readonly adaptiveFiltering?: boolean;
}

/**
 * Writes a copy of a microscopy image with its dark border-connected background zeroed, as a
 * PNG in the spool folder that keeps every other pixel exactly.
 *
 * The file is opened once, through {@link openAdmittedFile} (never following a symbolic link,
 * and only if it is still the file that was admitted), read whole, and decoded from memory.
 * The copy has the input's bit depth (8 or 16) and channels: grey stays grey, colour stays
 * colour, a palette stays a palette, alpha is kept unchanged; RGB whose every pixel has
 * R = G = B becomes 8-bit grey, as the original operator's output was. The background is the
 * original HASTE operator's (see {@link fillBackground}): 4-connected to the border and below
 * `tolerance`, put on the image's own scale for 16-bit samples (see the option), judged on
 * Pillow's `L` luma for colour; its grey or colour samples become 0 and its alpha stays.
 *
 * Whatever cannot be written back exactly is sent as it is (see {@link decodeExactly}: colour
 * profiles, 16-bit colour, CMYK, multi-page TIFFs, formats other than PNG and TIFF, …). The
 * promise never rejects for a bad file: a refused, changed, undecodable or unreadable file, or
 * one whose copy would not be smaller, resolves to a Reduction with `reduced: false` and a
 * `reason`, and no spool file is left behind. A reduced copy comes with its `mediaType`
 * (`image/png`) and the `settings` that made it.
 *
 * `cpuMs` is the wall time of read + decode + fill + encode measured with `performance.now()`.
 * Node 20 has no per-thread CPU clock, so this equals CPU time only when libvips runs on one
 * thread, as it does in the worker pool (`sharp.concurrency(1)`); called directly, libvips may
 * use more threads and `cpuMs` then understates the CPU spent.
 *
 * ```ts
 * declare const item: FileItem, upload: (path: string) => void;
 * const reduction = await reduceImage(item, { spoolDir: '/var/spool/haste' });
 * if (reduction.reduced && reduction.outputPath !== undefined) upload(reduction.outputPath);
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
  const started = performance.now();
  let bytes: Buffer;
  try {
    bytes = await readAdmitted(item);
  } catch (error) {
    return notReduced(item, item.size, 0, `Cannot read ${item.path}: ${describeReadError(error)}`);
  }
  const bytesIn = bytes.length;

  let image: RasterImage;
  let scale: BackgroundThreshold;
  let encoded: EncodedPng;
  try {
    const decoded = await decodeExactly(bytes);
    if ('refused' in decoded) return notReduced(item, bytesIn, performance.now() - started, decoded.refused);
    const filled = fillBackground(decoded.image, options.tolerance);
    if ('refused' in filled) return notReduced(item, bytesIn, performance.now() - started, filled.refused);
    ({ image, scale } = filled);
    encoded = await encodeReducedPng(image, options);
  } catch (error) {
    return notReduced(
      item,
      bytesIn,
      performance.now() - started,
      `Cannot decode ${item.path}: ${messageOf(error)}`,
    );
  }
  const cpuMs = performance.now() - started;

  if (encoded.bytes.length >= bytesIn) {
    return notReduced(
      item,
      bytesIn,
      cpuMs,
      `Reduced copy is not smaller (${encoded.bytes.length} >= ${bytesIn} bytes)`,
    );
  }

  const outputPath = path.join(options.spoolDir, spoolFileName(item));
  try {
    await writeSpoolFile(options.spoolDir, outputPath, encoded.bytes);
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
    bytesOut: encoded.bytes.length,
    cpuMs,
    outputSha256: createHash('sha256').update(encoded.bytes).digest('hex'),
    mediaType: 'image/png',
    settings: describeSettings(image, scale, encoded, options),
  };
}

/**
 * The whole file, read from one descriptor that was checked to be the admitted file. One byte
 * more than admitted is asked for, so that a file still growing is noticed, not cut short.
 */
async function readAdmitted(item: FileItem): Promise<Buffer> {
  const handle = await openAdmittedFile(item);
  try {
    const bytes = Buffer.allocUnsafe(item.size + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(bytes, length, bytes.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length === bytes.length) break;
    }
    if (length !== item.size) {
      throw new Error(`it changed while being read (${length} bytes, not the ${item.size} admitted)`);
    }
    return bytes.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/**
 * Writes the copy, creating the spool folder only when it is missing: a `mkdir` before every
 * write was one more round trip through the thread pool per file.
 */
async function writeSpoolFile(spoolDir: string, outputPath: string, bytes: Uint8Array): Promise<void> {
  try {
    await writeFile(outputPath, bytes);
  } catch (error) {
    if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw error;
    await mkdir(spoolDir, { recursive: true });
    await writeFile(outputPath, bytes);
  }
}

function describeReadError(error: unknown): string {
  if ((error as NodeJS.ErrnoException | undefined)?.code === 'ELOOP') {
    return 'it is a symbolic link now, and links are not followed';
  }
  return messageOf(error);
}

function describeSettings(
  image: RasterImage,
  scale: BackgroundThreshold,
  encoded: EncodedPng,
  options: NormalisedReduceImageOptions,
): Readonly<Record<string, string | number | boolean>> {
  return {
    reducer: 'reduceImage',
    tolerance: options.tolerance,
    significantBits: scale.significantBits,
    significantBitsFrom: scale.significantBitsFrom,
    threshold: scale.threshold,
    ...pngSettings(encoded, options),
    bitDepth: image.depth,
    colourType: colourTypeOf(image),
    encoder: encoded.encoder,
  };
}

function pngSettings(
  encoded: EncodedPng,
  { pngEffort, compressionLevel, adaptiveFiltering }: NormalisedReduceImageOptions,
): Readonly<Record<string, string | number>> {
  if (pngEffort === undefined) {
    return {
      compressionLevel: compressionLevel ?? 6,
      filter: encoded.encoder === 'sharp' && adaptiveFiltering === true ? 'adaptive' : 'none',
    };
  }
  const named = pngEffortSettings(pngEffort);
  if (encoded.encoder !== 'zlib') return { pngEffort, compressionLevel: named.compressionLevel, filter: 'none' };
  return { pngEffort, compressionLevel: named.compressionLevel, filter: named.filter, strategy: named.strategy };
}

function colourTypeOf({ channels, palette }: RasterImage): string {
  if (palette !== undefined) return 'palette';
  return (['grey', 'grey-alpha', 'rgb', 'rgba'] as const)[channels - 1];
}
