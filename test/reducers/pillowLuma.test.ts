import { expect } from 'chai';
import { pillowLuma } from '../../src/reducers/pillowLuma.js';

describe('pillowLuma', () => {
  it("should give Pillow 9.4's convert('L') values, not libvips' Rec.709 or the truncating 601 form", () => {
    // Values Pillow 9.4 gives for these colours (libvips: blue 29 → 76-ish; truncating: (1,1,1) → 0).
    const rgb = Uint8Array.from([0, 0, 255, 255, 0, 0, 0, 255, 0, 255, 255, 255, 1, 1, 1, 97, 0, 0, 0, 52, 0]);
    expect([...pillowLuma(rgb, 3)]).to.deep.equal([29, 76, 150, 255, 1, 29, 31]);
  });

  it('should ignore alpha', () => {
    const rgba = Uint8Array.from([0, 0, 255, 0, 0, 0, 255, 255, 200, 100, 50, 17]);
    expect([...pillowLuma(rgba, 4)]).to.deep.equal([29, 29, 124]);
  });

  it('should return an empty plane for no pixels', () => {
    expect(pillowLuma(new Uint8Array(0), 3)).to.have.length(0);
  });
});
