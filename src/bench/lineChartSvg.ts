import {
  DASHES,
  escapeXml,
  extent,
  fmt,
  linearScale,
  niceTicks,
  PALETTE,
  svgOpen,
  textWidth,
  xAxis,
  yAxis,
  type PlotArea,
} from './plotInternals.js';
import { integerBetween, objectOption, stringOption } from '../validation.js';

/** Options for {@link lineChartSvg}. */
export interface LineChartSvgOptions {
  /** Chart title. */
  readonly title: string;
  /** Label of the x axis, with its unit, e.g. `'time (s)'`. */
  readonly xLabel: string;
  /** Label of the y axis, with its unit, e.g. `'bytes queued'`. */
  readonly yLabel: string;
  /** One line per series, drawn in the order given, each point an `[x, y]` pair. */
  readonly series: readonly { readonly name: string; readonly points: readonly (readonly [number, number])[] }[];
  /**
   * Hold each value until the next point (a staircase), which suits counters such as a queue
   * length that change at events; otherwise points are joined by straight lines.
   * @default false
   */
  readonly step?: boolean;
  /**
   * Start the y axis at 0 (or end it there, for negative data) instead of at the data.
   * @default true
   */
  readonly includeZero?: boolean;
  /**
   * Width of the SVG in pixels.
   * @default 760
   */
  readonly width?: number;
  /**
   * Height of the SVG in pixels.
   * @default 440
   */
  readonly height?: number;
}

/**
 * Draws one or more series as lines in an SVG string, such as the bytes queued over time under
 * each scheduling strategy.
 *
 * Each series gets a colour from a colour-blind-safe palette and a dash pattern, both repeated
 * in the legend at the right. Axes are widened to round ticks; large values are shown with
 * k/M/G suffixes. Every text is XML-escaped.
 *
 * ```ts
 * const svg = lineChartSvg({
 *   title: 'Upload queue',
 *   xLabel: 'time (s)',
 *   yLabel: 'bytes queued',
 *   series: [{ name: 'raw', points: [[0, 0], [1, 8e6], [2, 5e6]] }],
 *   step: true,
 * });
 * ```
 *
 * @param options Title, axis labels and the series.
 * @returns A standalone SVG document.
 */
export function lineChartSvg(options: LineChartSvgOptions): string {
  const { title, xLabel, yLabel, series, step, includeZero, width, height } = normaliseOptions(options);
  const [xMin, xMax] = extent(series.flatMap((s) => s.points.map((p) => p[0])));
  const [yMin, yMax] = extent(series.flatMap((s) => s.points.map((p) => p[1])));
  const xTicks = niceTicks(xMin, xMax, 8);
  const yTicks = niceTicks(includeZero ? Math.min(0, yMin) : yMin, includeZero ? Math.max(0, yMax) : yMax, 6);

  const legendWidth = Math.min(260, 44 + Math.max(...series.map((s) => textWidth(s.name, 13))));
  const area: PlotArea = { left: 90, top: 48, width: width - 90 - legendWidth - 28, height: height - 48 - 64 };
  const x = linearScale(xTicks.min, xTicks.max, area.left, area.left + area.width);
  const y = linearScale(yTicks.min, yTicks.max, area.top + area.height, area.top);

  const parts = [svgOpen(width, height, title), yAxis(area, yTicks, y, yLabel), xAxis(area, xTicks, x, xLabel)];
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const commands = s.points.map(([px, py], k) => {
      if (k === 0) return `M${fmt(x(px))} ${fmt(y(py))}`;
      return step ? `H${fmt(x(px))}V${fmt(y(py))}` : `L${fmt(x(px))} ${fmt(y(py))}`;
    });
    const dash = DASHES[i % DASHES.length];
    parts.push(
      `<path d="${commands.join('')}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2" stroke-linejoin="round"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
    );
  });

  const legendLeft = area.left + area.width + 20;
  series.forEach((s, i) => {
    const rowY = area.top + 8 + i * 22;
    const dash = DASHES[i % DASHES.length];
    parts.push(
      `<line x1="${legendLeft}" y1="${rowY}" x2="${legendLeft + 28}" y2="${rowY}" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`,
      `<text x="${legendLeft + 36}" y="${rowY}" dy="0.35em" font-size="13" fill="#222222">${escapeXml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

interface NormalisedOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: LineChartSvgOptions['series'];
  readonly step: boolean;
  readonly includeZero: boolean;
  readonly width: number;
  readonly height: number;
}

function normaliseOptions(options: LineChartSvgOptions): NormalisedOptions {
  objectOption('options', options);
  const title = stringOption('title', options.title);
  const xLabel = stringOption('xLabel', options.xLabel);
  const yLabel = stringOption('yLabel', options.yLabel);
  const { series, step = false, includeZero = true } = options;
  if (!Array.isArray(series) || series.length === 0) {
    throw new TypeError(`Expected \`series\` to be a non-empty array, got ${JSON.stringify(series)}`);
  }
  series.forEach((s, i) => {
    stringOption(`series[${i}].name`, s?.name);
    const valid =
      Array.isArray(s.points) &&
      s.points.every((p: unknown) => Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]));
    if (!valid) throw new TypeError(`Expected \`series[${i}].points\` to be an array of finite [x, y] pairs`);
  });
  if (!series.some((s) => s.points.length > 0)) {
    throw new TypeError('Expected at least one of `series` to have points');
  }
  const width = integerBetween('width', options.width ?? 760, 300, 10_000);
  const height = integerBetween('height', options.height ?? 440, 200, 10_000);
  return { title, xLabel, yLabel, series, step: Boolean(step), includeZero: Boolean(includeZero), width, height };
}
