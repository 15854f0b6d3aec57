import { integerAtLeast } from '../validation.js';
/**
 * Sets to 0 every pixel darker than `tolerance` that is 4-connected to the image border, or,
 * given a `mask`, marks those pixels in it and leaves the pixels alone.
 *
 * Microscopy frames put the specimen on a dark, noisy background; zeroing the background that
 * touches the border makes it compress to almost nothing while leaving the specimen (and dark
 * holes enclosed by it) exactly as they were. The fill is an explicit-stack scanline fill over
 * buffers reused between calls, so it runs in O(pixels) time and never recurses, whatever the
 * image size.
 *
 * This is the original HASTE operator's region: pad the image with one pixel of 0 and flood
 * 4-connected from the corner through values below `tolerance`. With `tolerance > 0` the
 * padding joins every border pixel below it; with `tolerance <= 0` nothing is filled.
 * `tolerance` is in the pixels' own scale: for 16-bit samples the image reducer passes the
 * cutoff that `backgroundThreshold` puts on the image's significant bits. The mask form is
 * for images whose fill is decided on one plane (a luma, an alpha-free grey channel, palette
 * lumas) and applied to another.
 *
 * ```ts
 * const width = 640, height = 480;
 * const pixels = new Uint8Array(width * height); // 8-bit greyscale, row-major
 * const filled = floodFillBackground(pixels, width, height, 30);
 * const mask = new Uint8Array(width * height); // or: mark, and leave `pixels` as they are
 * floodFillBackground(new Uint16Array(width * height), width, height, 30 * 257, mask);
 * ```
 *
 * @param pixels One value per pixel, row-major (8- or 16-bit); zeroed in place unless `mask` is given.
 * @param width Image width in pixels.
 * @param height Image height in pixels.
 * @param tolerance A pixel belongs to the background when its value is strictly below this.
 * @param mask When given, `width * height` bytes, overwritten: 1 for each background pixel, else 0.
 * @returns How many pixels were filled (pixels already 0 in the background count too).
 */
export function floodFillBackground(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  tolerance: number,
  mask?: Uint8Array,
): number {
  integerAtLeast('width', width, 0);
  integerAtLeast('height', height, 0);
  if (typeof tolerance !== 'number' || Number.isNaN(tolerance)) {
    throw new TypeError(`Expected \`tolerance\` to be a number, got ${tolerance}`);
  }
  if (pixels.length !== width * height) {
    throw new TypeError(
      `Expected \`pixels\` to hold width * height = ${width * height} values, got ${pixels.length}`,
    );
  }
  if (mask !== undefined && mask.length !== width * height) {
    throw new TypeError(
      `Expected \`mask\` to hold width * height = ${width * height} bytes, got ${mask.length}`,
    );
  }
  const total = width * height;
  if (total === 0) return 0;
  const seen = mask === undefined ? scratch.seen(total) : mask;
  seen.fill(0, 0, total);
  return spanFill(pixels, width, height, tolerance, seen, scratch.stack(total), mask === undefined);
}

/**
 * Buffers reused from one call to the next (the fill is synchronous, and each worker thread has
 * its own module instance): allocating and zeroing 5 bytes a pixel per frame cost more than the
 * fill itself on 1024² frames.
 */
const scratch = (() => {
  let seen = new Uint8Array(0);
  let stack = new Int32Array(0);
  return {
    seen(total: number): Uint8Array {
      if (seen.length < total) seen = new Uint8Array(total);
      return seen;
    },
    stack(total: number): Int32Array {
      if (stack.length < total) stack = new Int32Array(total);
      return stack;
    },
  };
})();

/**
 * A scanline fill: each popped seed is widened to its whole run of background in the row, and
 * only the first pixel of each run of background above and below it is pushed. A pixel is
 * marked when pushed or widened over, so it enters the stack at most once and the stack never
 * outgrows `total`.
 */
function spanFill(
  pixels: Uint8Array | Uint16Array,
  width: number,
  height: number,
  tolerance: number,
  seen: Uint8Array,
  stack: Int32Array,
  zero: boolean,
): number {
  const total = width * height;
  let top = 0;
  let filled = 0;
  top = seedRow(pixels, tolerance, seen, stack, top, 0, width);
  if (height > 1) top = seedRow(pixels, tolerance, seen, stack, top, total - width, total);
  for (let y = 1; y < height - 1; y++) {
    top = seedRow(pixels, tolerance, seen, stack, top, y * width, y * width + 1);
    if (width > 1) top = seedRow(pixels, tolerance, seen, stack, top, y * width + width - 1, y * width + width);
  }

  while (top > 0) {
    const seed = stack[--top]!;
    const rowStart = seed - (seed % width);
    const rowEnd = rowStart + width;
    let left = seed;
    while (left > rowStart && seen[left - 1] === 0 && pixels[left - 1]! < tolerance) seen[--left] = 1;
    let right = seed + 1;
    while (right < rowEnd && seen[right] === 0 && pixels[right]! < tolerance) seen[right++] = 1;
    if (zero) pixels.fill(0, left, right);
    filled += right - left;
    if (rowStart > 0) top = seedRow(pixels, tolerance, seen, stack, top, left - width, right - width);
    if (rowEnd < total) top = seedRow(pixels, tolerance, seen, stack, top, left + width, right + width);
  }
  return filled;
}

/** Pushes the first pixel of each run of unseen background in [from, to); returns the new top. */
function seedRow(
  pixels: Uint8Array | Uint16Array,
  tolerance: number,
  seen: Uint8Array,
  stack: Int32Array,
  top: number,
  from: number,
  to: number,
): number {
  let index = from;
  while (index < to) {
    if (seen[index] === 0 && pixels[index]! < tolerance) {
      seen[index] = 1;
      stack[top++] = index;
      index++;
      while (index < to && seen[index] === 0 && pixels[index]! < tolerance) index++;
    } else {
      index++;
    }
  }
  return top;
}
