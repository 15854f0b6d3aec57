import { expect } from 'chai';
import { floodFillBackground } from '../../src/reducers/floodFillBackground.js';

/** Builds pixels from rows of digits, each digit scaled by 10 (so '3' is 30). */
function grid(rows: string[]): { pixels: Uint8Array; width: number; height: number } {
  const width = rows[0]!.length;
  const height = rows.length;
  const pixels = new Uint8Array(width * height);
  rows.forEach((row, y) => {
    [...row].forEach((digit, x) => {
      pixels[y * width + x] = Number(digit) * 10;
    });
  });
  return { pixels, width, height };
}

function rows(pixels: Uint8Array, width: number): string[] {
  const out: string[] = [];
  for (let y = 0; y < pixels.length / width; y++) {
    out.push([...pixels.subarray(y * width, (y + 1) * width)].map((v) => String(v / 10)).join(''));
  }
  return out;
}

describe('floodFillBackground', () => {
  it('should zero a dark region connected to the border and leave the bright centre alone', () => {
    const { pixels, width, height } = grid([
      '12121',
      '29992',
      '19591',
      '29992',
      '12121',
    ]);
    const filled = floodFillBackground(pixels, width, height, 30);
    expect(filled).to.equal(16);
    expect(rows(pixels, width)).to.deep.equal([
      '00000',
      '09990',
      '09590',
      '09990',
      '00000',
    ]);
  });

  it('should not fill a dark hole enclosed by bright pixels', () => {
    const { pixels, width, height } = grid([
      '11111',
      '19991',
      '19291',
      '19991',
      '11111',
    ]);
    floodFillBackground(pixels, width, height, 30);
    expect(rows(pixels, width)).to.deep.equal([
      '00000',
      '09990',
      '09290',
      '09990',
      '00000',
    ]);
  });

  it('should follow 4-connectivity, not 8, so a diagonal gap does not leak', () => {
    // The dark pixel at (2,2) touches the border region only diagonally.
    const { pixels, width, height } = grid([
      '11999',
      '11999',
      '99199',
      '99999',
      '99999',
    ]);
    const filled = floodFillBackground(pixels, width, height, 30);
    expect(filled).to.equal(4);
    expect(rows(pixels, width)).to.deep.equal([
      '00999',
      '00999',
      '99199',
      '99999',
      '99999',
    ]);
  });

  it('should fill a winding corridor that reaches deep into the image', () => {
    const { pixels, width, height } = grid([
      '9199999',
      '9111119',
      '9999919',
      '9111119',
      '9199999',
      '9111119',
      '9999999',
    ]);
    floodFillBackground(pixels, width, height, 30);
    expect(rows(pixels, width)).to.deep.equal([
      '9099999',
      '9000009',
      '9999909',
      '9000009',
      '9099999',
      '9000009',
      '9999999',
    ]);
  });

  it('should treat a value equal to tolerance as foreground and one below it as background', () => {
    const pixels = Uint8Array.from([29, 30, 31]);
    const filled = floodFillBackground(pixels, 3, 1, 30);
    expect(filled).to.equal(1);
    expect([...pixels]).to.deep.equal([0, 30, 31]);
  });

  it('should fill nothing when tolerance is 0 and everything when it is above 255', () => {
    const low = Uint8Array.from([0, 0, 0, 0]);
    expect(floodFillBackground(low, 2, 2, 0)).to.equal(0);
    const high = Uint8Array.from([255, 7, 200, 0]);
    expect(floodFillBackground(high, 2, 2, 256)).to.equal(4);
    expect([...high]).to.deep.equal([0, 0, 0, 0]);
  });

  it('should seed from all four edges, including the last row and column', () => {
    const { pixels, width, height } = grid([
      '999',
      '991',
      '919',
    ]);
    expect(floodFillBackground(pixels, width, height, 30)).to.equal(2);
    expect(rows(pixels, width)).to.deep.equal(['999', '990', '909']);
  });

  it('should handle a single row, a single column and an empty image', () => {
    const row = Uint8Array.from([1, 99, 1]);
    expect(floodFillBackground(row, 3, 1, 30)).to.equal(2);
    const column = Uint8Array.from([1, 99, 1]);
    expect(floodFillBackground(column, 1, 3, 30)).to.equal(2);
    expect(floodFillBackground(new Uint8Array(0), 0, 0, 30)).to.equal(0);
  });

  it('should fill a large all-dark image without overflowing the stack', () => {
    const pixels = new Uint8Array(1024 * 1024).fill(5);
    expect(floodFillBackground(pixels, 1024, 1024, 30)).to.equal(1024 * 1024);
    expect(pixels.every((v) => v === 0)).to.equal(true);
  });

  it('should compare 16-bit pixels with the tolerance as given, in their own scale', () => {
    // One row: every pixel is on the border.
    const pixels = Uint16Array.from([7709, 7710, 255, 65535]);
    expect(floodFillBackground(pixels, 4, 1, 30 * 257)).to.equal(2);
    expect([...pixels]).to.deep.equal([0, 7710, 0, 65535]);
  });

  it('should mark the background in a mask and leave the pixels alone when given one', () => {
    const { pixels, width, height } = grid([
      '12121',
      '29992',
      '19191',
      '29992',
      '12121',
    ]);
    const before = [...pixels];
    const mask = new Uint8Array(width * height).fill(7);

    const filled = floodFillBackground(pixels, width, height, 30, mask);

    expect(filled).to.equal(16);
    expect([...pixels]).to.deep.equal(before);
    expect(rows(Uint8Array.from(mask, (v) => v * 10), width)).to.deep.equal([
      '11111',
      '10001',
      '10001',
      '10001',
      '11111',
    ]);
  });

  it('should reject a mask whose length does not match width * height', () => {
    expect(() => floodFillBackground(new Uint8Array(4), 2, 2, 30, new Uint8Array(3))).to.throw(
      TypeError,
      'Expected `mask` to hold width * height = 4 bytes, got 3',
    );
  });

  it('should reject pixels whose length does not match width * height', () => {
    expect(() => floodFillBackground(new Uint8Array(5), 2, 2, 30)).to.throw(
      TypeError,
      'Expected `pixels` to hold width * height = 4 values, got 5',
    );
  });

  it('should reject a non-integer width', () => {
    expect(() => floodFillBackground(new Uint8Array(4), 2.5, 2, 30)).to.throw(
      TypeError,
      'Expected `width` to be an integer >= 0, got 2.5',
    );
  });

  it('should fill exactly the pixels a plain 4-connected search from the border reaches', () => {
    // Mazes of dark and bright with winding runs, shapes where a scanline fill can go wrong.
    let state = 7;
    const random = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    for (let trial = 0; trial < 300; trial++) {
      const width = 1 + Math.floor(random() * 23);
      const height = 1 + Math.floor(random() * 23);
      const darkShare = random();
      const pixels = Uint8Array.from({ length: width * height }, () => (random() < darkShare ? 10 : 200));
      const expected = referenceMask(pixels, width, height, 30);
      const mask = new Uint8Array(width * height).fill(9);
      const filled = floodFillBackground(pixels, width, height, 30, mask);
      expect(Array.from(mask), `${width}×${height} trial ${trial}`).to.deep.equal(Array.from(expected));
      expect(filled).to.equal(expected.reduce((sum, v) => sum + v, 0));
      const zeroed = Uint8Array.from(pixels);
      expect(floodFillBackground(zeroed, width, height, 30)).to.equal(filled);
      expect(Array.from(zeroed)).to.deep.equal(Array.from(pixels, (v, i) => (expected[i] === 1 ? 0 : v)));
    }
  });

  it('should judge every 8-bit value against any tolerance, whatever the width and alignment', () => {
    // Words of four pixels are judged at once where a row allows: values next to the tolerance,
    // runs that end mid-word, rows that are not whole words and data not at a word boundary.
    let state = 11;
    const random = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    const tolerances = [0, 0.5, 1, 2, 29.5, 30, 31, 100, 127, 128, 128.5, 129, 200, 255, 256];
    for (let trial = 0; trial < 400; trial++) {
      const width = 1 + Math.floor(random() * 41);
      const height = 1 + Math.floor(random() * 9);
      const tolerance = tolerances[trial % tolerances.length]!;
      const offset = Math.floor(random() * 4);
      const runLength = 1 + Math.floor(random() * 12);
      const storage = new Uint8Array(width * height + offset);
      const pixels = storage.subarray(offset);
      let value = 0;
      for (let i = 0; i < pixels.length; i++) {
        if (i % runLength === 0) {
          const near = Math.floor(tolerance) + Math.floor(random() * 5) - 2;
          value = random() < 0.5 ? Math.max(0, Math.min(255, near)) : Math.floor(random() * 256);
        }
        pixels[i] = value;
      }
      const expected = referenceMask(pixels, width, height, tolerance);
      const mask = new Uint8Array(width * height);
      const filled = floodFillBackground(pixels, width, height, tolerance, mask);
      const label = `${width}×${height} at offset ${offset}, tolerance ${tolerance}, trial ${trial}`;
      expect(Array.from(mask), label).to.deep.equal(Array.from(expected));
      expect(filled, label).to.equal(expected.reduce((sum, v) => sum + v, 0));
    }
  });

  it('should give the same answer when called again on a smaller image after a larger one', () => {
    const big = new Uint8Array(64 * 64);
    expect(floodFillBackground(big, 64, 64, 30)).to.equal(64 * 64);
    const { pixels, width, height } = grid(['111', '191', '111']);
    expect(floodFillBackground(pixels, width, height, 30)).to.equal(8);
    expect(rows(pixels, width)).to.deep.equal(['000', '090', '000']);
  });
});

/** Breadth-first search from every dark border pixel, one neighbour at a time: the definition. */
function referenceMask(pixels: Uint8Array, width: number, height: number, tolerance: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const queue: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const onBorder = x === 0 || y === 0 || x === width - 1 || y === height - 1;
      if (onBorder && pixels[y * width + x]! < tolerance) {
        mask[y * width + x] = 1;
        queue.push(y * width + x);
      }
    }
  }
  while (queue.length > 0) {
    const index = queue.shift()!;
    const x = index % width;
    const y = Math.floor(index / width);
    for (const [nx, ny] of [[x - 1, y], [x + 1, y], [x, y - 1], [x, y + 1]] as const) {
      const next = ny * width + nx;
      if (nx >= 0 && ny >= 0 && nx < width && ny < height && mask[next] === 0 && pixels[next]! < tolerance) {
        mask[next] = 1;
        queue.push(next);
      }
    }
  }
  return mask;
}
