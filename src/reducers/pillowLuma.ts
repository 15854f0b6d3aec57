/**
 * The grey plane Pillow's `convert('L')` makes of 8-bit RGB or RGBA samples, bit for bit.
 *
 * The original HASTE operator found the background on this plane. Pillow computes ITU-R 601-2
 * luma in gamma space in fixed point, `L = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16`, and
 * ignores alpha; the truncating `R·299/1000 + …` form and libvips' linear Rec.709 luma both
 * differ from it (pure blue is 29 here, 76 in libvips), so a pixel near the tolerance would
 * fall on the other side of it.
 *
 * ```ts
 * declare const rgba: Uint8Array; // 4 samples per pixel
 * const luma = pillowLuma(rgba, 4); // one byte per pixel
 * ```
 *
 * @param samples Interleaved 8-bit samples, `channels` per pixel; only the first three are read.
 * @param channels 3 (RGB) or 4 (RGBA).
 * @returns One luma byte per pixel.
 */
export function pillowLuma(samples: Uint8Array, channels: 3 | 4): Uint8Array {
  const luma = new Uint8Array(samples.length / channels);
  for (let i = 0, s = 0; i < luma.length; i++, s += channels) {
    luma[i] = (samples[s]! * 19595 + samples[s + 1]! * 38470 + samples[s + 2]! * 7471 + 0x8000) >>> 16;
  }
  return luma;
}
