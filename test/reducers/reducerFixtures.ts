import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Where scripts/makeReducerFixtures.py writes its inputs and the outputs Pillow expects. */
export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/reducer/', import.meta.url));

/** One entry of test/fixtures/reducer/cases.json. */
export interface FixtureCase {
  readonly name: string;
  readonly file: string;
  readonly tolerance: number;
  readonly note: string;
  /** Pillow's decode of the input (a palette expanded to RGB or RGBA). */
  readonly source?: { readonly raw: string; readonly channels: number };
  readonly expect:
    | {
        readonly reduced: true;
        readonly width: number;
        readonly height: number;
        readonly channels: number;
        readonly depth: 8 | 16;
        readonly colourType: string;
        readonly raw: string;
        /** The scale the fixture script judged background on, and its threshold. */
        readonly significantBits: number;
        readonly significantBitsFrom: string;
        readonly threshold: number;
      }
    | { readonly reduced: false; readonly reason: string };
}

export function fixtureCases(): FixtureCase[] {
  return (JSON.parse(readFileSync(path.join(FIXTURE_DIR, 'cases.json'), 'utf8')) as { cases: FixtureCase[] }).cases;
}

/** A raw sample file written by the fixture script: bytes, or little-endian 16-bit values. */
export function readRaw(name: string, depth: 8 | 16): number[] {
  const bytes = readFileSync(path.join(FIXTURE_DIR, name));
  if (depth === 8) return [...bytes];
  const values: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) values.push(bytes.readUInt16LE(i));
  return values;
}

/** Palette indices as the colours they stand for, `[r, g, b]` or `[r, g, b, a]` per pixel. */
export function expandPalette(indices: ArrayLike<number>, palette: readonly (readonly number[])[]): number[] {
  return Array.from(indices).flatMap((index) => [...palette[index]!]);
}

/** Bit depth and colour type straight from a PNG's IHDR, with no decoder in between. */
export function pngHeader(bytes: Uint8Array): { bitDepth: number; colourType: number } {
  expect(Buffer.from(bytes.subarray(12, 16)).toString('latin1')).to.equal('IHDR');
  return { bitDepth: bytes[24]!, colourType: bytes[25]! };
}

/** A copy of a PNG with one more chunk right after IHDR (where sBIT belongs: before IDAT). */
export function withChunk(png: Uint8Array, type: string, data: ArrayLike<number>): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), Buffer.from(Array.from(data))]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), body.length + 4);
  return Buffer.concat([png.subarray(0, 33), chunk, png.subarray(33)]);
}

/** PNG's CRC-32 (zlib.crc32 needs Node 20.15). */
function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}
