import type { AgentConfig } from './AgentConfig.js';

type Kind =
  | { kind: 'string'; secret?: boolean; pathLike?: boolean }
  | { kind: 'strings' }
  | { kind: 'integer'; min: number; max?: number }
  | { kind: 'number'; min: number; exclusive?: boolean }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] };

/** What each field accepts; the single source for validation, suggestions and docs. */
export const fields: { readonly [K in keyof AgentConfig]-?: Kind } = {
  path: { kind: 'string', pathLike: true },
  include: { kind: 'strings' },
  tag: { kind: 'string' },
  host: { kind: 'string' },
  username: { kind: 'string' },
  password: { kind: 'string', secret: true },
  passwordFile: { kind: 'string', pathLike: true },
  concurrency: { kind: 'integer', min: 1 },
  mode: { kind: 'enum', values: ['none', 'fifo', 'splines', 'oracle', 'adaptive'] },
  cores: { kind: 'integer', min: 1 },
  uploadSlots: { kind: 'integer', min: 1 },
  reduce: { kind: 'boolean' },
  tolerance: { kind: 'number', min: 0 },
  pngEffort: { kind: 'enum', values: ['auto', 'fast', 'default', 'small'] },
  stateDir: { kind: 'string', pathLike: true },
  resend: { kind: 'boolean' },
  deleteAfterUpload: { kind: 'boolean' },
  maxRetries: { kind: 'integer', min: 0 },
  ca: { kind: 'string', pathLike: true },
  logFormat: { kind: 'enum', values: ['human', 'json'] },
  quiet: { kind: 'boolean' },
  verbose: { kind: 'boolean' },
  metricsPort: { kind: 'integer', min: 0, max: 65535 },
  statusInterval: { kind: 'number', min: 0, exclusive: true },
  grace: { kind: 'number', min: 0 },
  streamId: { kind: 'string' },
  retryCap: { kind: 'number', min: 0, exclusive: true },
  poll: { kind: 'integer', min: 1 },
  settleMs: { kind: 'integer', min: 0 },
  rescan: { kind: 'number', min: 0 },
  once: { kind: 'boolean' },
  idleExit: { kind: 'number', min: 0 },
  nats: { kind: 'strings' },
  bucket: { kind: 'string' },
  replicas: { kind: 'integer', min: 1, max: 5 },
  bucketMaxBytes: { kind: 'integer', min: 1 },
  natsCreds: { kind: 'string', pathLike: true },
  natsUser: { kind: 'string' },
  natsPassword: { kind: 'string', secret: true },
  natsPasswordFile: { kind: 'string', pathLike: true },
};

export type FieldName = keyof AgentConfig;

export const fieldNames = Object.keys(fields) as FieldName[];

export function isFieldName(key: string): key is FieldName {
  return Object.prototype.hasOwnProperty.call(fields, key);
}

/** Environment variables read, and the field each sets. */
export const envVars: Readonly<Record<string, FieldName>> = {
  HASTE_HOST: 'host',
  HASTE_USERNAME: 'username',
  HASTE_PASSWORD: 'password',
  HASTE_TAG: 'tag',
  // The names the nats CLI reads.
  NATS_URL: 'nats',
  NATS_CREDS: 'natsCreds',
  NATS_USER: 'natsUser',
  NATS_PASSWORD: 'natsPassword',
};

export type Checked = { ok: true; value: unknown } | { ok: false; message: string };

/**
 * Checks one value against its field.
 *
 * `fromText` is for env vars and command-line flags, where everything arrives as a string:
 * numbers, booleans and comma-separated lists are parsed from it. A JSON file has real types,
 * so `"4"` there is an error rather than a guess.
 */
export function checkField(name: FieldName, value: unknown, fromText: boolean): Checked {
  const spec = fields[name];
  const got = (): string => describeValue(value, spec.kind === 'string' && spec.secret === true);
  const fail = (expectation: string, hint = ''): Checked => ({
    ok: false,
    message: `\`${name}\` must be ${expectation}, got ${got()}${hint}`,
  });
  const text = fromText && typeof value === 'string' ? value.trim() : undefined;

  switch (spec.kind) {
    case 'string':
      return typeof value === 'string' && value.trim() !== '' ? { ok: true, value } : fail('a non-empty string');
    case 'strings': {
      const list = text !== undefined ? text.split(',').map((part) => part.trim()) : value;
      return Array.isArray(list) && list.length > 0 && list.every((item) => typeof item === 'string' && item.trim() !== '')
        ? { ok: true, value: Object.freeze([...(list as string[])]) }
        : fail(fromText ? 'a comma-separated list of non-empty strings' : 'a non-empty array of non-empty strings');
    }
    case 'integer': {
      const number = text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : value;
      const range = spec.max === undefined ? `>= ${spec.min}` : `from ${spec.min} to ${spec.max}`;
      return typeof number === 'number' && Number.isInteger(number) && number >= spec.min && (spec.max === undefined || number <= spec.max)
        ? { ok: true, value: number }
        : fail(`an integer ${range}`);
    }
    case 'number': {
      const number = text !== undefined && text !== '' && Number.isFinite(Number(text)) ? Number(text) : value;
      const inRange = (n: number): boolean => (spec.exclusive === true ? n > spec.min : n >= spec.min);
      return typeof number === 'number' && Number.isFinite(number) && inRange(number)
        ? { ok: true, value: number }
        : fail(`a number ${spec.exclusive === true ? '>' : '>='} ${spec.min}`);
    }
    case 'boolean': {
      const parsed =
        text === undefined ? value : /^(true|1|yes|on)$/i.test(text) ? true : /^(false|0|no|off)$/i.test(text) ? false : value;
      return typeof parsed === 'boolean' ? { ok: true, value: parsed } : fail('true or false');
    }
    case 'enum': {
      if (typeof value === 'string' && spec.values.includes(value)) return { ok: true, value };
      const guess = typeof value === 'string' ? suggest(value, spec.values) : undefined;
      return fail(`one of ${spec.values.map((v) => `'${v}'`).join(', ')}`, guess === undefined ? '' : ` (did you mean \`${guess}\`?)`);
    }
  }
}

function describeValue(value: unknown, secret: boolean): string {
  // Never echo what might be a mistyped password into a terminal or a CI log.
  if (secret) return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** The closest candidate within a small edit distance, ignoring case, `-` and `_`. */
export function suggest(input: string, candidates: readonly string[]): string | undefined {
  const squash = (text: string): string => text.toLowerCase().replace(/[-_]/g, '');
  const wanted = squash(input);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(wanted, squash(candidate));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(wanted.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

function editDistance(a: string, b: string): number {
  // Damerau (optimal string alignment) so a swapped pair like `hots`/`host` counts as one slip.
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}

/** `uploadSlots` → `--upload-slots`, as commander spells the flag. */
export function flagName(field: string): string {
  return `--${field.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
}
