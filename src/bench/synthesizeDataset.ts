import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  drawDriftModel,
  frameShape,
  grainTable,
  mixSeed,
  mulberry32,
  paintFrame,
  specimenTexture,
  SPECIMEN_FLOOR,
  SURROUND_CEILING,
  surroundNoiseTable,
  type FrameAssets,
  type FrameShape,
} from './syntheticFrames.js';
import { functionOption, integerAtLeast, integerBetween, nonEmptyString, objectOption, oneOf } from '../validation.js';

/** Options for {@link synthesizeDataset}. */
export interface SynthesizeDatasetOptions {
  /** Folder to write `frame_00000.png`, … and `manifest.json` into; created on demand. */
  readonly out: string;
  /** Number of frames. The MiniTEM stream of the paper has 759. */
  readonly count: number;
  /** Seed of the generator (an unsigned 32-bit integer); the same seed gives byte-identical files. */
  readonly seed: number;
  /**
   * Width and height of every frame in pixels.
   * @default 1024
   */
  readonly size?: number;
  /**
   * Stage segments that override the slow drift, cycled along the stream: each takes `frames`
   * frames of its `kind` (see {@link FrameSegment}), so the reduction gain jumps at every
   * segment boundary instead of changing smoothly.
   * @default undefined (the drift model for every frame)
   */
  readonly segments?: readonly FrameSegment[];
  /**
   * Called after each frame is written, in frame order.
   * @default undefined
   */
  readonly onProgress?: (file: SynthesizedFile, done: number, total: number) => void;
}

/**
 * A run of frames of one kind: `drift` (the drifting specimen of the default stream), `empty`
 * (the stage between specimens: a speck in a dark field, nearly all of it zeroed), `full` (the
 * specimen filling the field up to the margin: little to zero) or `gainless` (noise over the
 * specimen's range to the edges: nothing is dark and nothing compresses, so reduction saves
 * nothing whatever the encoder).
 */
export interface FrameSegment {
  readonly kind: 'drift' | 'empty' | 'full' | 'gainless';
  /** Frames in the segment, >= 1. */
  readonly frames: number;
}

const SEGMENT_KINDS: readonly FrameSegment['kind'][] = ['drift', 'empty', 'full', 'gainless'];

/** One frame written by {@link synthesizeDataset}. */
export interface SynthesizedFile {
  /** Path of the PNG. */
  readonly path: string;
  /** Frame number, from 0; also the number in the file name. */
  readonly index: number;
  /** Size of the PNG in bytes. */
  readonly bytes: number;
  /**
   * Share of pixels in the dark surround (all border-connected and below 30), which the
   * reducer zeroes. Bytes saved by reduction grow roughly in proportion to it.
   */
  readonly darkFraction: number;
}

/**
 * Writes a deterministic stream of synthetic transmission-electron-microscope frames, a
 * stand-in for the MiniTEM dataset of Blamey et al. (759 8-bit grey images of about 1024×1024).
 *
 * Each frame is a bright textured specimen in a dark noisy surround whose size and shape drift
 * slowly with the frame number, so that neighbouring frames have similar reduction gains and
 * the gain varies several-fold along the stream.
 *
 * The model, per frame `i` (all periods in frames, all phases drawn from the seed):
 * - Specimen outline: a star-shaped blob `r(θ) = R(i)·(1 + a₂(i)·cos 2(θ − φ₂(i)) + a₃(i)·cos 3(θ − φ₃(i)))`
 *   around a centre `c(i)`. `R(i)/size = 0.42 + 0.20·sin(2πi/120 + ·) + 0.05·sin(2πi/47 + ·)`,
 *   the centre wanders by up to ±11 % of the side on sinusoids of periods 173/61 (x) and
 *   151/71 (y), the 2- and 3-fold lobes (amplitudes up to 0.14 and 0.08) swell with periods 89
 *   and 67 and rotate slowly. The blob is clipped `max(2, size/128)` pixels short of the edge.
 *   The dark share therefore drifts between about 10 % and 90 %, by a few percent per frame.
 * - Specimen pixels (80–255): a tileable texture pinned to the specimen (it pans with the
 *   stage) made of four octaves of value noise (blobs 1/4 of the texture wide down to
 *   single-pixel grain) crossed by thin darker cell walls, times a ±4 % beam flicker per frame,
 *   plus ±12 detector grain.
 * - Surround pixels (0–25): triangular noise, nearly incompressible, so the raw PNG is large
 *   and zeroing the surround saves bytes in proportion to its area.
 *
 * Because the blob is star-shaped and kept off the edge, every surround pixel is 4-connected to
 * the border through pixels below 30: the reducer's flood fill reaches all of it.
 *
 * ```ts
 * const files = await synthesizeDataset({ out: 'data/minitem-synth', count: 759, seed: 1 });
 * console.log(files[0]); // { path: 'data/minitem-synth/frame_00000.png', index: 0, bytes: …, darkFraction: … }
 * ```
 *
 * @param options Where, how many, which seed and how large.
 * @returns The written frames in order; `out/manifest.json` records the seed and model too.
 */
export function synthesizeDataset(options: SynthesizeDatasetOptions): Promise<SynthesizedFile[]> {
  // Validate before the first await so that bad options throw at the call site.
  return writeDataset(normaliseOptions(options));
}

/** The kind of frame `index` when `segments` are cycled along the stream. */
function kindAt(segments: readonly FrameSegment[] | undefined, index: number): FrameSegment['kind'] {
  if (segments === undefined) return 'drift';
  const period = segments.reduce((sum, segment) => sum + segment.frames, 0);
  let offset = index % period;
  for (const segment of segments) {
    if (offset < segment.frames) return segment.kind;
    offset -= segment.frames;
  }
  return 'drift';
}

/** The drift model's shape, or the segment's override of it (kept at the drift's centre, so the texture still pans). */
function shapeOf(kind: FrameSegment['kind'], drift: FrameShape, size: number): FrameShape {
  if (kind === 'drift') return drift;
  const still = { ...drift, c2: 0, s2: 0, c3: 0, s3: 0 };
  if (kind === 'empty') return { ...still, radius: size * 0.04 };
  // Far enough from any centre the drift allows to cover every corner.
  return { ...still, radius: size * 1.5 };
}

/**
 * Overwrites a frame with uniform noise over the specimen's range: nothing is dark, and no PNG
 * encoder can shrink it, so reducing it saves nothing whatever the encoder settings.
 */
function paintGainless(pixels: Uint8Array, random: () => number): void {
  const span = 256 - SPECIMEN_FLOOR;
  for (let p = 0; p < pixels.length; p++) pixels[p] = SPECIMEN_FLOOR + Math.floor(random() * span);
}

async function writeDataset({ out, count, seed, size, segments, onProgress }: NormalisedOptions): Promise<SynthesizedFile[]> {
  await mkdir(out, { recursive: true });
  // Loaded here, not with this module: the CLI imports every command's code, and libvips costs
  // an agent ~20 MB of RSS it need not pay when it never writes a frame.
  const { default: sharp } = await import('sharp');

  const datasetRandom = mulberry32(seed);
  const model = drawDriftModel(datasetRandom);
  const textureSide = 2 * size;
  const assets: FrameAssets = {
    size,
    margin: Math.max(2, Math.round(size / 128)),
    textureSide,
    texture: specimenTexture(textureSide, datasetRandom),
    surround: surroundNoiseTable(datasetRandom),
    grain: grainTable(datasetRandom),
  };

  const files: SynthesizedFile[] = [];
  // Paint frame i+1 while libvips encodes frame i on its own thread.
  let pending: Promise<void> = Promise.resolve();
  for (let index = 0; index < count; index++) {
    const pixels = new Uint8Array(size * size);
    const kind = kindAt(segments, index);
    const frameAssets = kind === 'gainless' ? { ...assets, margin: 0 } : assets;
    const surroundPixels = paintFrame(pixels, frameAssets, shapeOf(kind, frameShape(model, index, size), size), mulberry32(mixSeed(seed, index)));
    if (kind === 'gainless') paintGainless(pixels, mulberry32(mixSeed(seed, index) ^ 0x9e3779b9));
    await pending;
    const filePath = path.join(out, `frame_${String(index).padStart(5, '0')}.png`);
    pending = sharp(pixels, { raw: { width: size, height: size, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(filePath)
      .then((info) => {
        const file: SynthesizedFile = { path: filePath, index, bytes: info.size, darkFraction: surroundPixels / (size * size) };
        files.push(file);
        onProgress?.(file, files.length, count);
      });
  }
  await pending;

  const manifest = {
    generator: 'haste-agent synthesizeDataset',
    version: 1,
    seed,
    count,
    size,
    ...(segments === undefined ? {} : { segments }),
    model: {
      ...model,
      margin: assets.margin,
      textureSide,
      specimenRange: [SPECIMEN_FLOOR, 255],
      surroundRange: [0, SURROUND_CEILING],
      grainRange: [-12, 12],
    },
    files: files.map((file) => ({
      name: path.basename(file.path),
      index: file.index,
      bytes: file.bytes,
      darkFraction: file.darkFraction,
    })),
  };
  await writeFile(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return files;
}

interface NormalisedOptions {
  readonly out: string;
  readonly count: number;
  readonly seed: number;
  readonly size: number;
  readonly segments: readonly FrameSegment[] | undefined;
  readonly onProgress?: (file: SynthesizedFile, done: number, total: number) => void;
}

function normaliseOptions(options: SynthesizeDatasetOptions): NormalisedOptions {
  objectOption('options', options);
  const { out, count, seed, size = 1024, segments, onProgress } = options;
  nonEmptyString('out', out);
  integerAtLeast('count', count, 0);
  integerBetween('seed', seed, 0, 0xffffffff);
  integerBetween('size', size, 16, 8192);
  if (onProgress !== undefined) functionOption('onProgress', onProgress);
  if (segments !== undefined) {
    if (!Array.isArray(segments) || segments.length === 0) {
      throw new TypeError(`Expected \`segments\` to be a non-empty array of { kind, frames }, got ${String(segments)}`);
    }
    segments.forEach((segment, i) => {
      oneOf(`segments[${i}].kind`, segment?.kind, SEGMENT_KINDS);
      integerAtLeast(`segments[${i}].frames`, segment.frames, 1);
    });
  }
  return { out, count, seed, size, segments, onProgress };
}
