import { floodFillBackground } from './floodFillBackground.js';
import { pillowLuma } from './pillowLuma.js';
import type { RasterImage, Refusal } from './RasterImage.js';

/** The filled image and how many pixels were filled, or why it could not be filled exactly. */
export type FillOutcome = { readonly image: RasterImage; readonly filled: number } | Refusal;

/**
 * Zeroes the original HASTE operator's background in an exactly decoded image and changes
 * nothing else.
 *
 * The region is {@link floodFillBackground}'s: border-connected pixels whose mask value is
 * below the threshold. The mask value is the grey sample (grey, grey + alpha), Pillow's
 * `convert('L')` luma (RGB, RGBA, palette entries; see {@link pillowLuma}); the threshold is
 * `tolerance` for 8-bit samples and `tolerance × 257` for 16-bit ones, the same fraction of
 * full scale. Filled pixels get 0 in every grey or colour channel; alpha is never changed and
 * never affects the mask. A palette image stays a palette image: a filled pixel points at a
 * black entry of its own alpha, added if missing; with no room left (256 entries) it is
 * refused. RGB(A) whose every pixel has R = G = B becomes grey (+ alpha), as the original
 * operator's output was grey. `image.data` may be mutated and reused.
 *
 * ```ts
 * const outcome = fillBackground(image, 30);
 * if ('image' in outcome) console.log(`${outcome.filled} pixels filled`);
 * ```
 *
 * @param image Decoded samples (see decodeExactly).
 * @param tolerance On the 0–255 scale.
 * @returns The filled image, or a refusal.
 */
export function fillBackground(image: RasterImage, tolerance: number): FillOutcome {
  if (image.palette !== undefined) return fillPalette(image, image.palette, tolerance);
  const grey = image.channels >= 3 ? greyInDisguise(image) ?? image : image;
  const threshold = grey.depth === 16 ? tolerance * 257 : tolerance;
  const { width, height, channels, data } = grey;
  if (channels === 1) return { image: grey, filled: floodFillBackground(data, width, height, threshold) };

  const plane = channels === 2 ? everyNth(data, 2) : pillowLuma(data as Uint8Array, channels as 3 | 4);
  const mask = new Uint8Array(width * height);
  const filled = floodFillBackground(plane, width, height, threshold, mask);
  const colourChannels = channels === 2 ? 1 : 3;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 1) data.fill(0, i * channels, i * channels + colourChannels);
  }
  return { image: grey, filled };
}

/** RGB(A) whose three colour samples are equal in every pixel, as grey (+ alpha); else undefined. */
function greyInDisguise({ width, height, channels, depth, data }: RasterImage): RasterImage | undefined {
  for (let s = 0; s < data.length; s += channels) {
    if (data[s] !== data[s + 1] || data[s] !== data[s + 2]) return undefined;
  }
  const greyChannels = channels === 4 ? 2 : 1;
  const grey = depth === 16 ? new Uint16Array(width * height * greyChannels) : new Uint8Array(width * height * greyChannels);
  for (let i = 0, s = 0, g = 0; i < width * height; i++, s += channels, g += greyChannels) {
    grey[g] = data[s]!;
    if (greyChannels === 2) grey[g + 1] = data[s + 3]!;
  }
  return { width, height, channels: greyChannels, depth, data: grey };
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
  const mask = new Uint8Array(width * height);
  const filled = floodFillBackground(plane, width, height, tolerance, mask);

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
  return { image: { ...image, data: indices, palette }, filled };
}

/** The index of the entry (0, 0, 0, alpha), added at the end if missing; -1 if the palette is full. */
function blackEntry(palette: number[][], alpha: number, hasAlpha: boolean): number {
  const found = palette.findIndex(([r, g, b, a = 255]) => r === 0 && g === 0 && b === 0 && a === alpha);
  if (found >= 0) return found;
  if (palette.length >= 256) return -1;
  palette.push(hasAlpha ? [0, 0, 0, alpha] : [0, 0, 0]);
  return palette.length - 1;
}
