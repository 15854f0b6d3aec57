/** The scale a fill judges background on, and the threshold it gives. */
export interface BackgroundThreshold {
  /** b: how many bits the samples use; full scale is 2^b − 1. */
  readonly significantBits: number;
  /**
   * Where b came from: `depth` for 8-bit samples (always 8), `sBIT` for a PNG's own word, or
   * `brightest sample` when it had to be guessed from the pixels.
   */
  readonly significantBitsFrom: 'depth' | 'sBIT' | 'brightest sample';
  /**
   * tolerance × (2^b − 1) / 255, a sample below it being background; reported as the nearest
   * double (481.7647058823529 for 30 at b = 12), while the fill compares exactly, by `cutoff`.
   */
  readonly threshold: number;
  /**
   * What to hand to {@link floodFillBackground}: a sample is background when it is below this.
   * For 16-bit samples, the least integer not below `threshold`, found in exact integer
   * arithmetic, so that `sample < cutoff` is exactly `sample < threshold`; for 8-bit ones,
   * `tolerance` itself.
   */
  readonly cutoff: number;
}

/**
 * Puts `tolerance`, given on the 0–255 scale, on the scale the image's samples actually use.
 *
 * A 12-bit camera writes 0–4095 into 16-bit files; judged on the full 16-bit scale (× 257),
 * tolerance 30 would be 7710 and its whole frame background. So for 16-bit samples the scale
 * is b significant bits: the PNG `sBIT` value when the file has one and every sample fits in
 * it (a sample of 2^b or more means the file scaled its samples to 16 bits, as the PNG
 * specification asks, and then sBIT says nothing about the scale); otherwise the smallest b
 * from 8 to 16 such that the brightest sample of `plane` is below 2^b. The threshold is
 * tolerance × (2^b − 1) / 255: b = 16 gives tolerance × 257, b = 12 gives 481.76… for 30,
 * b = 8 gives tolerance. A wrong guess errs on the safe side: a dim full-range frame gets a
 * lower threshold, so fills less, never more. 8-bit samples are not scanned: b = 8 and the
 * threshold is `tolerance`.
 *
 * ```ts
 * const scale = backgroundThreshold(Uint16Array.of(40, 3000), 16, 30);
 * // { significantBits: 12, significantBitsFrom: 'brightest sample', threshold: 481.76…, cutoff: 482 }
 * ```
 *
 * @param plane The mask plane: the values the fill compares (grey samples or luma).
 * @param depth Bits per sample of `plane`.
 * @param tolerance On the 0–255 scale, finite.
 * @param significantBits The PNG `sBIT` value for the grey or colour channels, if any.
 * @returns The scale, the threshold, and the cutoff to compare samples with.
 */
export function backgroundThreshold(
  plane: Uint8Array | Uint16Array,
  depth: 8 | 16,
  tolerance: number,
  significantBits?: number,
): BackgroundThreshold {
  if (typeof tolerance !== 'number' || !Number.isFinite(tolerance)) {
    throw new TypeError(`Expected \`tolerance\` to be a finite number, got ${tolerance}`);
  }
  if (depth === 8) {
    return { significantBits: 8, significantBitsFrom: 'depth', threshold: tolerance, cutoff: tolerance };
  }
  const fitsIn = bitLength(brightest(plane));
  const fromFile =
    significantBits !== undefined &&
    Number.isInteger(significantBits) &&
    significantBits >= Math.max(1, fitsIn) &&
    significantBits <= 16;
  const bits = fromFile ? significantBits : Math.max(8, fitsIn);
  return {
    significantBits: bits,
    significantBitsFrom: fromFile ? 'sBIT' : 'brightest sample',
    threshold: (tolerance * (2 ** bits - 1)) / 255,
    cutoff: exactCeiling(tolerance, bits),
  };
}

function brightest(plane: Uint8Array | Uint16Array): number {
  let max = 0;
  for (let i = 0; i < plane.length; i++) if (plane[i]! > max) max = plane[i]!;
  return max;
}

/** The number of bits `value` needs: the smallest b with value < 2^b. */
function bitLength(value: number): number {
  return 32 - Math.clz32(value);
}

/**
 * ⌈tolerance × (2^bits − 1) / 255⌉ without rounding: tolerance is exactly mantissa / 2^shift
 * (doubling a double is exact), and the rest is BigInt arithmetic.
 */
function exactCeiling(tolerance: number, bits: number): number {
  let mantissa = tolerance;
  let shift = 0n;
  while (!Number.isInteger(mantissa)) {
    mantissa *= 2;
    shift++;
  }
  const numerator = BigInt(mantissa) * (2n ** BigInt(bits) - 1n);
  const denominator = 255n << shift;
  const quotient = numerator / denominator; // truncates toward 0
  return Number(numerator > quotient * denominator ? quotient + 1n : quotient);
}
