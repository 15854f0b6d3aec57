import { expect } from 'chai';
import { encode as fastPngEncode } from 'fast-png';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { inflateGreyPng } from '../../src/reducers/inflateGreyPng.js';
import { readPngLayout } from '../../src/reducers/readPngLayout.js';
import { writeGreyPng } from '../../src/reducers/writeGreyPng.js';

/** A gradient, noise and a bright block: every PNG filter type wins on some row. */
function sample(width: number, height: number): Uint8Array {
  let state = width * 7919 + height;
  return Uint8Array.from({ length: width * height }, (_, i) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const x = i % width;
    const y = Math.floor(i / width);
    if (y % 5 === 0) return (x * 3 + y) & 255;
    return x > width / 2 ? 120 + (state >>> 26) : state >>> 28;
  });
}

function decode(png: Buffer): Uint8Array | undefined {
  return inflateGreyPng(png, readPngLayout(png)!);
}

describe('inflateGreyPng', () => {
  for (const [width, height] of [[1, 1], [5, 3], [64, 40], [301, 17]] as const) {
    it(`should read back ${width}×${height} grey written by libvips with adaptive filters, exactly`, async () => {
      const data = sample(width, height);
      const png = await sharp(data, { raw: { width, height, channels: 1 } })
        .toColourspace('b-w')
        .png({ adaptiveFiltering: true, compressionLevel: 9 })
        .toBuffer();
      expect(Array.from(decode(png)!)).to.deep.equal(Array.from(data));
    });
  }

  for (const filter of ['none', 'up', 'average', 'adaptive'] as const) {
    it(`should read back grey written with the ${filter} filter, exactly`, () => {
      const data = sample(97, 33);
      const png = writeGreyPng(data, 97, 33, { filter, compressionLevel: 6, strategy: 'default' });
      expect(Array.from(decode(png)!)).to.deep.equal(Array.from(data));
    });
  }

  it('should read back grey written by fast-png', () => {
    const data = sample(256, 256);
    const png = Buffer.from(fastPngEncode({ width: 256, height: 256, channels: 1, depth: 8, data }));
    expect(Array.from(decode(png)!)).to.deep.equal(Array.from(data));
  });

  it('should join the image data of several IDAT chunks, as libpng splits it', async () => {
    const data = sample(128, 128);
    const png = writeGreyPng(data, 128, 128, { filter: 'none', compressionLevel: 0, strategy: 'default' });
    const at = png.indexOf('IDAT', 0, 'latin1') - 4;
    const body = png.subarray(at + 8, at + 8 + png.readUInt32BE(at));
    const cuts = [0, 100, 5000, body.length];
    const chunks = cuts.slice(1).map((end, i) => idatChunk(body.subarray(cuts[i], end)));
    const split = Buffer.concat([png.subarray(0, at), ...chunks, png.subarray(at + 12 + body.length)]);

    expect(Array.from(decode(split)!)).to.deep.equal(Array.from(data));
    const { data: viaLibvips } = await sharp(split).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    expect(Array.from(viaLibvips)).to.deep.equal(Array.from(data));
  });

  it('should read back several-IDAT images exactly when a smaller one follows a larger one', () => {
    // The joined image data lives in a buffer reused between calls: a stale tail must not leak.
    for (const [width, height, cuts] of [[200, 150, 7], [40, 30, 3], [120, 90, 5]] as const) {
      const data = sample(width, height);
      const png = splitImageData(writeGreyPng(data, width, height, { filter: 'up', compressionLevel: 1, strategy: 'default' }), cuts);
      expect(Array.from(decode(png)!), `${width}×${height}`).to.deep.equal(Array.from(data));
    }
  });

  it('should leave interlaced, 16-bit and colour PNGs to another decoder', async () => {
    const data = sample(16, 16);
    const interlaced = await sharp(data, { raw: { width: 16, height: 16, channels: 1 } })
      .toColourspace('b-w')
      .png({ progressive: true })
      .toBuffer();
    expect(decode(interlaced)).to.equal(undefined);
    const deep = Buffer.from(fastPngEncode({ width: 4, height: 4, channels: 1, depth: 16, data: new Uint16Array(16) }));
    expect(decode(deep)).to.equal(undefined);
    const rgb = await sharp(Buffer.alloc(48, 9), { raw: { width: 4, height: 4, channels: 3 } }).png().toBuffer();
    expect(decode(rgb)).to.equal(undefined);
  });

  it('should throw, not return wrong samples, when the image data is damaged', () => {
    const png = writeGreyPng(sample(64, 64), 64, 64, { filter: 'up', compressionLevel: 6, strategy: 'default' });
    const at = png.indexOf('IDAT', 0, 'latin1') + 40;
    const damaged = Buffer.from(png);
    damaged[at] = damaged[at]! ^ 0x10;
    expect(() => decode(damaged)).to.throw();
  });

  it('should say so when the image data is short for the size in the header', () => {
    const png = writeGreyPng(sample(8, 8), 8, 8, { filter: 'none', compressionLevel: 6, strategy: 'default' });
    const taller = Buffer.from(png);
    taller.writeUInt32BE(9, 20); // height 9 in IHDR
    expect(() => decode(taller)).to.throw('PNG image data inflates to 72 bytes, expected 81 for 8×9');
  });

  it('should say so when the image data is long for the size in the header', () => {
    const png = writeGreyPng(sample(8, 8), 8, 8, { filter: 'none', compressionLevel: 6, strategy: 'default' });
    const shorter = Buffer.from(png);
    shorter.writeUInt32BE(7, 20); // height 7 in IHDR
    expect(() => decode(shorter)).to.throw('PNG image data inflates to 72 bytes, expected 63 for 8×7');
  });
});

/** The PNG with its one IDAT chunk's data cut into `pieces` IDAT chunks. */
function splitImageData(png: Buffer, pieces: number): Buffer {
  const at = png.indexOf('IDAT', 0, 'latin1') - 4;
  const body = png.subarray(at + 8, at + 8 + png.readUInt32BE(at));
  const size = Math.ceil(body.length / pieces);
  const chunks = Array.from({ length: pieces }, (_, i) => idatChunk(body.subarray(i * size, (i + 1) * size)));
  return Buffer.concat([png.subarray(0, at), ...chunks, png.subarray(at + 12 + body.length)]);
}

function idatChunk(body: Uint8Array): Buffer {
  const chunk = Buffer.alloc(body.length + 12);
  chunk.writeUInt32BE(body.length, 0);
  chunk.write('IDAT', 4, 'latin1');
  chunk.set(body, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, body.length + 8)), body.length + 8);
  return chunk;
}
