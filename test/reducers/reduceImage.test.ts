import { expect } from 'chai';
import { decode as decodePng } from 'fast-png';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { PNG_EFFORTS } from '../../src/reducers/pngEffort.js';
import { reduceImage, type ReduceImageOptions } from '../../src/reducers/reduceImage.js';
import {
  expandPalette,
  FIXTURE_DIR,
  fileItem,
  fixtureCases,
  microscopyPixels,
  pngHeader,
  readRaw,
  sha256,
  writeGreyPng,
} from './reducerFixtures.js';

const SIZE = 256;

describe('reduceImage', () => {
  let dir: string;
  let spoolDir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'haste-reduce-image-'));
    spoolDir = path.join(dir, 'spool');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should write a smaller 1-channel 8-bit PNG with the background zeroed and the foreground unchanged', async () => {
    const input = path.join(dir, 'cells.png');
    const pixels = microscopyPixels(SIZE);
    await writeGreyPng(input, pixels, SIZE, SIZE);
    const item = await fileItem(input, 7);

    const reduction = await reduceImage(item, { spoolDir });

    expect(reduction.reduced, reduction.reason).to.equal(true);
    expect(reduction.outputPath).to.equal(path.join(spoolDir, '7-cells.png'));
    expect(reduction.bytesIn).to.equal(item.size);
    expect(reduction.bytesOut).to.equal((await stat(reduction.outputPath!)).size);
    expect(reduction.bytesOut).to.be.lessThan(reduction.bytesIn);
    expect(reduction.cpuMs).to.be.greaterThan(0);
    // The hash of the bytes written, so the uploader need not read the copy back.
    expect(reduction.outputSha256).to.equal(await sha256(reduction.outputPath!));

    const metadata = await sharp(reduction.outputPath).metadata();
    expect(metadata).to.include({ format: 'png', channels: 1, depth: 'uchar', width: SIZE, height: SIZE });

    const { data } = await sharp(reduction.outputPath)
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    let background = 0;
    for (let i = 0; i < pixels.length; i++) {
      if (pixels[i]! < 30) {
        background++;
        expect(data[i], `pixel ${i}`).to.equal(0);
      } else {
        expect(data[i], `pixel ${i}`).to.equal(pixels[i]);
      }
    }
    expect(background).to.be.greaterThan(SIZE * SIZE / 2);
  });

  it('should never modify the original file', async () => {
    const input = path.join(dir, 'cells.png');
    await writeGreyPng(input, microscopyPixels(SIZE), SIZE, SIZE);
    const before = await sha256(input);
    const { mtimeMs } = await stat(input);

    const reduction = await reduceImage(await fileItem(input), { spoolDir });

    expect(reduction.reduced).to.equal(true);
    expect(await sha256(input)).to.equal(before);
    expect((await stat(input)).mtimeMs).to.equal(mtimeMs);
  });

  it('should leave a dark hole enclosed by the foreground as it was', async () => {
    const input = path.join(dir, 'ring.png');
    const pixels = microscopyPixels(SIZE);
    // A dark 8×8 patch in the middle of the bright disc: not connected to the border.
    for (let y = 124; y < 132; y++) pixels.fill(12, y * SIZE + 124, y * SIZE + 132);
    await writeGreyPng(input, pixels, SIZE, SIZE);

    const reduction = await reduceImage(await fileItem(input), { spoolDir });

    const { data } = await sharp(reduction.outputPath).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(data[128 * SIZE + 128]).to.equal(12);
    expect(data[0]).to.equal(0);
  });

  it('should write grey stored as RGB as 8-bit greyscale', async () => {
    const input = path.join(dir, 'colour.png');
    const grey = microscopyPixels(64);
    const rgb = Buffer.alloc(64 * 64 * 3);
    grey.forEach((v, i) => rgb.fill(v, i * 3, i * 3 + 3));
    await sharp(rgb, { raw: { width: 64, height: 64, channels: 3 } }).png().toFile(input);

    const reduction = await reduceImage(await fileItem(input), { spoolDir });

    expect(reduction.reduced, reduction.reason).to.equal(true);
    expect(await sharp(reduction.outputPath).metadata()).to.include({ channels: 1, depth: 'uchar' });
    const { data } = await sharp(reduction.outputPath).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    expect(data[32 * 64 + 32]).to.equal(grey[32 * 64 + 32]);
    expect(data[0]).to.equal(0);
  });

  it('should keep 16-bit input at 16 bits, comparing a full-range frame with tolerance × 257', async () => {
    const input = path.join(dir, 'deep.png');
    const grey = microscopyPixels(64);
    // Low bytes that an 8-bit round trip would lose, and a border pixel on each side of 30 × 257.
    const deep = Uint16Array.from(grey, (v, i) => v * 257 + (i % 7));
    deep[0] = 30 * 257 - 1;
    deep[1] = 30 * 257;
    await sharp(deep, { raw: { width: 64, height: 64, channels: 1 } }).toColourspace('grey16').png().toFile(input);

    const reduction = await reduceImage(await fileItem(input), { spoolDir });

    expect(reduction.reduced, reduction.reason).to.equal(true);
    const output = decodePng(await readFile(reduction.outputPath!));
    expect(output).to.include({ depth: 16, channels: 1 });
    expect(output.data[0]).to.equal(0);
    expect(output.data[1]).to.equal(30 * 257);
    expect(output.data[32 * 64 + 32]).to.equal(deep[32 * 64 + 32]);
    expect(reduction.settings).to.include({
      bitDepth: 16,
      significantBits: 16,
      significantBitsFrom: 'brightest sample',
      threshold: 30 * 257,
      encoder: 'fast-png',
    });
  });

  it('should label a reduced copy with its media type and the settings that made it', async () => {
    const input = path.join(dir, 'cells.png');
    await writeGreyPng(input, microscopyPixels(SIZE), SIZE, SIZE);

    const reduction = await reduceImage(await fileItem(input), { spoolDir, tolerance: 25, compressionLevel: 7 });

    expect(reduction.mediaType).to.equal('image/png');
    expect(reduction.settings).to.deep.equal({
      reducer: 'reduceImage',
      tolerance: 25,
      significantBits: 8,
      significantBitsFrom: 'depth',
      threshold: 25,
      compressionLevel: 7,
      filter: 'none',
      bitDepth: 8,
      colourType: 'grey',
      encoder: 'sharp',
    });
  });

  it('should not follow a path replaced by a symbolic link after admission', async () => {
    const input = path.join(dir, 'cells.png');
    await writeGreyPng(input, microscopyPixels(SIZE, 4), SIZE, SIZE);
    const item = await fileItem(input);
    const secret = path.join(dir, 'secret.png');
    await writeGreyPng(secret, microscopyPixels(SIZE, 5), SIZE, SIZE);
    await rm(input);
    await symlink(secret, input);

    const reduction = await reduceImage(item, { spoolDir });

    expect(reduction).to.include({ reduced: false, bytesOut: item.size });
    expect(reduction.outputPath).to.equal(undefined);
    expect(reduction.reason).to.match(/^Cannot read .*symbolic link/);
    // Not one byte of the link's target reached the spool folder, under any name.
    expect(await spoolFiles(spoolDir)).to.deep.equal([]);
  });

  it('should not read a file replaced by another after admission', async () => {
    const input = path.join(dir, 'cells.png');
    await writeGreyPng(input, microscopyPixels(SIZE, 4), SIZE, SIZE);
    const item = { ...(await fileItem(input)), ino: (await stat(input)).ino };
    await rm(input);
    await writeGreyPng(input, microscopyPixels(SIZE, 4), SIZE, SIZE, 9);

    const reduction = await reduceImage(item, { spoolDir });

    expect(reduction.reduced).to.equal(false);
    expect(reduction.reason).to.match(/^Cannot read .*not the file that was admitted/);
    expect(await spoolFiles(spoolDir)).to.deep.equal([]);
  });

  it('should report a corrupt PNG as not reduced with a reason and write nothing', async () => {
    const good = path.join(dir, 'good.png');
    await writeGreyPng(good, microscopyPixels(SIZE), SIZE, SIZE);
    const input = path.join(dir, 'truncated.png');
    const bytes = await sharp(good).toBuffer();
    await writeFile(input, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const item = await fileItem(input);

    const reduction = await reduceImage(item, { spoolDir });

    expect(reduction).to.include({ reduced: false, bytesIn: item.size, bytesOut: item.size });
    expect(reduction.outputPath).to.equal(undefined);
    expect(reduction.reason).to.match(/^Cannot decode /);
    expect(await spoolFiles(spoolDir)).to.deep.equal([]);
  });

  it('should report a non-image named .png as not reduced with a reason', async () => {
    const input = path.join(dir, 'notes.png');
    await writeFile(input, 'these are lab notes, not pixels\n'.repeat(20));
    const item = await fileItem(input);

    const reduction = await reduceImage(item, { spoolDir });

    expect(reduction).to.include({ reduced: false, bytesIn: item.size, bytesOut: item.size });
    expect(reduction.reason).to.match(/^Cannot decode .*notes\.png/);
  });

  it('should report a copy that is not smaller as not reduced and leave no spool file', async () => {
    const input = path.join(dir, 'bright.png');
    // All foreground, already at maximum compression: nothing to zero, and level 0 only grows it.
    const bright = microscopyPixels(SIZE).map((v) => 100 + (v % 50));
    await writeGreyPng(input, bright, SIZE, SIZE, 9);
    const item = await fileItem(input);

    const reduction = await reduceImage(item, { spoolDir, compressionLevel: 0 });

    expect(reduction).to.include({ reduced: false, bytesIn: item.size, bytesOut: item.size });
    expect(reduction.outputPath).to.equal(undefined);
    expect(reduction.reason).to.match(/not smaller/);
    expect(await spoolFiles(spoolDir)).to.deep.equal([]);
  });

  it('should report a file that has vanished as not reduced, using the size it settled at', async () => {
    const item = { path: path.join(dir, 'gone.png'), size: 1234, mtimeMs: 0, index: 3 };

    const reduction = await reduceImage(item, { spoolDir });

    expect(reduction).to.deep.include({ item, reduced: false, bytesIn: 1234, bytesOut: 1234, cpuMs: 0 });
    expect(reduction.reason).to.match(/^Cannot read /);
  });

  it('should give each item a distinct, safe spool file name', async () => {
    const nested = path.join(dir, 'a b');
    await mkdir(nested);
    const first = path.join(nested, 'weird name?.png');
    const second = path.join(dir, 'weird name?.png');
    await writeGreyPng(first, microscopyPixels(64, 2), 64, 64);
    await writeGreyPng(second, microscopyPixels(64, 3), 64, 64);

    const a = await reduceImage(await fileItem(first, 0), { spoolDir });
    const b = await reduceImage(await fileItem(second, 1), { spoolDir });

    expect(path.basename(a.outputPath!)).to.equal('0-weird_name_.png');
    expect(path.basename(b.outputPath!)).to.equal('1-weird_name_.png');
    expect(await spoolFiles(spoolDir)).to.deep.equal(['0-weird_name_.png', '1-weird_name_.png']);
  });

  it('should create the spool folder, and create it again when it was removed between files', async () => {
    const input = path.join(dir, 'cells.png');
    await writeGreyPng(input, microscopyPixels(64, 2), 64, 64);
    const nestedSpool = path.join(spoolDir, 'deeper');

    const first = await reduceImage(await fileItem(input, 0), { spoolDir: nestedSpool });
    await rm(spoolDir, { recursive: true });
    const second = await reduceImage(await fileItem(input, 1), { spoolDir: nestedSpool });

    expect([first.reduced, second.reduced], `${first.reason} ${second.reason}`).to.deep.equal([true, true]);
    expect(await spoolFiles(nestedSpool)).to.deep.equal(['1-cells.png']);
    expect(second.outputSha256).to.equal(await sha256(second.outputPath!));
  });

  it('should report a spool path it cannot write as not reduced, with the reason', async () => {
    const input = path.join(dir, 'cells.png');
    await writeGreyPng(input, microscopyPixels(64, 2), 64, 64);
    const notAFolder = path.join(dir, 'a-file');
    await writeFile(notAFolder, 'x');

    const reduction = await reduceImage(await fileItem(input, 0), { spoolDir: path.join(notAFolder, 'spool') });

    expect(reduction.reduced).to.equal(false);
    expect(reduction.reason).to.match(/^Cannot write .*a-file\/spool\/0-cells\.png: .*ENOTDIR/);
  });

  it('should reject invalid options with a TypeError before reading the file', async () => {
    const item = { path: path.join(dir, 'never-read.png'), size: 1, mtimeMs: 0, index: 0 };
    let caught: unknown;
    await reduceImage(item, { compressionLevel: 10 }).catch((error: unknown) => {
      caught = error;
    });
    expect(caught).to.be.instanceOf(TypeError);
    expect((caught as TypeError).message).to.equal(
      'Expected `compressionLevel` to be an integer from 0 to 9, got 10',
    );
  });

  for (const [options, message] of [
    [{ pngEffort: 'max' }, 'Expected `pngEffort` to be one of fast, default, small, got max'],
    [
      { pngEffort: 'fast', compressionLevel: 9 },
      'Expected either `pngEffort` or `compressionLevel`/`adaptiveFiltering`, not both',
    ],
  ] as const) {
    it(`should reject ${JSON.stringify(options)} with a clear TypeError`, async () => {
      const item = { path: path.join(dir, 'never-read.png'), size: 1, mtimeMs: 0, index: 0 };
      const caught = await reduceImage(item, options as ReduceImageOptions).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(caught).to.be.instanceOf(TypeError).with.property('message', message);
    });
  }

  it('should write 8-bit grey with the named setting by default and report it in the settings', async () => {
    const input = path.join(dir, 'named.png');
    await writeGreyPng(input, microscopyPixels(SIZE), SIZE, SIZE);
    const named = await reduceImage(await fileItem(input), { spoolDir });
    const small = await reduceImage(await fileItem(input), { spoolDir, pngEffort: 'small' });

    expect(named.settings).to.include({
      pngEffort: 'fast',
      encoder: 'zlib',
      filter: 'average',
      strategy: 'rle',
      compressionLevel: 1,
    });
    expect(small.settings).to.include({ pngEffort: 'small', encoder: 'zlib', compressionLevel: 9 });
  });
});

describe('reduceImage against fixtures made with Pillow and scipy', () => {
  let spoolDir: string;

  beforeEach(async () => {
    spoolDir = await mkdtemp(path.join(os.tmpdir(), 'haste-reduce-fixtures-'));
  });

  afterEach(async () => {
    await rm(spoolDir, { recursive: true, force: true });
  });

  for (const file of ['grey12in16.png', 'grey12in16.tif']) {
    it(`should keep the specimen of a 12-bit frame in a 16-bit file at the default tolerance (${file})`, async () => {
      const input = path.join(FIXTURE_DIR, file);
      const reduction = await reduceImage(await fileItem(input), { spoolDir });

      expect(reduction.reduced, reduction.reason).to.equal(true);
      const output = decodePng(await readFile(reduction.outputPath!));
      const raw = await sharp(input).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
      const samples = new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2);
      // Background about 40 is zeroed; the specimen about 3000 is kept, every sample exactly.
      const specimen = Array.from(samples.keys()).filter((i) => samples[i]! >= 2000);
      expect(specimen).to.have.length.greaterThan(300);
      expect(specimen.filter((i) => output.data[i] !== samples[i])).to.deep.equal([]);
      expect(Array.from(output.data).filter((value) => value === 0)).to.have.length.greaterThan(600);
      expect(reduction.settings).to.include({ tolerance: 30, significantBits: 12, threshold: (30 * 4095) / 255 });
    });
  }

  const PNG_COLOUR_TYPES: Record<string, number> = { grey: 0, rgb: 2, palette: 3, 'grey-alpha': 4, rgba: 6 };
  const PNG_CHOICES: { name: string; options: ReduceImageOptions }[] = [
    ...PNG_EFFORTS.map((pngEffort) => ({ name: `pngEffort ${pngEffort}`, options: { pngEffort } })),
    { name: 'libvips level 9 adaptive', options: { compressionLevel: 9, adaptiveFiltering: true } },
  ];

  for (const fixture of fixtureCases()) {
    const { expect: expected } = fixture;
    if (expected.reduced) {
      for (const png of PNG_CHOICES) {
        it(`should match the original operator exactly on ${fixture.name} (${fixture.note}) at ${png.name}`, async () => {
          const item = await fileItem(path.join(FIXTURE_DIR, fixture.file));

          const reduction = await reduceImage(item, { spoolDir, tolerance: fixture.tolerance, ...png.options });

          expect(reduction.reduced, reduction.reason).to.equal(true);
          const bytes = await readFile(reduction.outputPath!);
          expect(pngHeader(bytes)).to.deep.equal({
            bitDepth: expected.depth,
            colourType: PNG_COLOUR_TYPES[expected.colourType],
          });
          const output = decodePng(bytes);
          expect(output).to.include({ width: expected.width, height: expected.height, depth: expected.depth });
          const samples =
            expected.colourType === 'palette' ? expandPalette(output.data, output.palette!) : Array.from(output.data);
          const want = readRaw(expected.raw, expected.depth);
          expect(samples.length).to.equal(want.length);
          const wrong = samples.findIndex((value, i) => value !== want[i]);
          expect(wrong, `first wrong sample at ${wrong}: ${samples[wrong]} instead of ${want[wrong]}`).to.equal(-1);
          expect(reduction.mediaType).to.equal('image/png');
          expect(reduction.settings).to.include({
            bitDepth: expected.depth,
            colourType: expected.colourType,
            significantBits: expected.significantBits,
            significantBitsFrom: expected.significantBitsFrom,
            threshold: expected.threshold,
          });
        });
      }
    } else {
      it(`should send ${fixture.name} as it is, with the reason (${fixture.note})`, async () => {
        const item = await fileItem(path.join(FIXTURE_DIR, fixture.file));

        const reduction = await reduceImage(item, { spoolDir, tolerance: fixture.tolerance });

        expect(reduction).to.include({ reduced: false, bytesIn: item.size, bytesOut: item.size });
        expect(reduction.outputPath).to.equal(undefined);
        expect(reduction.reason).to.include(expected.reason).and.to.match(/sent as it is/);
        expect(await spoolFiles(spoolDir)).to.deep.equal([]);
      });
    }
  }
});

async function spoolFiles(spoolDir: string): Promise<string[]> {
  return (await readdir(spoolDir).catch(() => [] as string[])).sort();
}
