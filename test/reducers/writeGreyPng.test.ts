import { expect } from 'chai';
import { decode as decodePng } from 'fast-png';
import { crc32, inflateSync } from 'node:zlib';
import sharp from 'sharp';
import { PNG_EFFORTS, pngEffortSettings } from '../../src/reducers/pngEffort.js';
import { writeGreyPng } from '../../src/reducers/writeGreyPng.js';
import { pngHeader } from './reducerFixtures.js';

/** Dark noise with a bright textured block, plus every byte value, so each row filter gets used. */
function sample(width: number, height: number, seed: number): Uint8Array {
  let state = seed;
  const random = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  return Uint8Array.from({ length: width * height }, (_, i) => {
    const x = i % width;
    const y = Math.floor(i / width);
    if (y === 0) return (x * 37) & 255;
    return x > width / 3 && y > height / 3 ? 80 + Math.floor(random() * 176) : Math.floor(random() * 26);
  });
}

describe('writeGreyPng', () => {
  const SETTINGS = [
    ...PNG_EFFORTS.map((effort) => ({ name: effort, settings: pngEffortSettings(effort) })),
    { name: 'Up + rle', settings: { filter: 'up', compressionLevel: 1, strategy: 'rle' } as const },
    { name: 'unfiltered level 6', settings: { filter: 'none', compressionLevel: 6, strategy: 'default' } as const },
  ];
  for (const { name, settings } of SETTINGS) {
    for (const [width, height] of [[1, 1], [7, 3], [64, 48], [257, 31]] as const) {
      it(`should write ${width}×${height} 8-bit grey at ${name} that libvips and fast-png read back exactly`, async () => {
        const data = sample(width, height, width * 31 + height);
        const copy = Uint8Array.from(data);

        const png = writeGreyPng(data, width, height, settings);

        expect(pngHeader(png)).to.deep.equal({ bitDepth: 8, colourType: 0 });
        expect(Array.from(data)).to.deep.equal(Array.from(copy));
        const decoded = decodePng(png);
        expect(decoded).to.include({ width, height, depth: 8, channels: 1 });
        expect(Array.from(decoded.data)).to.deep.equal(Array.from(data));
        const { data: raw, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
        expect(info).to.include({ width, height, channels: 1 });
        expect(Array.from(raw)).to.deep.equal(Array.from(data));
      });
    }
  }

  it('should write the Average filter bytes the PNG specification defines, across zeroed background', () => {
    // Rows of whole words are filtered four pixels at a time, and a word of 0 under 0 is written
    // without arithmetic: bright pixels just left of, above and below zeroed spans are the cases.
    for (const [width, height] of [[64, 40], [68, 9], [65, 9], [4, 6]] as const) {
      const data = sample(width, height, width + height);
      for (let i = 0; i < data.length; i++) {
        const x = i % width;
        const y = Math.floor(i / width);
        if ((x + 3 * y) % 11 < 6 || y % 7 === 3) data[i] = 0;
        if (x % 9 === 4 && y % 5 !== 0) data[i] = 255;
      }
      const png = writeGreyPng(data, width, height, pngEffortSettings('fast'));
      const idatAt = png.indexOf('IDAT', 0, 'latin1');
      const rows = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + png.readUInt32BE(idatAt - 4)));
      const expected: number[] = [];
      for (let y = 0; y < height; y++) {
        expected.push(3);
        for (let x = 0; x < width; x++) {
          const left = x > 0 ? data[y * width + x - 1]! : 0;
          const above = y > 0 ? data[(y - 1) * width + x]! : 0;
          expected.push((data[y * width + x]! - ((left + above) >> 1)) & 255);
        }
      }
      expect(Array.from(rows), `${width}×${height}`).to.deep.equal(expected);
    }
  });

  it('should write the signature, then IHDR, IDAT and IEND with lengths and CRCs that check', () => {
    for (const [width, height] of [[1, 1], [64, 48], [300, 200]] as const) {
      const png = writeGreyPng(sample(width, height, 3), width, height, pngEffortSettings('fast'));
      expect(Array.from(png.subarray(0, 8))).to.deep.equal([137, 80, 78, 71, 13, 10, 26, 10]);
      const chunks: string[] = [];
      let at = 8;
      while (at < png.length) {
        const length = png.readUInt32BE(at);
        const type = png.toString('latin1', at + 4, at + 8);
        expect(png.readUInt32BE(at + 8 + length), `${type} CRC`).to.equal(crc32(png.subarray(at + 4, at + 8 + length)));
        chunks.push(type);
        at += 12 + length;
      }
      expect(at).to.equal(png.length);
      expect(chunks).to.deep.equal(['IHDR', 'IDAT', 'IEND']);
      expect(Array.from(png.subarray(16, 29))).to.deep.equal([0, 0, width >> 8, width & 255, 0, 0, height >> 8, height & 255, 8, 0, 0, 0, 0]);
    }
  });

  it('should write each row filter type that the settings ask for', () => {
    const data = sample(64, 48, 5);
    const filterTypes = (png: Buffer): number[] => {
      const idatAt = png.indexOf('IDAT', 0, 'latin1');
      const length = png.readUInt32BE(idatAt - 4);
      const rows = inflateSync(png.subarray(idatAt + 4, idatAt + 4 + length));
      return Array.from({ length: 48 }, (_, y) => rows[y * 65]!);
    };
    const unfiltered = writeGreyPng(data, 64, 48, { filter: 'none', compressionLevel: 6, strategy: 'default' });
    expect(new Set(filterTypes(unfiltered))).to.deep.equal(new Set([0]));
    expect(new Set(filterTypes(writeGreyPng(data, 64, 48, pngEffortSettings('fast'))))).to.deep.equal(new Set([3]));
    const up = writeGreyPng(data, 64, 48, { filter: 'up', compressionLevel: 6, strategy: 'rle' });
    expect(new Set(filterTypes(up))).to.deep.equal(new Set([2]));
    // Noise rows are best left unfiltered or Sub-filtered; rows under a smooth ramp are best Up.
    expect(new Set(filterTypes(writeGreyPng(data, 64, 48, pngEffortSettings('small')))).size).to.be.greaterThan(1);
  });

  it('should reject a sample count that does not match the size', () => {
    expect(() => writeGreyPng(new Uint8Array(5), 2, 2, pngEffortSettings('fast'))).to.throw(
      TypeError,
      'Expected `data` to hold width * height = 4 samples, got 5',
    );
  });

  it('should reject an empty image', () => {
    expect(() => writeGreyPng(new Uint8Array(0), 0, 3, pngEffortSettings('fast'))).to.throw(
      TypeError,
      'Expected a PNG of at least 1×1 integer pixels, got 0×3',
    );
  });
});

describe('pngEffortSettings', () => {
  it('should name its own setting and reject unknown names', () => {
    for (const effort of PNG_EFFORTS) expect(pngEffortSettings(effort).effort).to.equal(effort);
    expect(() => pngEffortSettings('max' as never)).to.throw(
      TypeError,
      'Expected `pngEffort` to be one of fast, default, small, got max',
    );
  });
});
