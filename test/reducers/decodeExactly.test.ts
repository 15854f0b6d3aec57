import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeExactly } from '../../src/reducers/decodeExactly.js';
import { expandPalette, FIXTURE_DIR, fixtureCases, readRaw } from './reducerFixtures.js';

describe('decodeExactly', () => {
  // Every kind the reducer accepts, checked against Pillow's own decode of the same file.
  for (const fixture of fixtureCases()) {
    const { source, expect: expected } = fixture;
    if (!expected.reduced || source === undefined) continue;
    it(`should decode ${fixture.file} to the samples Pillow reads (${fixture.note})`, async () => {
      const decoded = await decodeExactly(readFileSync(path.join(FIXTURE_DIR, fixture.file)));

      expect(decoded).to.have.property('image');
      const image = 'image' in decoded ? decoded.image : undefined;
      const depth = image!.depth;
      expect(depth).to.equal(expected.depth);
      const samples = image!.palette ? expandPalette(image!.data, image!.palette) : Array.from(image!.data);
      expect(image!.palette ? image!.palette[0]!.length : image!.channels).to.equal(source.channels);
      expect(samples).to.deep.equal(readRaw(source.raw, depth));
    });
  }

  it('should pass on the significant bits of a PNG sBIT chunk, which a TIFF has no word for', async () => {
    const sbit = await decodeExactly(readFileSync(path.join(FIXTURE_DIR, 'sbit12.png')));
    expect(sbit).to.have.nested.property('image.significantBits', 12);
    const tiff = await decodeExactly(readFileSync(path.join(FIXTURE_DIR, 'grey12in16.tif')));
    expect(tiff).to.have.nested.property('image.depth', 16);
    expect(tiff).not.to.have.nested.property('image.significantBits');
  });

  it('should refuse a JPEG with the reason rather than decode it', async () => {
    const sharp = (await import('sharp')).default;
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#123456' } }).jpeg().toBuffer();
    expect(await decodeExactly(jpeg)).to.deep.equal({
      refused: 'jpeg is sent as it is: only PNG and TIFF are reduced exactly',
    });
  });

  it('should reject bytes that are no image at all', async () => {
    let caught: unknown;
    await decodeExactly(Buffer.from('lab notes\n'.repeat(10))).catch((error: unknown) => {
      caught = error;
    });
    expect(caught).to.be.instanceOf(Error);
  });
});
