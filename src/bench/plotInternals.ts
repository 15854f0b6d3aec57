// Shared machinery of the benchmark's SVG charts: escaping, scales, nice ticks, box statistics
// and axis drawing. Charts are plain strings so they need no DOM and render with librsvg.

/** Font stack that librsvg resolves on a stock Linux box as well as in browsers. */
export const FONT_FAMILY = "'DejaVu Sans', Verdana, sans-serif";

/**
 * Okabe–Ito colours, distinguishable with the common colour-vision deficiencies; the yellow is
 * left out because it vanishes on white.
 */
export const PALETTE: readonly string[] = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

/** Dash patterns cycled with the colours, so series stay apart in greyscale print too. */
export const DASHES: readonly string[] = ['', '7 3', '2 3', '9 3 2 3'];

/** Escapes text for use in XML character data and double-quoted attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** Rounds a coordinate to two decimals so long paths stay short. */
export function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** Rough rendered width of `text` in DejaVu Sans at `fontSize`; good enough for layout. */
export function textWidth(text: string, fontSize: number): number {
  return text.length * fontSize * 0.6;
}

/** Smallest and largest of `values`; a loop, because spreading 100k points into Math.min overflows the stack. */
export function extent(values: Iterable<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return [min, max];
}

/** Maps a domain interval linearly onto a range interval (which may run backwards, as y does). */
export function linearScale(domainMin: number, domainMax: number, rangeMin: number, rangeMax: number): (v: number) => number {
  const span = domainMax - domainMin;
  if (span === 0) return () => (rangeMin + rangeMax) / 2;
  return (value) => rangeMin + ((value - domainMin) / span) * (rangeMax - rangeMin);
}

/** Axis ticks at round numbers: the domain is widened to whole steps of 1, 2, 2.5 or 5 × 10ⁿ. */
export interface NiceTicks {
  readonly min: number;
  readonly max: number;
  readonly step: number;
  readonly ticks: readonly number[];
}

/**
 * Chooses about `target` ticks at round values covering [min, max]. A degenerate range is
 * widened around its value so the axis still has extent.
 */
export function niceTicks(min: number, max: number, target = 5): NiceTicks {
  if (!Number.isFinite(min) || !Number.isFinite(max)) {
    min = 0;
    max = 1;
  }
  if (min > max) [min, max] = [max, min];
  if (min === max) {
    // All-zero data (an empty queue) reads best on a 0..1 axis rather than one centred on 0.
    if (min === 0) max = 1;
    else {
      min -= Math.abs(min) * 0.1;
      max += Math.abs(max) * 0.1;
    }
  }
  const rough = (max - min) / Math.max(1, target);
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough * (1 - 1e-9))!;
  const first = Math.floor(min / step + 1e-9);
  const last = Math.ceil(max / step - 1e-9);
  const ticks: number[] = [];
  // Multiply rather than accumulate so 0.1 + 0.2 never shows up as 0.30000000000000004.
  for (let i = first; i <= last; i++) ticks.push(Number((i * step).toPrecision(12)));
  return { min: ticks[0], max: ticks[ticks.length - 1], step, ticks };
}

const SI_PREFIXES: ReadonlyArray<[number, string]> = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/**
 * Formats a tick value with just enough decimals for `step`, using k/M/G/T for values of ten
 * thousand and more so large byte counts stay short.
 */
export function formatTick(value: number, step: number, largest: number): string {
  if (value === 0) return '0';
  let divisor = 1;
  let suffix = '';
  if (Math.abs(largest) >= 1e4) {
    [divisor, suffix] = SI_PREFIXES.find(([d]) => Math.abs(largest) >= d) ?? SI_PREFIXES[SI_PREFIXES.length - 1];
  }
  const scaledStep = step / divisor;
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(scaledStep) - 1e-9)));
  // 2.5-steps need one more decimal than their magnitude suggests.
  const extra = Number((scaledStep * 10 ** decimals).toFixed(6)) % 1 === 0 ? 0 : 1;
  return `${(value / divisor).toFixed(decimals + extra)}${suffix}`;
}

/** Five-number summary with Tukey whiskers. */
export interface BoxStats {
  readonly count: number;
  readonly min: number;
  readonly max: number;
  readonly q1: number;
  readonly median: number;
  readonly q3: number;
  /** Smallest value at or above q1 − 1.5·IQR. */
  readonly whiskerLow: number;
  /** Largest value at or below q3 + 1.5·IQR. */
  readonly whiskerHigh: number;
  /** Values beyond the whiskers, ascending. */
  readonly outliers: readonly number[];
}

/** The `p` quantile of ascending `sorted` by linear interpolation between order statistics (R type 7). */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const position = (sorted.length - 1) * p;
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** Box-plot statistics of `values` (any order); undefined for no values. */
export function boxStats(values: readonly number[]): BoxStats | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const q1 = quantile(sorted, 0.25);
  const q3 = quantile(sorted, 0.75);
  const fence = 1.5 * (q3 - q1);
  const inside = sorted.filter((v) => v >= q1 - fence && v <= q3 + fence);
  return {
    count: sorted.length,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    q1,
    median: quantile(sorted, 0.5),
    q3,
    whiskerLow: inside[0],
    whiskerHigh: inside[inside.length - 1],
    outliers: sorted.filter((v) => v < q1 - fence || v > q3 + fence),
  };
}

/** The plotting rectangle inside the margins. */
export interface PlotArea {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Opening of a chart: white background and the title. */
export function svgOpen(width: number, height: number, title: string): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT_FAMILY)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${fmt(width / 2)}" y="28" text-anchor="middle" font-size="18" font-weight="bold" fill="#222222">${escapeXml(title)}</text>`,
  ].join('\n');
}

/** Horizontal grid lines, tick labels and the rotated label of a y axis. */
export function yAxis(area: PlotArea, ticks: NiceTicks, y: (v: number) => number, label: string): string {
  const largest = Math.max(Math.abs(ticks.min), Math.abs(ticks.max));
  const parts = ticks.ticks.map((tick) => {
    const at = fmt(y(tick));
    return (
      `<line x1="${area.left}" y1="${at}" x2="${area.left + area.width}" y2="${at}" stroke="#e3e3e3" stroke-width="1"/>` +
      `<text x="${area.left - 8}" y="${at}" dy="0.35em" text-anchor="end" font-size="13" fill="#333333">${escapeXml(formatTick(tick, ticks.step, largest))}</text>`
    );
  });
  const middle = fmt(area.top + area.height / 2);
  parts.push(
    `<line x1="${area.left}" y1="${area.top}" x2="${area.left}" y2="${area.top + area.height}" stroke="#444444" stroke-width="1"/>`,
    `<text transform="translate(${fmt(area.left - 62)} ${middle}) rotate(-90)" text-anchor="middle" font-size="14" fill="#222222">${escapeXml(label)}</text>`,
  );
  return parts.join('\n');
}

/** Tick marks, tick labels and the label of an x axis. */
export function xAxis(area: PlotArea, ticks: NiceTicks, x: (v: number) => number, label: string): string {
  const bottom = area.top + area.height;
  const largest = Math.max(Math.abs(ticks.min), Math.abs(ticks.max));
  const parts = ticks.ticks.map((tick) => {
    const at = fmt(x(tick));
    return (
      `<line x1="${at}" y1="${area.top}" x2="${at}" y2="${bottom}" stroke="#f0f0f0" stroke-width="1"/>` +
      `<line x1="${at}" y1="${bottom}" x2="${at}" y2="${bottom + 5}" stroke="#444444" stroke-width="1"/>` +
      `<text x="${at}" y="${bottom + 20}" text-anchor="middle" font-size="13" fill="#333333">${escapeXml(formatTick(tick, ticks.step, largest))}</text>`
    );
  });
  parts.push(
    `<line x1="${area.left}" y1="${bottom}" x2="${area.left + area.width}" y2="${bottom}" stroke="#444444" stroke-width="1"/>`,
    `<text x="${fmt(area.left + area.width / 2)}" y="${bottom + 44}" text-anchor="middle" font-size="14" fill="#222222">${escapeXml(label)}</text>`,
  );
  return parts.join('\n');
}
