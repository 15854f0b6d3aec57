import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { readPngLayout } from '../../src/reducers/readPngLayout.js';
import { FIXTURE_DIR } from './reducerFixtures.js';

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
