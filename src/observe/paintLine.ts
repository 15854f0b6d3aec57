import stringWidth from 'string-width';

/** A run of text drawn in one style. */
export type Segment = readonly [text: string, style?: 'label' | 'bad'];

const sgr = { label: ['\x1b[1m', '\x1b[22m'], bad: ['\x1b[31m', '\x1b[39m'] } as const;
const graphemes = new Intl.Segmenter();
/** C0 and C1 control characters: a file name holding one must not move the cursor or restyle the terminal. */
const control = /[\x00-\x1f\x7f-\x9f]/g;

/**
 * Joins styled segments into one line no wider than `width` terminal columns.
 *
 * Widths are display widths (string-width): a CJK character or an emoji takes two columns, a
 * combining accent none, so a line never wraps and the block redrawn in place never leaves stale
 * rows. Cuts fall between grapheme clusters, never inside one. Colour codes count for nothing,
 * and control characters in the text are shown as `?`.
 */
export function paintLine(segments: readonly Segment[], width: number, color: boolean): string {
  const clean = segments.map(([text, style]): Segment => [text.replace(control, '?'), style]);
  const visible = clean.reduce((sum, [text]) => sum + stringWidth(text), 0);
  let budget = visible > width ? width - 1 : width;
  let line = '';
  for (const [text, style] of clean) {
    if (budget <= 0) break;
    let shown = '';
    for (const { segment } of graphemes.segment(text)) {
      const columns = stringWidth(segment);
      if (columns > budget) {
        budget = 0;
        break;
      }
      shown += segment;
      budget -= columns;
    }
    line += color && style !== undefined && shown !== '' ? `${sgr[style][0]}${shown}${sgr[style][1]}` : shown;
  }
  return visible > width ? `${line}…` : line;
}
