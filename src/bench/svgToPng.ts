import { nonEmptyString } from '../validation.js';

/** Options for {@link svgToPng}. */
export interface SvgToPngOptions {
  /**
   * Rendering resolution in dots per inch; 72 maps one SVG pixel to one PNG pixel, so the
   * default doubles the size for crisp text on high-density screens and in print.
   * @default 144
   */
  readonly density?: number;
}

/**
 * Renders an SVG string to a PNG file with sharp (librsvg), for charts that must be viewable
 * where SVG is not, such as some issue trackers and slide decks.
 *
 * The SVG is rendered on its own background (the charts of this folder paint white), so
 * transparent SVGs stay transparent.
 *
 * ```ts
 * const groups = [{ name: 'raw', values: [61.2, 60.8] }, { name: 'splines', values: [44.1, 45.0] }];
 * await svgToPng(boxPlotSvg({ title: 'Makespan', yLabel: 'makespan (s)', groups }), 'results/makespan.png');
 * ```
 *
 * @param svg A standalone SVG document.
 * @param outPath Where to write the PNG; its folder must exist.
 * @param options Rendering density.
 * @returns The pixel size of the written PNG.
 */
export function svgToPng(svg: string, outPath: string, options: SvgToPngOptions = {}): Promise<{ width: number; height: number }> {
  if (typeof svg !== 'string' || svg.length === 0) {
    throw new TypeError(`Expected \`svg\` to be a non-empty string, got ${typeof svg}`);
  }
  nonEmptyString('outPath', outPath);
  const { density = 144 } = options;
  if (typeof density !== 'number' || !Number.isFinite(density) || density < 1 || density > 2400) {
    throw new TypeError(`Expected \`density\` to be a number from 1 to 2400, got ${density}`);
  }
  // Loaded here, not with this module: the CLI imports every command's code, and libvips costs
  // an agent ~20 MB of RSS it need not pay for a chart it never draws.
  return import('sharp').then(({ default: sharp }) =>
    sharp(Buffer.from(svg), { density })
      .png()
      .toFile(outPath)
      .then(({ width, height }) => ({ width, height })),
  );
}
