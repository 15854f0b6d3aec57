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
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Reads a PNG's IHDR and the types of its chunks, or returns undefined for anything that is
 * not a PNG.
 *
 * The reducer decides from this, before decoding, whether it can write the image back exactly
 * (an embedded colour profile, a transparent colour key or animation frames would be lost or
 * change meaning). Walking the chunk lengths costs microseconds even for a large file. A
 * truncated chunk list ends the walk; the decoder then reports the damage.
 *
 * ```ts
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
  const chunks = new Set<string>();
  let offset = 8;
  while (offset + 8 <= bytes.length) {
    const type = chunkType(bytes, offset + 4);
    chunks.add(type);
    if (type === 'IEND') break;
    offset += 12 + view.getUint32(offset);
  }
  return {
    width: view.getUint32(16),
    height: view.getUint32(20),
    bitDepth: bytes[24]!,
    colourType: bytes[25]!,
    chunks,
  };
}

function chunkType(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(bytes[offset]!, bytes[offset + 1]!, bytes[offset + 2]!, bytes[offset + 3]!);
}
