/** The named PNG encoder settings, cheapest first. */
export const PNG_EFFORTS = ['fast', 'default', 'small'] as const;

/**
 * A named PNG encoder setting: how much CPU the reducer spends to make its copy smaller.
 * `fast`: every row Average-filtered, zlib's run-length strategy (reduceImage's default);
 * `default`: libpng's usual settings, a filter chosen per row (its minimum-sum heuristic) and
 * zlib level 6 with the `filtered` strategy; `small`: the same at zlib level 9.
 */
export type PngEffort = (typeof PNG_EFFORTS)[number];

/** What a named setting means to the PNG writer. */
export interface PngEffortSettings {
  /** The named setting these come from. */
  readonly effort: PngEffort;
  /** Row filtering: one filter for every row, or the per-row choice. */
  readonly filter: 'none' | 'up' | 'average' | 'adaptive';
  /** zlib level, 1–9. */
  readonly compressionLevel: number;
  /**
   * zlib strategy: `rle` only looks for repeats of the previous byte (cheap, and filtered rows of
   * zeroed background and smooth texture are mostly that); `filtered` is libpng's usual choice
   * for filtered rows.
   */
  readonly strategy: 'default' | 'filtered' | 'rle';
}

const SETTINGS: Readonly<Record<PngEffort, PngEffortSettings>> = {
  fast: { effort: 'fast', filter: 'average', compressionLevel: 1, strategy: 'rle' },
  default: { effort: 'default', filter: 'adaptive', compressionLevel: 6, strategy: 'filtered' },
  small: { effort: 'small', filter: 'adaptive', compressionLevel: 9, strategy: 'filtered' },
};

/**
 * The zlib level, strategy and row filtering a named PNG setting stands for.
 *
 * On the synthetic 1024² frames (2026-12-01) `fast` wrote copies within 1 % of `small`'s size
 * at a fraction of its CPU, because zeroed background and filtered smooth texture are mostly
 * runs; on other images the per-row choice and a full zlib search may save much more. Which
 * pays depends on the stream and the uplink, which is why the agent can choose per stream.
 *
 * ```ts
 * const { compressionLevel, filter } = pngEffortSettings('small'); // 9, 'adaptive'
 * ```
 *
 * @param effort One of {@link PNG_EFFORTS}.
 * @returns Its settings; throws a TypeError for any other name.
 */
export function pngEffortSettings(effort: PngEffort): PngEffortSettings {
  if (!isPngEffort(effort)) {
    throw new TypeError(`Expected \`pngEffort\` to be one of ${PNG_EFFORTS.join(', ')}, got ${String(effort)}`);
  }
  return SETTINGS[effort];
}

/**
 * Whether a value names a PNG setting.
 *
 * ```ts
 * isPngEffort('fast'); // true
 * ```
 *
 * @param value Anything.
 * @returns True for `fast`, `default` and `small`.
 */
export function isPngEffort(value: unknown): value is PngEffort {
  return typeof value === 'string' && (PNG_EFFORTS as readonly string[]).includes(value);
}
