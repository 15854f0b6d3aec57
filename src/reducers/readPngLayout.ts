/** What a PNG file's header and chunk list say, read without decoding a pixel. */
export interface PngLayout {
  readonly width: number;
  readonly height: number;
  /** Bits per sample (per palette index for colour type 3): 1, 2, 4, 8 or 16. */
  readonly bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  readonly colourType: number;
  /** Every chunk type present, e.g. `IHDR`, `iCCP`, `tRNS`, `acTL`. */
  readonly chunks: ReadonlySet<string>;
  /**
   * The `sBIT` chunk's significant bits for the grey channel (colour types 0 and 4) or the
   * most of the red, green and blue ones (2, 3 and 6); undefined when the file has no `sBIT`
   * or a malformed one (wrong length, a value of 0 or above the sample depth).
   */
  readonly significantBits?: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads a PNG's IHDR, the types of its chunks and its `sBIT` significant bits, or returns
 * undefined for anything that is not a PNG.
 *
 * The reducer decides from this, before decoding, whether it can write the image back exactly
 * (an embedded colour profile, a transparent colour key or animation frames would be lost or
 * change meaning), and the fill learns from `sBIT` what scale the samples use. Walking the
 * chunk lengths costs microseconds even for a large file. A truncated chunk list ends the
 * walk; the decoder then reports the damage.
 *
 * ```ts
 * declare const bytes: Uint8Array;
 * const layout = readPngLayout(bytes);
 * if (layout?.chunks.has('iCCP')) console.log('has a colour profile');
 * ```
 *
 * @param bytes The whole file.
 * @returns The layout, or undefined when `bytes` does not start with a PNG signature and IHDR.
 */
export function readPngLayout(bytes: Uint8Array): PngLayout | undefined {
  if (bytes.length < 33 || SIGNATURE.some((value, i) => bytes[i] !== value)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (chunkType(bytes, 12) !== 'IHDR') return undefined;
  const bitDepth = bytes[24]!;
  const colourType = bytes[25]!;
  const chunks = new Set<string>();
  let significantBits: number | undefined;
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const type = chunkType(bytes, offset + 4);
    const length = view.getUint32(offset);
    chunks.add(type);
    if (type === 'IEND') break;
    if (type === 'sBIT' && offset + 8 + length <= bytes.length) {
      significantBits = readSignificantBits(bytes.subarray(offset + 8, offset + 8 + length), bitDepth, colourType);
    }
    offset += 12 + length;
  }
  const layout = { width: view.getUint32(16), height: view.getUint32(20), bitDepth, colourType, chunks };
  return significantBits === undefined ? layout : { ...layout, significantBits };
}

/** sBIT holds one byte per channel (palette: per colour), each from 1 to the sample depth. */
function readSignificantBits(data: Uint8Array, bitDepth: number, colourType: number): number | undefined {
  const channels = SBIT_CHANNELS[colourType];
  if (channels === undefined || data.length !== channels) return undefined;
  const sampleDepth = colourType === 3 ? 8 : bitDepth;
  if (data.some((bits) => bits === 0 || bits > sampleDepth)) return undefined;
  // Alpha, the last byte of grey + alpha and RGBA, never decides the mask.
  const colour = colourType === 4 || colourType === 6 ? data.subarray(0, channels - 1) : data;
  return Math.max(...colour);
}

const SBIT_CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 3, 4: 2, 6: 4 };

function chunkType(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}
