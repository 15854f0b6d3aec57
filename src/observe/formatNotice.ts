/** Keys never written to a log, however they got into a notice. */
const secretKey = /^(password|authorization|proxy-authorization)$/i;

/**
 * A line the CLI writes that is not an agent event: a notice ("metrics on …"), a status line,
 * a signal, a shutdown summary or an error. `message` is the human text; the other fields are
 * what a machine reading the JSON form needs.
 *
 * ```ts
 * const notice: Notice = { type: 'metrics', message: 'metrics on http://127.0.0.1:9464/metrics', url: 'http://127.0.0.1:9464/metrics' };
 * ```
 */
export interface Notice {
  /** What kind of line this is, such as `metrics`, `status`, `signal`, `summary` or `error`. */
  readonly type: string;
  /** The line as a person reads it. */
  readonly message: string;
  readonly [field: string]: unknown;
}

/**
 * Formats a notice as one line: its `message` for people, or one JSON object for log shippers.
 *
 * The JSON form starts with an ISO `time` and the notice's `type`, then every other field;
 * `undefined` fields become `null` so every line of a type has the same keys, and
 * `password`/`authorization` keys are dropped at any depth; it never holds a line break. The
 * human form is `message` as it is.
 *
 * ```ts
 * formatNotice({ type: 'metrics', message: 'metrics on http://127.0.0.1:9464/metrics', url: 'http://127.0.0.1:9464/metrics' }, 'json', 0);
 * // '{"time":"1970-01-01T00:00:00.000Z","type":"metrics","message":"metrics on http://…","url":"http://…"}'
 * ```
 *
 * @param notice What to say.
 * @param format `'human'` or `'json'`.
 * @param at When, in ms since the epoch, for the JSON form's `time`.
 * @returns The line, without a line ending.
 */
export function formatNotice(notice: Notice, format: 'human' | 'json', at: number): string {
  if (format !== 'human' && format !== 'json') {
    throw new TypeError(`Expected \`format\` to be 'human' or 'json', got ${JSON.stringify(format)}`);
  }
  if (notice === null || typeof notice !== 'object' || typeof notice.type !== 'string' || typeof notice.message !== 'string') {
    throw new TypeError(`Expected \`notice\` to be an object with a string \`type\` and \`message\`, got ${String(notice)}`);
  }
  if (format === 'human') return notice.message;
  const time = Number.isFinite(at) ? new Date(at).toISOString() : null;
  const { type, ...fields } = notice;
  return JSON.stringify({ time, type, ...fields }, (key, value: unknown) => {
    if (key !== '' && secretKey.test(key)) return undefined;
    if (value === undefined) return null;
    // Error objects stringify as {} and would lose the very thing the line is for.
    if (value instanceof Error) return { name: value.name, message: value.message };
    // JSON has no Infinity: an unlimited setting is written as null like an unknown one.
    if (typeof value === 'number' && !Number.isFinite(value)) return null;
    return value;
  });
}
