import { integerAtLeast } from '../validation.js';
/**
 * Sets to 0 every pixel darker than `tolerance` that is 4-connected to the image border, or,
 * given a `mask`, marks those pixels in it and leaves the pixels alone.
 *
 * Microscopy frames put the specimen on a dark, noisy background; zeroing the background that
 * touches the border makes it compress to almost nothing while leaving the specimen (and dark
 * holes enclosed by it) exactly as they were. The fill is an explicit-stack flood fill, so it
 * runs in O(pixels) time and never recurses, whatever the image size.
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

  // A pixel is marked when pushed, so each one enters the stack at most once: the stack can
  // never outgrow `total`, and background pixels already at 0 are not revisited.
  const seen = mask === undefined ? new Uint8Array(total) : mask.fill(0);
  const zero = mask === undefined;
  const stack = new Int32Array(total);
  let top = 0;
  const push = (index: number): void => {
    if (seen[index] === 0 && pixels[index] < tolerance) {
      seen[index] = 1;
      stack[top++] = index;
    }
  };

  for (let x = 0; x < width; x++) {
    push(x);
    push((height - 1) * width + x);
  }
  for (let y = 1; y < height - 1; y++) {
    push(y * width);
    push(y * width + width - 1);
  }

  let filled = 0;
  while (top > 0) {
    const index = stack[--top];
    if (zero) pixels[index] = 0;
    filled++;
    const x = index % width;
    if (x > 0) push(index - 1);
    if (x < width - 1) push(index + 1);
    if (index >= width) push(index - width);
    if (index < total - width) push(index + width);
  }
  return filled;
}
