import { backgroundThreshold, type BackgroundThreshold } from './backgroundThreshold.js';
import { floodFillBackground } from './floodFillBackground.js';
import { pillowLuma } from './pillowLuma.js';
import type { RasterImage, Refusal } from './RasterImage.js';

/**
 * The filled image, how many pixels were filled and the scale and threshold they were judged
 * on, or why it could not be filled exactly.
 */
export type FillOutcome =
  | { readonly image: RasterImage; readonly filled: number; readonly scale: BackgroundThreshold }
  | Refusal;

/**
 * Zeroes the original HASTE operator's background in an exactly decoded image and changes
 * nothing else.
 *
 * The region is {@link floodFillBackground}'s: border-connected pixels whose mask value is
 * below the threshold. The mask value is the grey sample (grey, grey + alpha), Pillow's
 * `convert('L')` luma (RGB, RGBA, palette entries; see {@link pillowLuma}). The threshold is
 * `tolerance` for 8-bit samples. For 16-bit ones it is tolerance × (2^b − 1) / 255, the same
 * fraction of the scale the image uses, b significant bits: the PNG `sBIT` value when the file
 * has one and every mask value fits in it, else the smallest b from 8 to 16 such that the
 * brightest mask value is below 2^b (a 12-bit camera's 0–4095 in a 16-bit file: b = 12 and
 * 481.76… for tolerance 30; full range: b = 16, tolerance × 257). A wrong guess errs on the
 * safe side: a dim full-range frame gets a lower threshold and fills less, never more. A value
 * is background when it is below the threshold as a real number, decided in exact integer
 * arithmetic (see {@link backgroundThreshold}). The outcome's `scale` says which b and threshold
 * were used. Filled pixels get 0 in every grey or colour channel; alpha is never changed and
 * never affects the mask. A palette image stays a palette image: a filled pixel points at a
 * black entry of its own alpha, added if missing; with no room left (256 entries) it is
 * refused. RGB(A) whose every pixel has R = G = B becomes grey (+ alpha), as the original
 * operator's output was grey. `image.data` may be mutated and reused.
 *
 * ```ts
 * import type { RasterImage } from './RasterImage.js';
 * declare const image: RasterImage;
 * const outcome = fillBackground(image, 30);
 * if ('image' in outcome) console.log(`${outcome.filled} pixels filled below ${outcome.scale.threshold}`);
 * ```
 *
 * @param image Decoded samples (see decodeExactly), with the file's `significantBits` if any.
 * @param tolerance On the 0–255 scale; put on the image's own scale as above.
 * @returns The filled image, or a refusal.
 */
export function fillBackground(image: RasterImage, tolerance: number): FillOutcome {
  if (image.palette !== undefined) return fillPalette(image, image.palette, tolerance);
  const grey = image.channels >= 3 ? greyInDisguise(image) ?? image : image;
  const { width, height, channels, depth, data, significantBits } = grey;
  if (channels === 1) {
    const scale = backgroundThreshold(data, depth, tolerance, significantBits);
    return { image: grey, filled: floodFillBackground(data, width, height, scale.cutoff), scale };
  }

  const plane = channels === 2 ? everyNth(data, 2) : pillowLuma(data as Uint8Array, channels as 3 | 4);
  const scale = backgroundThreshold(plane, depth, tolerance, significantBits);
  const mask = new Uint8Array(width * height);
  const filled = floodFillBackground(plane, width, height, scale.cutoff, mask);
  const colourChannels = channels === 2 ? 1 : 3;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 1) data.fill(0, i * channels, i * channels + colourChannels);
  }
  return { image: grey, filled, scale };
}

/** RGB(A) whose three colour samples are equal in every pixel, as grey (+ alpha); else undefined. */
function greyInDisguise(image: RasterImage): RasterImage | undefined {
  const { width, height, channels, depth, data } = image;
  for (let s = 0; s < data.length; s += channels) {
    if (data[s] !== data[s + 1] || data[s] !== data[s + 2]) return undefined;
  }
  const greyChannels = channels === 4 ? 2 : 1;
  const grey = depth === 16 ? new Uint16Array(width * height * greyChannels) : new Uint8Array(width * height * greyChannels);
  for (let i = 0, s = 0, g = 0; i < width * height; i++, s += channels, g += greyChannels) {
    grey[g] = data[s]!;
    if (greyChannels === 2) grey[g + 1] = data[s + 3]!;
  }
  return { ...image, channels: greyChannels, data: grey };
}

function everyNth(data: Uint8Array | Uint16Array, n: number): Uint8Array | Uint16Array {
  const plane = data instanceof Uint16Array ? new Uint16Array(data.length / n) : new Uint8Array(data.length / n);
  for (let i = 0; i < plane.length; i++) plane[i] = data[i * n]!;
  return plane;
}

function fillPalette(image: RasterImage, original: readonly (readonly number[])[], tolerance: number): FillOutcome {
  const { width, height } = image;
  const indices = image.data as Uint8Array;
  const palette = original.map((entry) => [...entry]);
  const entryLuma = pillowLuma(Uint8Array.from(palette.flatMap(([r, g, b]) => [r!, g!, b!])), 3);
  const plane = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (index >= palette.length) return { refused: `A palette index (${index}) points past the palette; sent as it is` };
    plane[i] = entryLuma[index]!;
  }
  const scale = backgroundThreshold(plane, 8, tolerance);
  const mask = new Uint8Array(width * height);
  const filled = floodFillBackground(plane, width, height, scale.cutoff, mask);

  const hasAlpha = palette[0]!.length === 4;
  const blackFor = new Int16Array(256).fill(-1);
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    const index = indices[i]!;
    if (blackFor[index]! < 0) {
      const black = blackEntry(palette, hasAlpha ? palette[index]![3]! : 255, hasAlpha);
      if (black < 0) return { refused: 'A full palette (256 entries) has no black to fill with; sent as it is' };
      blackFor[index] = black;
    }
    indices[i] = blackFor[index]!;
  }
  return { image: { ...image, data: indices, palette }, filled, scale };
}

/** The index of the entry (0, 0, 0, alpha), added at the end if missing; -1 if the palette is full. */
function blackEntry(palette: number[][], alpha: number, hasAlpha: boolean): number {
  const found = palette.findIndex(([r, g, b, a = 255]) => r === 0 && g === 0 && b === 0 && a === alpha);
  if (found >= 0) return found;
  if (palette.length >= 256) return -1;
  palette.push(hasAlpha ? [0, 0, 0, alpha] : [0, 0, 0]);
  return palette.length - 1;
}
