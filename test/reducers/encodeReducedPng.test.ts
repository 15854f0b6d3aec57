import { expect } from 'chai';
import { decode as decodePng } from 'fast-png';
import sharp from 'sharp';
import { encodeReducedPng } from '../../src/reducers/encodeReducedPng.js';
import { pngHeader } from './reducerFixtures.js';

const SETTINGS = { compressionLevel: 6, adaptiveFiltering: false };

describe('encodeReducedPng', () => {
  it('should write 16-bit grey that libvips reads back value for value', async () => {
    const data = Uint16Array.from({ length: 12 }, (_, i) => [0, 1, 255, 256, 3000, 65535][i % 6]! + i);
    const { bytes, encoder } = await encodeReducedPng({ width: 4, height: 3, channels: 1, depth: 16, data }, SETTINGS);

    expect(encoder).to.equal('fast-png');
    expect(pngHeader(bytes)).to.deep.equal({ bitDepth: 16, colourType: 0 });
    const raw = await sharp(bytes).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
    expect(Array.from(new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2))).to.deep.equal(Array.from(data));
  });

  it('should write 8-bit grey with libvips as a 1-channel PNG', async () => {
    const data = Uint8Array.from([0, 7, 30, 255]);
    const { bytes, encoder } = await encodeReducedPng({ width: 2, height: 2, channels: 1, depth: 8, data }, SETTINGS);

    expect(encoder).to.equal('sharp');
    expect(pngHeader(bytes)).to.deep.equal({ bitDepth: 8, colourType: 0 });
    expect(Array.from(decodePng(bytes).data)).to.deep.equal([0, 7, 30, 255]);
  });

  it('should write a palette with translucent entries that libvips expands to the same colours', async () => {
    const palette = [
      [0, 0, 0, 40],
      [250, 250, 250, 255],
      [9, 9, 9, 0],
    ];
    const data = Uint8Array.from([0, 1, 2, 1]);
    const { bytes } = await encodeReducedPng({ width: 2, height: 2, channels: 1, depth: 8, data, palette }, SETTINGS);

    expect(pngHeader(bytes)).to.deep.equal({ bitDepth: 8, colourType: 3 });
    const rgba = await sharp(bytes).ensureAlpha().raw().toBuffer();
    expect(Array.from(rgba)).to.deep.equal([0, 0, 0, 40, 250, 250, 250, 255, 9, 9, 9, 0, 250, 250, 250, 255]);
  });
});
