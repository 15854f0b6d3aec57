import { expect } from 'chai';
import { backgroundThreshold } from '../../src/reducers/backgroundThreshold.js';

describe('backgroundThreshold', () => {
  it('should keep tolerance as the threshold of 8-bit samples, without looking at them', () => {
    expect(backgroundThreshold(Uint8Array.of(0, 255), 8, 30)).to.deep.equal({
      significantBits: 8,
      significantBitsFrom: 'depth',
      threshold: 30,
      cutoff: 30,
    });
    // A fractional tolerance goes to the fill as it is: 8-bit samples compare exactly with it.
    expect(backgroundThreshold(new Uint8Array(4), 8, 29.5)).to.include({ threshold: 29.5, cutoff: 29.5 });
  });

  it('should put a 12-bit camera frame in a 16-bit file on the 12-bit scale', () => {
    const scale = backgroundThreshold(Uint16Array.of(40, 3000, 4095), 16, 30);
    expect(scale).to.deep.equal({
      significantBits: 12,
      significantBitsFrom: 'brightest sample',
      threshold: (30 * 4095) / 255,
      // 481 < 481.76… is background, 482 is not.
      cutoff: 482,
    });
  });

  it('should guess the smallest b from 8 to 16 whose range holds the brightest sample', () => {
    const bitsFor = (max: number): number => backgroundThreshold(Uint16Array.of(0, max), 16, 30).significantBits;
    expect([0, 255, 256, 511, 4095, 4096, 32767, 32768, 65535].map(bitsFor)).to.deep.equal([
      8, 8, 9, 9, 12, 13, 15, 16, 16,
    ]);
  });

  it('should give tolerance × 257 at 16 bits and tolerance at b = 8, with exact cutoffs', () => {
    expect(backgroundThreshold(Uint16Array.of(65535), 16, 30)).to.include({ threshold: 7710, cutoff: 7710 });
    expect(backgroundThreshold(Uint16Array.of(200), 16, 30)).to.include({ threshold: 30, cutoff: 30 });
    expect(backgroundThreshold(Uint16Array.of(65535), 16, 0)).to.include({ threshold: 0, cutoff: 0 });
    expect(backgroundThreshold(Uint16Array.of(4095), 16, 1).cutoff).to.equal(17); // 16.0588…
  });

  it('should compare with the exact threshold where floating point rounds it to an integer', () => {
    // The double nearest 255 / 4095 is 1/76561193665298432 above it (checked with Python's
    // Fraction), so its threshold at 12 bits is just above 1: a sample of 1 is background.
    // Computed in doubles, tolerance × 4095 / 255 comes out as exactly 1, which would keep it.
    const tolerance = 255 / 4095;
    expect((tolerance * 4095) / 255).to.equal(1);
    expect(backgroundThreshold(Uint16Array.of(4095), 16, tolerance).cutoff).to.equal(2);
  });

  it('should take the file’s sBIT over the guess when every sample fits in it', () => {
    expect(backgroundThreshold(Uint16Array.of(40, 900), 16, 30, 12)).to.deep.equal({
      significantBits: 12,
      significantBitsFrom: 'sBIT',
      threshold: (30 * 4095) / 255,
      cutoff: 482,
    });
  });

  it('should let the samples decide when they exceed sBIT (scaled to 16 bits, as the PNG spec asks)', () => {
    const scale = backgroundThreshold(Uint16Array.of(40 << 4, 3000 << 4), 16, 30, 12);
    expect(scale).to.include({ significantBits: 16, significantBitsFrom: 'brightest sample', cutoff: 7710 });
  });

  it('should throw a TypeError for a tolerance that is not a finite number', () => {
    expect(() => backgroundThreshold(new Uint16Array(1), 16, Number.NaN)).to.throw(
      TypeError,
      'Expected `tolerance` to be a finite number, got NaN',
    );
    expect(() => backgroundThreshold(new Uint16Array(1), 16, Infinity)).to.throw(TypeError);
  });
});
