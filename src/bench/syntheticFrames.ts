// Pixel machinery for synthesizeDataset: seeded randomness, a tileable specimen texture, noise
// tables and the per-frame specimen outline. Kept apart so the exported file reads as the model.

/** Pixels at or above this are specimen; the reducer fills border-connected pixels below 30. */
export const SPECIMEN_FLOOR = 80;
/** Brightest value of the dark surround; leaves a margin below the reducer's tolerance of 30. */
export const SURROUND_CEILING = 25;

/** A mulberry32 generator: 32-bit state, uniform floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes a seed with a stream number so every frame has its own reproducible generator. */
export function mixSeed(seed: number, stream: number): number {
  let h = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Parameters of the slow stage drift, drawn once per dataset from the seed. */
export interface DriftModel {
  /** Base specimen radius as a fraction of the frame side. */
  readonly radius: number;
  /** Amplitudes (fraction of the side) and periods (frames) of the two radius sinusoids. */
  readonly radiusWaves: readonly Wave[];
  /** Centre offset waves along x and y, as fractions of the side. */
  readonly centreXWaves: readonly Wave[];
  readonly centreYWaves: readonly Wave[];
  /** Lobes: relative amplitude wave and angular speed (radians per frame) for 2- and 3-fold lobes. */
  readonly lobes: readonly Lobe[];
  /** Relative beam intensity flicker of the specimen from frame to frame. */
  readonly flicker: number;
}

/** `amplitude · sin(2π · frame / periodFrames + phase)`. */
export interface Wave {
  readonly amplitude: number;
  readonly periodFrames: number;
  readonly phase: number;
}

/** A `fold`-fold bulge of the outline whose size swells on a sinusoid and whose angle turns steadily. */
export interface Lobe {
  readonly fold: 2 | 3;
  readonly maxAmplitude: number;
  readonly periodFrames: number;
  readonly phase: number;
  readonly spinPerFrame: number;
  readonly angle0: number;
}

/** Draws the phases of the drift from the dataset's generator; periods and amplitudes are fixed. */
export function drawDriftModel(random: () => number): DriftModel {
  const phase = () => random() * 2 * Math.PI;
  // A 120-frame main period: any 60 consecutive frames cover at least a full half swing,
  // and neighbours differ by a few percent of the frame, like a slowly moving stage.
  return {
    radius: 0.42,
    radiusWaves: [
      { amplitude: 0.2, periodFrames: 120, phase: phase() },
      { amplitude: 0.05, periodFrames: 47, phase: phase() },
    ],
    centreXWaves: [
      { amplitude: 0.08, periodFrames: 173, phase: phase() },
      { amplitude: 0.03, periodFrames: 61, phase: phase() },
    ],
    centreYWaves: [
      { amplitude: 0.08, periodFrames: 151, phase: phase() },
      { amplitude: 0.03, periodFrames: 71, phase: phase() },
    ],
    lobes: [
      { fold: 2, maxAmplitude: 0.14, periodFrames: 89, phase: phase(), spinPerFrame: 0.011, angle0: phase() },
      { fold: 3, maxAmplitude: 0.08, periodFrames: 67, phase: phase(), spinPerFrame: -0.017, angle0: phase() },
    ],
    flicker: 0.04,
  };
}

function waves(list: readonly Wave[], index: number): number {
  let sum = 0;
  for (const wave of list) sum += wave.amplitude * Math.sin((2 * Math.PI * index) / wave.periodFrames + wave.phase);
  return sum;
}

/** The specimen outline of one frame, in pixels. */
export interface FrameShape {
  readonly cx: number;
  readonly cy: number;
  readonly radius: number;
  /** Lobe terms as (amplitude·cos, amplitude·sin) of the lobe angle, for 2- and 3-fold. */
  readonly c2: number;
  readonly s2: number;
  readonly c3: number;
  readonly s3: number;
}

/** The specimen outline of frame `index` in a `size`-pixel frame. */
export function frameShape(model: DriftModel, index: number, size: number): FrameShape {
  const lobeTerms = { 2: [0, 0], 3: [0, 0] } as Record<2 | 3, [number, number]>;
  for (const lobe of model.lobes) {
    const amplitude =
      lobe.maxAmplitude * 0.5 * (1 + Math.sin((2 * Math.PI * index) / lobe.periodFrames + lobe.phase));
    const angle = lobe.fold * (lobe.angle0 + lobe.spinPerFrame * index);
    lobeTerms[lobe.fold] = [amplitude * Math.cos(angle), amplitude * Math.sin(angle)];
  }
  return {
    cx: size * (0.5 + waves(model.centreXWaves, index)),
    cy: size * (0.5 + waves(model.centreYWaves, index)),
    radius: size * (model.radius + waves(model.radiusWaves, index)),
    c2: lobeTerms[2][0],
    s2: lobeTerms[2][1],
    c3: lobeTerms[3][0],
    s3: lobeTerms[3][1],
  };
}

function smoothstep(t: number): number {
  return t * t * (3 - 2 * t);
}

/**
 * Adds one octave of tileable value noise (a `cells`×`cells` lattice, smoothly interpolated
 * and wrapped) times `weight` into `field`, a `side`×`side` image.
 */
function addValueNoise(field: Float32Array, side: number, cells: number, weight: number, random: () => number): void {
  const lattice = new Float32Array(cells * cells);
  for (let i = 0; i < lattice.length; i++) lattice[i] = random();
  const x0 = new Int32Array(side);
  const x1 = new Int32Array(side);
  const fx = new Float32Array(side);
  for (let x = 0; x < side; x++) {
    const gx = (x * cells) / side;
    const ix = Math.floor(gx);
    x0[x] = ix % cells;
    x1[x] = (ix + 1) % cells;
    fx[x] = smoothstep(gx - ix);
  }
  for (let y = 0; y < side; y++) {
    const gy = (y * cells) / side;
    const iy = Math.floor(gy);
    const fy = smoothstep(gy - iy);
    const row0 = (iy % cells) * cells;
    const row1 = ((iy + 1) % cells) * cells;
    const out = y * side;
    for (let x = 0; x < side; x++) {
      const a = lattice[row0 + x0[x]] + (lattice[row0 + x1[x]] - lattice[row0 + x0[x]]) * fx[x];
      const b = lattice[row1 + x0[x]] + (lattice[row1 + x1[x]] - lattice[row1 + x0[x]]) * fx[x];
      field[out + x] += weight * (a + (b - a) * fy);
    }
  }
}

/**
 * A tileable specimen texture, values in [SPECIMEN_FLOOR, 255]: large soft blobs, medium
 * mottling and fine grain from four octaves of value noise, crossed by thin darker cell walls
 * (a level set of a separate noise field).
 */
export function specimenTexture(side: number, random: () => number): Uint8Array {
  const field = new Float32Array(side * side);
  const octaves: ReadonlyArray<[number, number]> = [
    [4, 0.45],
    [16, 0.3],
    [64, 0.15],
    [256, 0.1],
  ];
  for (const [cells, weight] of octaves) addValueNoise(field, side, Math.min(cells, side), weight, random);
  const walls = new Float32Array(side * side);
  addValueNoise(walls, side, Math.min(24, side), 1, random);
  const texture = new Uint8Array(side * side);
  for (let i = 0; i < texture.length; i++) {
    // Value noise concentrates near 0.5; stretching the sum gives the full bright range.
    let value = 100 + 210 * (field[i] - 0.5) + 70;
    if (Math.abs(walls[i] - 0.5) < 0.02) value -= 55;
    texture[i] = value < SPECIMEN_FLOOR ? SPECIMEN_FLOOR : value > 255 ? 255 : value;
  }
  return texture;
}

/** Length of the noise tables: far longer than deflate's 32 KiB window, so noise never repeats within it. */
export const NOISE_TABLE_LENGTH = 1 << 20;

/** Dark-surround noise: a triangular distribution over 0..SURROUND_CEILING, nearly incompressible. */
export function surroundNoiseTable(random: () => number): Uint8Array {
  const table = new Uint8Array(NOISE_TABLE_LENGTH);
  const half = SURROUND_CEILING / 2;
  for (let i = 0; i < table.length; i++) table[i] = Math.round((random() + random()) * half);
  return table;
}

/** Per-pixel detector grain on the specimen, -12..12. */
export function grainTable(random: () => number): Int8Array {
  const table = new Int8Array(NOISE_TABLE_LENGTH);
  for (let i = 0; i < table.length; i++) table[i] = Math.round((random() + random() + random() - 1.5) * 8);
  return table;
}

/** Everything a frame needs that is shared across the dataset. */
export interface FrameAssets {
  readonly size: number;
  readonly margin: number;
  readonly textureSide: number;
  readonly texture: Uint8Array;
  readonly surround: Uint8Array;
  readonly grain: Int8Array;
}

/**
 * Paints frame pixels into `pixels` (size×size, 1 channel) and returns the number of surround
 * pixels. The specimen is a star-shaped blob (every ray from its centre leaves it once), clipped
 * to stay `margin` pixels off the edge, so its complement is connected to the border.
 */
export function paintFrame(
  pixels: Uint8Array,
  assets: FrameAssets,
  shape: FrameShape,
  frameRandom: () => number,
): number {
  const { size, margin, textureSide, texture, surround, grain } = assets;
  const tableMask = NOISE_TABLE_LENGTH - 1;
  const surroundOffset = Math.floor(frameRandom() * NOISE_TABLE_LENGTH);
  const grainOffset = Math.floor(frameRandom() * NOISE_TABLE_LENGTH);
  const gain = 1 + (frameRandom() * 2 - 1) * 0.04;
  // The texture is pinned to the specimen, so it pans with the stage rather than sliding over it.
  const textureX = (((textureSide >> 1) - Math.round(shape.cx)) % textureSide + textureSide) % textureSide;
  const textureY = (((textureSide >> 1) - Math.round(shape.cy)) % textureSide + textureSide) % textureSide;
  const { cx, cy, radius, c2, s2, c3, s3 } = shape;
  const reach = radius * (1 + Math.hypot(c2, s2) + Math.hypot(c3, s3));
  const textureIndex = new Int32Array(size);
  for (let x = 0; x < size; x++) textureIndex[x] = (x + textureX) % textureSide;
  let surroundCount = 0;
  for (let y = 0; y < size; y++) {
    const row = y * size;
    const dy = y + 0.5 - cy;
    const insideRows = y >= margin && y < size - margin && Math.abs(dy) < reach;
    if (!insideRows) {
      for (let x = 0; x < size; x++) pixels[row + x] = surround[(surroundOffset + row + x) & tableMask];
      surroundCount += size;
      continue;
    }
    const textureRow = ((y + textureY) % textureSide) * textureSide;
    for (let x = 0; x < size; x++) {
      const p = row + x;
      let inside = false;
      if (x >= margin && x < size - margin) {
        const dx = x + 0.5 - cx;
        const d2 = dx * dx + dy * dy;
        if (d2 < reach * reach) {
          if (d2 === 0) {
            inside = true;
          } else {
            const d = Math.sqrt(d2);
            const cos = dx / d;
            const sin = dy / d;
            const cos2 = cos * cos - sin * sin;
            const sin2 = 2 * cos * sin;
            const cos3 = cos * (4 * cos * cos - 3);
            const sin3 = sin * (3 - 4 * sin * sin);
            const boundary = radius * (1 + c2 * cos2 + s2 * sin2 + c3 * cos3 + s3 * sin3);
            inside = d < boundary;
          }
        }
      }
      if (inside) {
        const value = texture[textureRow + textureIndex[x]] * gain + grain[(grainOffset + p) & tableMask];
        pixels[p] = value < SPECIMEN_FLOOR ? SPECIMEN_FLOOR : value > 255 ? 255 : value;
      } else {
        pixels[p] = surround[(surroundOffset + p) & tableMask];
        surroundCount++;
      }
    }
  }
  return surroundCount;
}
