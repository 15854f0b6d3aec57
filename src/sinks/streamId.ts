/** Options for {@link streamId}. */
export interface StreamIdOptions {
  /**
   * When the agent started; formatted in the machine's local time zone, as the Python agent's
   * `datetime.today()` does, so ids line up with the instrument's own clock.
   * @default new Date()
   */
  readonly startedAt?: Date;
  /**
   * The gateway tag appended to the id; letters, digits, `_` and `-` only, so the id is safe in
   * a URL path and as a folder name.
   * @default 'vironova'
   */
  readonly tag?: string;
}

const tagPattern = /^[A-Za-z0-9_-]{1,64}$/;

const pad = (value: number, width = 2): string => String(value).padStart(width, '0');

/**
 * Names one agent run the way the HASTE Desktop Agent does: `YYYY_MM_DD__HH_MM_SS_<tag>`.
 *
 * Every file of a run is posted to `/stream/<id>`, so the gateway groups them together. The
 * time is local time (not UTC), matching the Python original.
 *
 * @example
 * ```ts
 * streamId({ startedAt: new Date(2026, 10, 25, 3, 19, 0), tag: 'vironova' });
 * // => '2026_11_25__03_19_00_vironova'
 * ```
 *
 * @param options When the run started and its tag.
 * @returns The stream id.
 */
export function streamId(options: StreamIdOptions = {}): string {
  const startedAt = options.startedAt ?? new Date();
  const tag = options.tag ?? 'vironova';
  if (!(startedAt instanceof Date) || Number.isNaN(startedAt.getTime())) {
    throw new TypeError(`Expected \`startedAt\` to be a valid Date, got ${String(startedAt)}`);
  }
  if (typeof tag !== 'string' || !tagPattern.test(tag)) {
    throw new TypeError(`Expected \`tag\` to be 1-64 letters, digits, _ or -, got ${JSON.stringify(tag)}`);
  }
  const date = `${pad(startedAt.getFullYear(), 4)}_${pad(startedAt.getMonth() + 1)}_${pad(startedAt.getDate())}`;
  const time = `${pad(startedAt.getHours())}_${pad(startedAt.getMinutes())}_${pad(startedAt.getSeconds())}`;
  return `${date}__${time}_${tag}`;
}
