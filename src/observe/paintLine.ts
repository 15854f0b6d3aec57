/** A run of text drawn in one style. */
export type Segment = readonly [text: string, style?: 'label' | 'bad'];

const sgr = { label: ['\x1b[1m', '\x1b[22m'], bad: ['\x1b[31m', '\x1b[39m'] } as const;

/**
 * Joins styled segments into one line no wider than `width` visible characters.
 *
 * Truncation counts only visible characters, so colour codes never push a line past the
 * terminal edge (which would wrap and break the in-place redraw).
 */
export function paintLine(segments: readonly Segment[], width: number, color: boolean): string {
  const visible = segments.reduce((sum, [text]) => sum + [...text].length, 0);
  let budget = visible > width ? width - 1 : width;
  let line = '';
  for (const [text, style] of segments) {
    if (budget <= 0) break;
    const chars = [...text];
    const shown = chars.slice(0, budget).join('');
    budget -= Math.min(chars.length, budget);
    line += color && style !== undefined && shown !== '' ? `${sgr[style][0]}${shown}${sgr[style][1]}` : shown;
  }
  return visible > width ? `${line}…` : line;
}
