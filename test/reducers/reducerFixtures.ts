import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import sharp from 'sharp';
import type { FileItem } from '../../src/model/FileItem.js';

/** Deterministic pseudo-random bytes, so a failing test fails the same way every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/**
 * A square microscopy-like frame: a dark noisy surround (0–25) and a bright textured disc
 * (100–255) in the middle, as raw 8-bit greyscale pixels.
 */
export function microscopyPixels(size: number, seed = 1): Uint8Array {
  const random = seededRandom(seed);
  const pixels = new Uint8Array(size * size);
  const centre = size / 2;
  const radius = size / 3;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = (x - centre) ** 2 + (y - centre) ** 2 < radius ** 2;
      pixels[y * size + x] = inside ? 100 + Math.floor(random() * 156) : Math.floor(random() * 26);
    }
  }
  return pixels;
}

/** Writes 8-bit greyscale raw pixels as a PNG file. */
export async function writeGreyPng(
  filePath: string,
  pixels: Uint8Array,
  width: number,
  height: number,
  compressionLevel = 6,
): Promise<void> {
  await sharp(Buffer.from(pixels), { raw: { width, height, channels: 1 } })
    .toColourspace('b-w')
    .png({ compressionLevel })
    .toFile(filePath);
}

export async function fileItem(filePath: string, index = 0): Promise<FileItem> {
  const { size, mtimeMs } = await stat(filePath);
  return { path: filePath, size, mtimeMs, index };
}

export async function sha256(filePath: string): Promise<string> {
  return createHash('sha256').update(await readFile(filePath)).digest('hex');
}
