import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { svgToPng } from '../../src/bench/svgToPng.js';

describe('svgToPng', () => {
  let dir: string;
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="80"><rect width="120" height="80" fill="#ff0000"/></svg>';

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'haste-svg-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should write a PNG at twice the SVG size by default', async () => {
    const out = path.join(dir, 'chart.png');
    expect(await svgToPng(svg, out)).to.deep.equal({ width: 240, height: 160 });
    const meta = await sharp(out).metadata();
    expect(meta).to.include({ format: 'png', width: 240, height: 160 });
    const { data } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 3)]).to.deep.equal([255, 0, 0]);
  });

  it('should scale with the density', async () => {
    expect(await svgToPng(svg, path.join(dir, 'one.png'), { density: 72 })).to.deep.equal({ width: 120, height: 80 });
  });

  it('should reject with sharp\'s error for input that is not SVG', async () => {
    let caught: unknown;
    await svgToPng('not an image', path.join(dir, 'bad.png')).catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(Error);
  });

  it('should reject invalid arguments eagerly', () => {
    expect(() => svgToPng('', 'x.png')).to.throw(TypeError, '`svg`');
    expect(() => svgToPng(svg, '')).to.throw(TypeError, '`outPath`');
    expect(() => svgToPng(svg, 'x.png', { density: 0 })).to.throw(TypeError, '`density`');
  });
});
