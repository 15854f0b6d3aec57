/**
 * Sets to 0 every pixel darker than `tolerance` that is 4-connected to the image border.
 *
 * Microscopy frames put the specimen on a dark, noisy background; zeroing the background that
 * touches the border makes it compress to almost nothing while leaving the specimen (and dark
 * holes enclosed by it) exactly as they were. The fill is an explicit-stack flood fill, so it
 * runs in O(pixels) time and never recurses, whatever the image size.
 *
 * ```ts
 * const pixels = new Uint8Array(width * height); // 8-bit greyscale, row-major
 * const filled = floodFillBackground(pixels, width, height, 30);
 * ```
 *
 * @param pixels 8-bit greyscale pixels, row-major, one byte per pixel; mutated in place.
 * @param width Image width in pixels.
 * @param height Image height in pixels.
 * @param tolerance A pixel belongs to the background when its value is strictly below this.
 * @returns How many pixels were set to 0 (pixels already 0 in the background count too).
 */
export function floodFillBackground(
  pixels: Uint8Array,
  width: number,
  height: number,
  tolerance: number,
): number {
  if (!Number.isInteger(width) || width < 0) {
    throw new TypeError(`Expected \`width\` to be an integer >= 0, got ${width}`);
  }
  if (!Number.isInteger(height) || height < 0) {
    throw new TypeError(`Expected \`height\` to be an integer >= 0, got ${height}`);
  }
  if (typeof tolerance !== 'number' || Number.isNaN(tolerance)) {
    throw new TypeError(`Expected \`tolerance\` to be a number, got ${tolerance}`);
  }
  if (pixels.length !== width * height) {
    throw new TypeError(
      `Expected \`pixels\` to hold width * height = ${width * height} bytes, got ${pixels.length}`,
    );
  }
  const total = width * height;
  if (total === 0) return 0;

  // A pixel is marked when pushed, so each one enters the stack at most once: the stack can
  // never outgrow `total`, and background pixels already at 0 are not revisited.
  const seen = new Uint8Array(total);
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
    pixels[index] = 0;
    filled++;
    const x = index % width;
    if (x > 0) push(index - 1);
    if (x < width - 1) push(index + 1);
    if (index >= width) push(index - width);
    if (index < total - width) push(index + width);
  }
  return filled;
}
