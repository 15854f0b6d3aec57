import {
  boxStats,
  escapeXml,
  extent,
  fmt,
  linearScale,
  niceTicks,
  PALETTE,
  svgOpen,
  textWidth,
  yAxis,
  type PlotArea,
} from './plotInternals.js';
import { integerBetween, objectOption, stringOption } from '../validation.js';

/** Options for {@link boxPlotSvg}. */
export interface BoxPlotSvgOptions {
  /** Chart title. */
  readonly title: string;
  /** Label of the value axis, with its unit, e.g. `'makespan (s)'`. */
  readonly yLabel: string;
  /** One box per group, left to right, e.g. one per scheduling strategy. */
  readonly groups: readonly { readonly name: string; readonly values: readonly number[] }[];
  /**
   * Draw every value as a jittered dot over its box.
   * @default true
   */
  readonly points?: boolean;
  /**
   * Width of the SVG in pixels.
   * @default max(480, 110 + 130 · groups)
   */
  readonly width?: number;
  /**
   * Height of the SVG in pixels.
   * @default 440
   */
  readonly height?: number;
}

/**
 * Draws a box plot as an SVG string, such as the makespans of repeated benchmark runs per
 * scheduling strategy.
 *
 * Each box spans the quartiles (linear interpolation, R's type 7) with a bold median line;
 * whiskers reach the furthest values within 1.5 IQR of the box and values beyond are drawn as
 * hollow circles. The value axis is widened to round ticks and need not start at 0. Group names
 * too long for their slot are slanted. Every text is XML-escaped.
 *
 * ```ts
 * const svg = boxPlotSvg({
 *   title: 'Makespan, 759 MiniTEM frames',
 *   yLabel: 'makespan (s)',
 *   groups: [{ name: 'raw', values: [61.2, 60.8] }, { name: 'spline', values: [44.1, 45.0] }],
 * });
 * await svgToPng(svg, 'makespan.png');
 * ```
 *
 * @param options Title, axis label and the groups of values.
 * @returns A standalone SVG document.
 */
export function boxPlotSvg(options: BoxPlotSvgOptions): string {
  const { title, yLabel, groups, points, width, height } = normaliseOptions(options);
  const stats = groups.map((group) => boxStats(group.values));
  const ticks = niceTicks(...extent(groups.flatMap((group) => group.values)), 6);

  const slotWidth = (width - 110) / Math.max(1, groups.length);
  const nameWidth = Math.max(0, ...groups.map((group) => textWidth(group.name, 13)));
  const slantedWidth = nameWidth + textWidth(' (n = 0000)', 11);
  const slant = nameWidth > slotWidth * 0.95;
  // Slanted names need room below the axis roughly half their length (sin 30°).
  const bottomMargin = slant ? 24 + Math.min(200, slantedWidth * 0.45) : 64;
  const area: PlotArea = { left: 90, top: 48, width: width - 110, height: height - 48 - bottomMargin };
  const y = linearScale(ticks.min, ticks.max, area.top + area.height, area.top);
  const boxWidth = Math.min(64, slotWidth * 0.55);

  const parts = [svgOpen(width, height, title), yAxis(area, ticks, y, yLabel)];
  groups.forEach((group, i) => {
    const colour = PALETTE[i % PALETTE.length];
    const centre = area.left + slotWidth * (i + 0.5);
    const labelY = area.top + area.height + 20;
    const name = escapeXml(group.name);
    parts.push(
      slant
        ? `<text transform="translate(${fmt(centre)} ${fmt(labelY - 6)}) rotate(-30)" text-anchor="end" font-size="13" fill="#222222">${name}<tspan dx="5" font-size="11" fill="#666666">(n = ${group.values.length})</tspan></text>`
        : `<text x="${fmt(centre)}" y="${fmt(labelY)}" text-anchor="middle" font-size="13" fill="#222222">${name}</text>` +
            `<text x="${fmt(centre)}" y="${fmt(labelY + 17)}" text-anchor="middle" font-size="11" fill="#666666">n = ${group.values.length}</text>`,
    );
    const box = stats[i];
    if (box === undefined) return;
    const half = boxWidth / 2;
    const capHalf = boxWidth / 4;
    parts.push(
      `<g stroke="${colour}" stroke-width="1.5" fill="none">`,
      `<line x1="${fmt(centre)}" y1="${fmt(y(box.whiskerHigh))}" x2="${fmt(centre)}" y2="${fmt(y(box.q3))}"/>`,
      `<line x1="${fmt(centre)}" y1="${fmt(y(box.q1))}" x2="${fmt(centre)}" y2="${fmt(y(box.whiskerLow))}"/>`,
      `<line x1="${fmt(centre - capHalf)}" y1="${fmt(y(box.whiskerHigh))}" x2="${fmt(centre + capHalf)}" y2="${fmt(y(box.whiskerHigh))}"/>`,
      `<line x1="${fmt(centre - capHalf)}" y1="${fmt(y(box.whiskerLow))}" x2="${fmt(centre + capHalf)}" y2="${fmt(y(box.whiskerLow))}"/>`,
      `<rect x="${fmt(centre - half)}" y="${fmt(y(box.q3))}" width="${fmt(boxWidth)}" height="${fmt(Math.max(0.5, y(box.q1) - y(box.q3)))}" fill="${colour}" fill-opacity="0.18"/>`,
      `<line x1="${fmt(centre - half)}" y1="${fmt(y(box.median))}" x2="${fmt(centre + half)}" y2="${fmt(y(box.median))}" stroke="#222222" stroke-width="2.5"/>`,
      ...box.outliers.map((v) => `<circle cx="${fmt(centre)}" cy="${fmt(y(v))}" r="4"/>`),
      '</g>',
    );
    if (points) {
      // Golden-ratio offsets spread dots evenly without randomness, so output is reproducible.
      const dots = group.values.map((v, k) => {
        const offset = ((((k + 1) * 0.618033988749895) % 1) - 0.5) * boxWidth * 0.8;
        return `<circle cx="${fmt(centre + offset)}" cy="${fmt(y(v))}" r="2.5"/>`;
      });
      parts.push(`<g fill="${colour}" fill-opacity="0.6">`, ...dots, '</g>');
    }
  });
  parts.push('</svg>');
  return parts.join('\n');
}

interface NormalisedOptions {
  readonly title: string;
  readonly yLabel: string;
  readonly groups: readonly { readonly name: string; readonly values: readonly number[] }[];
  readonly points: boolean;
  readonly width: number;
  readonly height: number;
}

function normaliseOptions(options: BoxPlotSvgOptions): NormalisedOptions {
  objectOption('options', options);
  const title = stringOption('title', options.title);
  const yLabel = stringOption('yLabel', options.yLabel);
  const { groups, points = true } = options;
  if (!Array.isArray(groups) || groups.length === 0) {
    throw new TypeError(`Expected \`groups\` to be a non-empty array, got ${JSON.stringify(groups)}`);
  }
  groups.forEach((group, i) => {
    stringOption(`groups[${i}].name`, group?.name);
    if (!Array.isArray(group.values) || !group.values.every((v: unknown) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(`Expected \`groups[${i}].values\` to be an array of finite numbers`);
    }
  });
  if (!groups.some((group) => group.values.length > 0)) {
    throw new TypeError('Expected at least one of `groups` to have values');
  }
  const width = integerBetween('width', options.width ?? Math.max(480, 110 + 130 * groups.length), 200, 10_000);
  const height = integerBetween('height', options.height ?? 440, 200, 10_000);
  return { title, yLabel, groups, points: Boolean(points), width, height };
}
