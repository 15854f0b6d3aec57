import { encode } from 'fast-png';
import sharp from 'sharp';
import { pngEffortSettings, type PngEffort } from './pngEffort.js';
import type { RasterImage } from './RasterImage.js';
import { writeGreyPng } from './writeGreyPng.js';

/**
 * PNG settings for {@link encodeReducedPng}: a named setting (see `pngEffortSettings`), which
 * decides the level and filtering and has 8-bit grey written by {@link writeGreyPng}; or a zlib
 * level (0–9) and adaptive row filters (honoured by the libvips encoder only).
 */
export type EncodeReducedPngOptions =
  | { readonly pngEffort: PngEffort; readonly compressionLevel?: undefined; readonly adaptiveFiltering?: undefined }
  | { readonly pngEffort?: undefined; readonly compressionLevel: number; readonly adaptiveFiltering: boolean };

/** The PNG bytes and which encoder wrote them. */
export interface EncodedPng {
  readonly bytes: Buffer;
  readonly encoder: 'sharp' | 'fast-png' | 'zlib';
}

/**
 * Encodes a raster as a PNG of the same bit depth and channels (a palette as a palette).
 *
 * 8-bit grey, the common case, is written by {@link writeGreyPng} when a named `pngEffort` is
 * given (its own row filter and zlib strategy), else by libvips with `compressionLevel` and
 * `adaptiveFiltering` (the settings the scheduling benchmarks were measured with). Everything else goes through fast-png, because libvips cannot write a
 * 16-bit PNG from raw samples (it wrote 8-bit RGB, or each value's two bytes duplicated) and
 * would expand a palette; fast-png writes samples as given, with no row filter. A palette's
 * translucent entries are moved first (fast-png's tRNS is only right that way); every pixel
 * keeps its colour and alpha.
 *
 * ```ts
 * import type { RasterImage } from './RasterImage.js';
 * declare const image: RasterImage;
 * const { bytes } = await encodeReducedPng(image, { compressionLevel: 6, adaptiveFiltering: false });
 * ```
 *
 * @param image The filled raster.
 * @param options A named setting, or zlib level and filtering.
 * @returns The PNG and the encoder's name.
 */
export async function encodeReducedPng(image: RasterImage, options: EncodeReducedPngOptions): Promise<EncodedPng> {
  const { width, height, channels, depth, data, palette } = image;
  const named = options.pngEffort === undefined ? undefined : pngEffortSettings(options.pngEffort);
  if (named !== undefined && palette === undefined && channels === 1 && depth === 8) {
    return { bytes: writeGreyPng(data as Uint8Array, width, height, named), encoder: 'zlib' };
  }
  if (palette === undefined && channels === 1 && depth === 8) {
    // Without toColourspace('b-w') a 1-channel raw buffer is written as RGB.
    const bytes = await sharp(data as Uint8Array, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .png({ compressionLevel: options.compressionLevel ?? 6, adaptiveFiltering: options.adaptiveFiltering === true })
      .toBuffer();
    return { bytes, encoder: 'sharp' };
  }
  const level = (named?.compressionLevel ?? options.compressionLevel ?? 6) as 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  const ordered = palette === undefined ? { data, palette } : positionalTransparency(palette, data as Uint8Array);
  const png = encode({ width, height, channels, depth, ...ordered }, { zlib: { level } });
  return { bytes: Buffer.from(png.buffer, png.byteOffset, png.length), encoder: 'fast-png' };
}

/**
 * fast-png writes `tRNS` as the alphas of the non-opaque entries in order, which is right only
 * when they come first; so move them first (stable), renumbering a copy of the indices.
 */
function positionalTransparency(
  palette: readonly (readonly number[])[],
  indices: Uint8Array,
): { data: Uint8Array; palette: number[][] } {
  if (palette[0]!.length !== 4) return { data: indices, palette: palette.map((entry) => [...entry]) };
  if (palette.every((entry) => entry[3] === 255)) {
    return { data: indices, palette: palette.map(([r, g, b]) => [r!, g!, b!]) };
  }
  const positions = [...palette.keys()];
  const order = [
    ...positions.filter((i) => palette[i]![3] !== 255),
    ...positions.filter((i) => palette[i]![3] === 255),
  ];
  const renumber = new Uint8Array(256);
  order.forEach((from, to) => {
    renumber[from] = to;
  });
  return { data: indices.map((index) => renumber[index]!), palette: order.map((from) => [...palette[from]!]) };
}
