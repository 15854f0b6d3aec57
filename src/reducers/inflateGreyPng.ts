import { inflateSync } from 'node:zlib';
import type { PngLayout } from './readPngLayout.js';

/**
 * Decodes a non-interlaced 8-bit grey PNG to its samples with zlib and the five PNG row filters,
 * synchronously; undefined for any other PNG (the caller decodes those otherwise).
 *
 * The reducer's common case, decoded without libvips: on the synthetic 1024² frames handing
 * the joined `IDAT` data to zlib and undoing the row filters here took less CPU than a libvips
 * pipeline that ends in a raw buffer (see the README's profile). Damage in the image data is
 * caught by zlib's Adler-32 check of the inflated bytes (chunk CRCs are not checked: the
 * samples are what the file's own checksum says they are).
 *
 * ```ts
 * import { readPngLayout } from './readPngLayout.js';
 * declare const bytes: Buffer;
 * const layout = readPngLayout(bytes);
 * const samples = layout === undefined ? undefined : inflateGreyPng(bytes, layout);
 * ```
 *
 * @param bytes The whole file.
 * @param layout Its header, from `readPngLayout`.
 * @returns `width * height` samples, row-major; or undefined when not 8-bit grey, interlaced
 *   or larger than libvips' default pixel limit. Throws when the image data is damaged.
 */
export function inflateGreyPng(bytes: Uint8Array, layout: PngLayout): Uint8Array | undefined {
  const { width, height, bitDepth, colourType } = layout;
  const interlaced = bytes[28] !== 0;
  if (bitDepth !== 8 || colourType !== 0 || interlaced || width * height > PIXEL_LIMIT || width * height === 0) {
    return undefined;
  }
  const stride = width + 1;
  // One output buffer of the expected size: with zlib's default 16 KiB chunks a 1024² frame was
  // inflated into 65 buffers and then copied into one, ~1/4 of the decode's CPU. One byte more,
  // so that data inflating to too much still shows as a wrong length; and no more than deflate's
  // largest ratio (~1032:1) lets the data hold, so that a header claiming a huge image over a few
  // bytes of data does not set aside memory for it (zlib adds pieces if ever needed).
  const data = joinedImageData(bytes);
  const chunkSize = Math.max(MIN_CHUNK, Math.min(stride * height + 1, data.length * MAX_DEFLATE_RATIO + MIN_CHUNK));
  const rows = inflateSync(data, { chunkSize });
  if (rows.length !== stride * height) {
    throw new Error(`PNG image data inflates to ${rows.length} bytes, expected ${stride * height} for ${width}×${height}`);
  }
  // Unfiltered in place: row y goes to y * width, behind its filtered bytes at y * (width + 1) + 1,
  // so nothing is overwritten before it is read, and the row above is already in its place.
  // A plain Uint8Array view keeps the fill's and encoder's loops monomorphic (a Buffer is another class).
  const all = new Uint8Array(rows.buffer, rows.byteOffset, rows.length);
  for (let y = 0; y < height; y++) {
    const type = all[y * stride]!;
    if (type > 4) throw new Error(`PNG row ${y} has filter type ${type}; only 0–4 exist`);
    unfilterRow(all, y * stride + 1, all, y * width, width, y > 0, type);
  }
  return all.subarray(0, width * height);
}

/** zlib's smallest allowed `chunkSize`. */
const MIN_CHUNK = 64;

/** Deflate's output can be at most about 1032 times smaller than its input (258-byte matches). */
const MAX_DEFLATE_RATIO = 1032;

/** sharp's default `limitInputPixels`: larger images go to libvips, which refuses them clearly. */
const PIXEL_LIMIT = 0x3fff * 0x3fff;

/**
 * The IDAT chunks' data in one piece: the chunk itself when there is one, else joined in a buffer
 * reused between calls (zlib has read it before `inflateGreyPng` returns), as a 1024² frame's
 * ~700 KiB were otherwise allocated and copied per frame.
 */
function joinedImageData(bytes: Uint8Array): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const length = view.getUint32(offset);
    const type = String.fromCharCode(bytes[offset + 4]!, bytes[offset + 5]!, bytes[offset + 6]!, bytes[offset + 7]!);
    if (type === 'IEND') break;
    if (type === 'IDAT') {
      if (offset + 8 + length > bytes.length) throw new Error('PNG IDAT chunk runs past the end of the file');
      parts.push(bytes.subarray(offset + 8, offset + 8 + length));
    }
    offset += 12 + length;
  }
  if (parts.length === 0) throw new Error('PNG without image data (no IDAT chunk)');
  if (parts.length === 1) return parts[0]!;
  let length = 0;
  for (const part of parts) length += part.length;
  // A worker keeps the buffer, so an unusually large image gets one of its own.
  if (length > REUSED_LIMIT) return Buffer.concat(parts, length);
  if (joined.length < length) joined = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined.subarray(0, length);
}

let joined = new Uint8Array(0);
const REUSED_LIMIT = 16 * 1024 * 1024;

/** Undoes filter `type` (1 byte per pixel) of the row at `from` into `out` at `at`; the row above is already in `out`. */
function unfilterRow(
  rows: Uint8Array,
  from: number,
  out: Uint8Array,
  at: number,
  width: number,
  hasAbove: boolean,
  type: number,
): void {
  const up = at - width;
  if (type === 0 || (type === 2 && !hasAbove)) {
    out.copyWithin(at, from, from + width);
  } else if (type === 1 || (type === 4 && !hasAbove)) {
    // Paeth with no row above predicts from the left, as Sub does.
    let left = 0;
    for (let x = 0; x < width; x++) left = out[at + x] = (rows[from + x]! + left) & 255;
  } else if (type === 2) {
    for (let x = 0; x < width; x++) out[at + x] = (rows[from + x]! + out[up + x]!) & 255;
  } else if (type === 3) {
    let left = 0;
    for (let x = 0; x < width; x++) {
      left = out[at + x] = (rows[from + x]! + ((left + (hasAbove ? out[up + x]! : 0)) >> 1)) & 255;
    }
  } else {
    let left = 0;
    let upLeft = 0;
    for (let x = 0; x < width; x++) {
      const above = out[up + x]!;
      const p = left + above - upLeft;
      const pa = Math.abs(p - left);
      const pb = Math.abs(p - above);
      const pc = Math.abs(p - upLeft);
      const predicted = pa <= pb && pa <= pc ? left : pb <= pc ? above : upLeft;
      left = out[at + x] = (rows[from + x]! + predicted) & 255;
      upLeft = above;
    }
  }
}
