import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { synthesizeDataset, type SynthesizedFile } from '../../src/bench/synthesizeDataset.js';

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

/** Counts pixels below 30 that are 4-connected to the border, as the reducer's flood fill sees them. */
function borderConnectedDark(pixels: Uint8Array, size: number): number {
  const seen = new Uint8Array(size * size);
  const stack: number[] = [];
  const push = (p: number) => {
    if (!seen[p] && pixels[p] < 30) {
      seen[p] = 1;
      stack.push(p);
    }
  };
  for (let i = 0; i < size; i++) {
    push(i);
    push((size - 1) * size + i);
    push(i * size);
    push(i * size + size - 1);
  }
  let count = 0;
  while (stack.length > 0) {
    const p = stack.pop()!;
    count++;
    const x = p % size;
    if (x > 0) push(p - 1);
    if (x < size - 1) push(p + 1);
    if (p >= size) push(p - size);
    if (p < size * (size - 1)) push(p + size);
  }
  return count;
}

describe('synthesizeDataset', () => {
  let dir: string;
  const size = 128;
  let stream: SynthesizedFile[];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'haste-synth-'));
    stream = await synthesizeDataset({ out: path.join(dir, 'stream'), count: 60, seed: 42, size });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should write byte-identical files for the same seed and different ones for another seed', async () => {
    const again = await synthesizeDataset({ out: path.join(dir, 'again'), count: 3, seed: 42, size });
    const other = await synthesizeDataset({ out: path.join(dir, 'other'), count: 3, seed: 43, size });
    for (let i = 0; i < 3; i++) {
      expect(await sha256(again[i].path)).to.equal(await sha256(stream[i].path));
      expect(await sha256(other[i].path)).to.not.equal(await sha256(stream[i].path));
    }
  });

  it('should name files frame_00000.png onwards and report their size and index', async () => {
    expect(stream).to.have.length(60);
    expect(path.basename(stream[0].path)).to.equal('frame_00000.png');
    expect(path.basename(stream[59].path)).to.equal('frame_00059.png');
    for (const [i, file] of stream.entries()) {
      expect(file.index).to.equal(i);
      expect(file.bytes).to.equal((await readFile(file.path)).length);
    }
  });

  it('should write 1-channel 8-bit greyscale PNGs of the requested size', async () => {
    for (const file of [stream[0], stream[30]]) {
      const meta = await sharp(file.path).metadata();
      expect(meta).to.include({ format: 'png', width: size, height: size, channels: 1, depth: 'uchar' });
    }
  });

  it('should keep every border pixel below 30 and every dark pixel reachable from the border', async () => {
    for (const file of stream.filter((_, i) => i % 6 === 0)) {
      // sharp widens to sRGB on output unless asked to stay grey.
      const { data, info } = await sharp(file.path).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
      expect(info.channels).to.equal(1);
      const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
      for (let i = 0; i < size; i++) {
        for (const p of [i, (size - 1) * size + i, i * size, i * size + size - 1]) expect(pixels[p]).to.be.below(30);
      }
      const dark = pixels.filter((v) => v < 30).length;
      expect(dark / pixels.length).to.be.closeTo(file.darkFraction, 1e-9);
      expect(borderConnectedDark(pixels, size)).to.equal(dark);
      // Nothing between the surround and the specimen: the threshold is unambiguous.
      expect(pixels.filter((v) => v >= 26 && v < 80).length).to.equal(0);
    }
  });

  it('should drift the dark share smoothly yet over a wide range', () => {
    const fractions = stream.map((file) => file.darkFraction);
    const steps = fractions.slice(1).map((f, i) => Math.abs(f - fractions[i]));
    expect(Math.max(...steps)).to.be.below(0.08);
    expect(Math.max(...fractions) - Math.min(...fractions)).to.be.above(0.3);
  });

  it('should write a manifest with the seed, count, size and model', async () => {
    const manifest = JSON.parse(await readFile(path.join(dir, 'stream', 'manifest.json'), 'utf8'));
    expect(manifest).to.include({ seed: 42, count: 60, size });
    expect(manifest.model.radiusWaves).to.have.length(2);
    expect(manifest.files).to.have.length(60);
    expect(manifest.files[7]).to.deep.equal({
      name: 'frame_00007.png',
      index: 7,
      bytes: stream[7].bytes,
      darkFraction: stream[7].darkFraction,
    });
  });

  it('should report progress once per frame in order', async () => {
    const seen: number[] = [];
    await synthesizeDataset({
      out: path.join(dir, 'progress'),
      count: 3,
      seed: 1,
      size: 32,
      onProgress: (file, done, total) => seen.push(file.index, done, total),
    });
    expect(seen).to.deep.equal([0, 1, 3, 1, 2, 3, 2, 3, 3]);
  });

  it('should jump between segment kinds, cycling them along the stream', async () => {
    const segments = [
      { kind: 'empty', frames: 2 },
      { kind: 'full', frames: 1 },
      { kind: 'gainless', frames: 1 },
    ] as const;
    const files = await synthesizeDataset({ out: path.join(dir, 'segments'), count: 8, seed: 42, size, segments });
    const dark = files.map((file) => file.darkFraction);
    for (const i of [0, 1, 4, 5]) expect(dark[i], `frame ${i} empty`).to.be.above(0.95);
    for (const i of [2, 6]) expect(dark[i], `frame ${i} full`).to.be.within(0.01, 0.2);
    for (const i of [3, 7]) expect(dark[i], `frame ${i} gainless`).to.equal(0);
    // What the reducer sees: the dark share of an empty field is all border-connected, a gainless frame has none.
    const { data } = await sharp(files[3]!.path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(borderConnectedDark(new Uint8Array(data), size)).to.equal(0);
    const empty = await sharp(files[0]!.path).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(borderConnectedDark(new Uint8Array(empty.data), size) / (size * size)).to.be.closeTo(dark[0]!, 1e-9);
  });

  it('should reject invalid options eagerly', async () => {
    const out = path.join(dir, 'bad');
    expect(() => synthesizeDataset({ out, count: -1, seed: 1 })).to.throw(TypeError, 'Expected `count` to be an integer >= 0, got -1');
    expect(() => synthesizeDataset({ out, count: 1, seed: 1.5 })).to.throw(TypeError, /`seed`/);
    expect(() => synthesizeDataset({ out, count: 1, seed: 1, size: 8 })).to.throw(TypeError, /`size`/);
    expect(() => synthesizeDataset({ out: '', count: 1, seed: 1 })).to.throw(TypeError, /`out`/);
    expect(() => synthesizeDataset({ out, count: 1, seed: 1, segments: [] })).to.throw(TypeError, /`segments`/);
    expect(() => synthesizeDataset({ out, count: 1, seed: 1, segments: [{ kind: 'busy' as 'full', frames: 1 }] })).to.throw(TypeError, 'Expected `segments[0].kind` to be one of drift, empty, full, gainless, got busy');
    expect(() => synthesizeDataset({ out, count: 1, seed: 1, segments: [{ kind: 'full', frames: 0 }] })).to.throw(TypeError, /`segments\[0\]\.frames`/);
  });
});
