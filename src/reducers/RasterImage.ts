/**
 * Decoded pixels exactly as stored, at the image's own bit depth and channel layout.
 *
 * `data` is row-major and interleaved: `channels` samples per pixel, a `Uint16Array` when
 * `depth` is 16. A palette image has `channels: 1`, `depth: 8`, one index per pixel in `data`,
 * and `palette` entries `[r, g, b]`, or `[r, g, b, a]` for every entry when it has a `tRNS`.
 */
export interface RasterImage {
  readonly width: number;
  readonly height: number;
  /** 1 grey (or palette index), 2 grey + alpha, 3 RGB, 4 RGBA. */
  readonly channels: 1 | 2 | 3 | 4;
  /** Bits per sample. */
  readonly depth: 8 | 16;
  readonly data: Uint8Array | Uint16Array;
  readonly palette?: readonly (readonly number[])[];
  /**
   * How many bits of each grey or colour sample are significant, when the file says so (a PNG
   * `sBIT` chunk); the fill uses it to put its tolerance on the samples' own scale.
   */
  readonly significantBits?: number;
}

/** What a decoder or the fill makes of an image it cannot handle exactly: the reason, for `reduced: false`. */
export interface Refusal {
  readonly refused: string;
}
