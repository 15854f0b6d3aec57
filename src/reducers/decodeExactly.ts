import { decode as decodePng } from 'fast-png';
import sharp, { type Sharp } from 'sharp';
import type { RasterImage, Refusal } from './RasterImage.js';
import { inflateGreyPng } from './inflateGreyPng.js';
import { readPngLayout, type PngLayout } from './readPngLayout.js';

/** The image as stored, or why it is not decoded for reduction. */
export type ExactDecode = { readonly image: RasterImage } | Refusal;

/**
 * Decodes a PNG or TIFF to its stored samples at their own bit depth and channel layout, or
 * says why it will not: whatever the reducer could not write back exactly is sent as it is.
 *
 * 8-bit grey PNGs (the common microscopy case) are decoded by zlib and our own row unfiltering
 * ({@link inflateGreyPng}; by libvips when interlaced), the fast path; other
 * PNGs by fast-png, which returns samples, palette indices and palette untouched; single-page
 * 8-bit grey, 16-bit grey and 8-bit RGB TIFFs by libvips. Colour profiles are never applied
 * (`ignoreIcc`), and files that carry one are refused, as are: animated PNGs; PNG `gAMA` or
 * `cHRM`; a transparent colour key (`tRNS` on grey or RGB, which a filled 0 could match);
 * grey below 8 bits; 16-bit colour (Pillow's `L`, the original mask, has no 16-bit form);
 * multi-page, CMYK, palette, alpha or other TIFFs; every other format (JPEG, WebP, …).
 * A PNG's `sBIT` significant bits, read with its chunk list, come with the image (8-bit grey
 * has no use for them); a TIFF has no such field.
 *
 * ```ts
 * declare const bytes: Buffer;
 * const decoded = await decodeExactly(bytes);
 * if ('refused' in decoded) console.log(decoded.refused);
 * ```
 *
 * @param bytes The whole file.
 * @returns The raster, or a refusal; rejects when the file is damaged or not an image.
 */
export async function decodeExactly(bytes: Buffer): Promise<ExactDecode> {
  const layout = readPngLayout(bytes);
  if (layout === undefined) return decodeTiff(bytes);
  const refused = pngRefusal(layout);
  if (refused !== undefined) return { refused };
  if (layout.colourType === 0 && layout.bitDepth === 8) return { image: await decodeGrey8(bytes, layout) };
  return { image: decodePngSamples(bytes, layout) };
}

function pngRefusal({ bitDepth, colourType, chunks }: PngLayout): string | undefined {
  if (chunks.has('acTL')) return 'An animated PNG is sent as it is: a copy would keep one frame';
  for (const chunk of ['iCCP', 'gAMA', 'cHRM']) {
    if (chunks.has(chunk)) {
      return `A PNG with colour-space information (${chunk}) is sent as it is: the copy would not carry it`;
    }
  }
  if ((colourType === 0 || colourType === 2) && chunks.has('tRNS')) {
    return 'A PNG with a transparent colour key (tRNS) is sent as it is: a filled 0 could match the key';
  }
  if (bitDepth === 16 && (colourType === 2 || colourType === 6)) {
    return '16-bit colour is sent as it is: the original operator has no exact mask for it';
  }
  if (bitDepth < 8 && colourType !== 3) {
    return `${bitDepth}-bit grey is sent as it is: it cannot be written back at its own depth`;
  }
  return undefined;
}

async function decodeGrey8(bytes: Buffer, layout: PngLayout): Promise<RasterImage> {
  const samples = inflateGreyPng(bytes, layout);
  if (samples !== undefined) return { width: layout.width, height: layout.height, channels: 1, depth: 8, data: samples };
  // Without toColourspace('b-w') libvips hands back three channels.
  const { data, info } = await sharp(bytes, { ignoreIcc: true })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  expectShape(info, layout.width, layout.height, 1);
  return { width: info.width, height: info.height, channels: 1, depth: 8, data: asBytes(data) };
}

function decodePngSamples(bytes: Buffer, layout: PngLayout): RasterImage {
  const png = decodePng(bytes);
  const channels = png.channels as RasterImage['channels'];
  if (layout.colourType !== 3) {
    if (png.depth !== 8 && png.depth !== 16) throw new Error(`Unexpected PNG bit depth ${png.depth}`);
    expectShape(png, layout.width, layout.height, channels);
    const data =
      png.data instanceof Uint8ClampedArray
        ? new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length)
        : png.data;
    const image = { width: png.width, height: png.height, channels, depth: png.depth, data } as const;
    return layout.significantBits === undefined ? image : { ...image, significantBits: layout.significantBits };
  }
  const palette = png.palette;
  if (palette === undefined || palette.length === 0) throw new Error('A palette PNG without a PLTE chunk');
  const indices = unpackIndices(png.data as Uint8Array, png.width, png.height, png.depth);
  return { width: png.width, height: png.height, channels: 1, depth: 8, data: indices, palette };
}

/** Palette indices packed 1, 2 or 4 to a byte (rows padded to a byte) become one byte each. */
function unpackIndices(packed: Uint8Array, width: number, height: number, depth: number): Uint8Array {
  if (depth === 8) return packed;
  const rowBytes = Math.ceil((width * depth) / 8);
  const perByte = 8 / depth;
  const mask = (1 << depth) - 1;
  const indices = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const byte = packed[y * rowBytes + Math.floor(x / perByte)]!;
      indices[y * width + x] = (byte >> (8 - depth * ((x % perByte) + 1))) & mask;
    }
  }
  return indices;
}

async function decodeTiff(bytes: Buffer): Promise<ExactDecode> {
  const metadata = await sharp(bytes).metadata();
  if (metadata.format !== 'tiff') {
    return { refused: `${metadata.format} is sent as it is: only PNG and TIFF are reduced exactly` };
  }
  const { pages = 1, space, depth, channels, bitsPerSample, hasProfile, isPalette } = metadata;
  if (pages > 1) return { refused: `A TIFF of ${pages} pages is sent as it is: a copy would keep one page` };
  if (hasProfile) return { refused: 'A TIFF with an ICC profile is sent as it is: the copy would not carry it' };
  if (space === 'cmyk') return { refused: 'A CMYK TIFF is sent as it is: it has no exact PNG form' };
  const kind = `${space}/${depth}/${channels}/${bitsPerSample}`;
  const decoder = isPalette ? undefined : TIFF_KINDS[kind];
  if (decoder === undefined) {
    return { refused: `A TIFF of ${channels} × ${bitsPerSample}-bit ${space} samples is sent as it is` };
  }
  const { data, info } = await decoder(sharp(bytes, { ignoreIcc: true })).toBuffer({ resolveWithObject: true });
  expectShape(info, metadata.width, metadata.height, channels as number);
  const image =
    depth === 'ushort'
      ? { depth: 16 as const, data: asUint16(data) }
      : { depth: 8 as const, data: asBytes(data) };
  return { image: { width: info.width, height: info.height, channels: channels as 1 | 3, ...image } };
}

const TIFF_KINDS: Readonly<Record<string, (image: Sharp) => Sharp>> = {
  'b-w/uchar/1/8': (image) => image.toColourspace('b-w').raw({ depth: 'uchar' }),
  'grey16/ushort/1/16': (image) => image.toColourspace('grey16').raw({ depth: 'ushort' }),
  'srgb/uchar/3/8': (image) => image.raw({ depth: 'uchar' }),
};

function expectShape(
  info: { width: number; height: number; channels: number },
  width: number | undefined,
  height: number | undefined,
  channels: number,
): void {
  if (info.width !== width || info.height !== height || info.channels !== channels) {
    throw new Error(
      `Decoded ${info.width}×${info.height}×${info.channels}, expected ${width}×${height}×${channels}`,
    );
  }
}

function asBytes(data: Buffer): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

function asUint16(data: Buffer): Uint16Array {
  // libvips writes native-endian samples; a view needs 2-byte alignment, a copy does not.
  if (data.byteOffset % 2 === 0) return new Uint16Array(data.buffer, data.byteOffset, data.length / 2);
  return new Uint16Array(new Uint8Array(data).buffer);
}
