import { expect } from 'chai';
import type { RasterImage } from '../../src/reducers/RasterImage.js';
import { fillBackground } from '../../src/reducers/fillBackground.js';

/** A 3×3 image: a bright centre pixel in a dark ring, `channels` samples per pixel. */
function ring(channels: 1 | 2 | 3 | 4, dark: number[], bright: number[]): RasterImage {
  const data = new Uint8Array(9 * channels);
  for (let i = 0; i < 9; i++) data.set(i === 4 ? bright : dark, i * channels);
  return { width: 3, height: 3, channels, depth: 8, data };
}

/** The same ring at 16 bits per sample, optionally with the file's sBIT significant bits. */
function ring16(channels: 1 | 2, dark: number[], bright: number[], significantBits?: number): RasterImage {
  const data = new Uint16Array(9 * channels);
  for (let i = 0; i < 9; i++) data.set(i === 4 ? bright : dark, i * channels);
  const image: RasterImage = { width: 3, height: 3, channels, depth: 16, data };
  return significantBits === undefined ? image : { ...image, significantBits };
}

describe('fillBackground', () => {
  it('should zero the colour of RGBA background pixels and keep their alpha', () => {
    const outcome = fillBackground(ring(4, [0, 0, 255, 77], [200, 100, 50, 9]), 30);

    expect(outcome).to.have.property('filled', 8);
    const { image } = outcome as { image: RasterImage };
    expect(Array.from(image.data.subarray(0, 4))).to.deep.equal([0, 0, 0, 77]);
    expect(Array.from(image.data.subarray(16, 20))).to.deep.equal([200, 100, 50, 9]);
  });

  it('should decide RGB background by Pillow luma: pure blue (29) is background at tolerance 30', () => {
    const outcome = fillBackground(ring(3, [0, 0, 255], [0, 52, 0]), 30);
    expect(outcome).to.have.property('filled', 8);
    const blue = fillBackground(ring(3, [0, 0, 255], [0, 52, 0]), 29);
    expect(blue).to.have.property('filled', 0);
  });

  it('should not let alpha decide the mask of grey + alpha', () => {
    const outcome = fillBackground(ring(2, [10, 0], [10, 255]), 30);
    // All nine are dark grey; alpha 255 in the centre does not make it foreground.
    expect(outcome).to.have.property('filled', 9);
    expect(Array.from((outcome as { image: RasterImage }).image.data)).to.deep.equal([
      0, 0, 0, 0, 0, 0, 0, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0,
    ]);
  });

  it('should turn RGBA with R = G = B everywhere into grey + alpha', () => {
    const outcome = fillBackground(ring(4, [5, 5, 5, 100], [90, 90, 90, 200]), 30);
    const { image } = outcome as { image: RasterImage };
    expect(image).to.include({ channels: 2, depth: 8 });
    expect(Array.from(image.data.subarray(0, 2))).to.deep.equal([0, 100]);
    expect(Array.from(image.data.subarray(8, 10))).to.deep.equal([90, 200]);
  });

  it('should point filled palette pixels at a black entry of their own alpha, added once', () => {
    const palette = [
      [0, 0, 200, 255],
      [250, 250, 250, 255],
      [10, 10, 10, 40],
    ];
    const data = Uint8Array.from([0, 0, 2, 0, 1, 0, 2, 0, 0]);
    const outcome = fillBackground({ width: 3, height: 3, channels: 1, depth: 8, data, palette }, 30);

    const { image } = outcome as { image: RasterImage };
    const colours = Array.from(image.data, (index) => image.palette![index]);
    expect(colours[4]).to.deep.equal([250, 250, 250, 255]);
    expect(colours[0]).to.deep.equal([0, 0, 0, 255]);
    expect(colours[2]).to.deep.equal([0, 0, 0, 40]);
    expect(image.palette).to.have.length(5);
  });

  it('should refuse a full palette that has no black to fill with', () => {
    const palette = Array.from({ length: 256 }, (_, i) => [i, i, 1]);
    const data = Uint8Array.from([5, 5, 5, 5, 200, 5, 5, 5, 5]);
    expect(fillBackground({ width: 3, height: 3, channels: 1, depth: 8, data, palette }, 30)).to.deep.equal({
      refused: 'A full palette (256 entries) has no black to fill with; sent as it is',
    });
  });

  it('should keep the 3000 specimen of a 12-bit camera in a 16-bit file at tolerance 30 (b = 12)', () => {
    const image = ring16(1, [481], [3000]);
    image.data[1] = 482; // 481 < 30 × 4095 / 255 = 481.76… < 482

    const outcome = fillBackground(image, 30);

    expect(outcome).to.have.property('filled', 7);
    expect(Array.from((outcome as { image: RasterImage }).image.data)).to.deep.equal([0, 482, 0, 0, 3000, 0, 0, 0, 0]);
    expect(outcome).to.have.deep.property('scale', {
      significantBits: 12,
      significantBitsFrom: 'brightest sample',
      threshold: (30 * 4095) / 255,
      cutoff: 482,
    });
  });

  it('should judge 16-bit grey + alpha by its grey samples alone: alpha 65535 does not widen the scale', () => {
    const outcome = fillBackground(ring16(2, [29, 65535], [200, 65535]), 30);

    expect(outcome).to.have.property('filled', 8);
    expect(outcome).to.have.nested.property('scale.significantBits', 8);
    expect(Array.from((outcome as { image: RasterImage }).image.data.subarray(6, 12))).to.deep.equal([
      0, 65535, 200, 65535, 0, 65535,
    ]);
  });

  it('should take the file’s significant bits over the brightest sample', () => {
    // The samples alone would say b = 10 and threshold 120.35; sBIT 12 says 481.76.
    const outcome = fillBackground(ring16(1, [400], [900], 12), 30);

    expect(outcome).to.have.property('filled', 8);
    expect(outcome).to.have.nested.property('scale.significantBitsFrom', 'sBIT');
  });

  it('should report the 8-bit scale as tolerance itself', () => {
    expect(fillBackground(ring(1, [29], [30]), 30)).to.deep.include({
      filled: 8,
      scale: { significantBits: 8, significantBitsFrom: 'depth', threshold: 30, cutoff: 30 },
    });
  });

  it('should fill nothing at tolerance 0', () => {
    const outcome = fillBackground(ring(1, [0], [0]), 0);
    expect(outcome).to.have.property('filled', 0);
  });
});
