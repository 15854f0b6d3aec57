import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readPngLayout } from '../../src/reducers/readPngLayout.js';
import { FIXTURE_DIR, withChunk } from './reducerFixtures.js';

describe('readPngLayout', () => {
  it('should read the size, bit depth, colour type and chunk types of a PNG', () => {
    const layout = readPngLayout(readFileSync(path.join(FIXTURE_DIR, 'paletteAlpha.png')));
    expect(layout).to.deep.include({ width: 32, height: 32, bitDepth: 4, colourType: 3 });
    expect([...layout!.chunks]).to.include.members(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);
  });

  it('should see an embedded colour profile', () => {
    const layout = readPngLayout(readFileSync(path.join(FIXTURE_DIR, 'iccProfile.png')));
    expect(layout!.chunks.has('iCCP')).to.equal(true);
  });

  it('should read the significant bits of a grey sBIT chunk, and none when there is no sBIT', () => {
    const sbit = readPngLayout(readFileSync(path.join(FIXTURE_DIR, 'sbit12.png')));
    expect(sbit).to.include({ bitDepth: 16, significantBits: 12 });
    const none = readPngLayout(readFileSync(path.join(FIXTURE_DIR, 'grey12in16.png')));
    expect(none).not.to.have.property('significantBits');
  });

  it('should take the colour channels of sBIT, not alpha, and ignore a malformed sBIT', () => {
    const rgba = readFileSync(path.join(FIXTURE_DIR, 'rgba.png'));
    expect(readPngLayout(withChunk(rgba, 'sBIT', [5, 7, 6, 8]))).to.include({ significantBits: 7 });
    const grey16 = readFileSync(path.join(FIXTURE_DIR, 'grey16.png'));
    expect(readPngLayout(withChunk(grey16, 'sBIT', [16]))).to.include({ significantBits: 16 });
    // 0 bits, more bits than the samples have, one byte too many: no word from the file.
    for (const data of [[0], [17], [12, 12]]) {
      expect(readPngLayout(withChunk(grey16, 'sBIT', data)), String(data)).not.to.have.property('significantBits');
    }
  });

  it('should return undefined for a TIFF, text or an empty buffer', () => {
    expect(readPngLayout(readFileSync(path.join(FIXTURE_DIR, 'grey8.tif')))).to.equal(undefined);
    expect(readPngLayout(Buffer.from('not a png, just some words to fill forty bytes'))).to.equal(undefined);
    expect(readPngLayout(new Uint8Array(0))).to.equal(undefined);
  });

  it('should stop at a chunk list cut short instead of reading past the end', () => {
    const bytes = readFileSync(path.join(FIXTURE_DIR, 'grey8.png'));
    const layout = readPngLayout(bytes.subarray(0, 60));
    expect(layout).to.deep.include({ width: 32, height: 32, bitDepth: 8, colourType: 0 });
  });
});
