import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { AgentConfig } from './AgentConfig.js';
import { ConfigError } from './ConfigError.js';
import { checkField, envVars, fieldNames, fields, flagName, isFieldName, suggest, type FieldName } from './configFields.js';
import { nonEmptyString, objectOption } from '../validation.js';

/** Options for {@link loadConfig}. */
export interface LoadConfigOptions {
  /**
   * JSON config file whose keys are {@link AgentConfig} field names.
   * @default undefined (no file)
   */
  file?: string;
  /** Usually `process.env`; only `HASTE_HOST`, `HASTE_USERNAME`, `HASTE_PASSWORD`, `HASTE_TAG` and `NATS_URL`, `NATS_CREDS`, `NATS_USER`, `NATS_PASSWORD` are read. */
  env: NodeJS.ProcessEnv;
  /** Parsed command-line options keyed by field name (commander's `opts()`); other keys are ignored. */
  flags: Record<string, unknown>;
  /** Values for fields nobody set. */
  defaults: AgentConfig;
  /**
   * Throw a {@link ConfigError} when anything is wrong; when false, bad values are skipped
   * (a lower-precedence source's value is used instead) and listed in `errors`.
   * @default true
   */
  strict?: boolean;
}

/** What {@link loadConfig} returns. */
export interface LoadedConfig {
  readonly config: AgentConfig;
  /** One message per bad field; always empty when `strict`. */
  readonly errors: readonly string[];
}

/** The values one source set, already checked; `label` names the source in messages. */
type Layer = { readonly label: string; readonly values: Partial<Record<FieldName, unknown>> };

/**
 * Merges the agent's configuration from flags, environment, a JSON file and defaults.
 *
 * Precedence is flags > env > file > defaults, field by field. Every source is checked
 * against the same rules and every problem is collected, each message naming its source:
 * `config file haste.json: unknown field \`hots\` (did you mean \`host\`?)`,
 * `flag --cores: \`cores\` must be an integer >= 1, got "two"`. Flags and env vars arrive as
 * text, so `"4"`, `"true"` and `"png,tif"` are parsed there; the JSON file must use real
 * types. Relative paths in the file (`path`, `passwordFile`, `stateDir`, `ca`) are resolved
 * against the file's folder, so a config file means the same from any working directory.
 * `password` and `passwordFile` from different sources: the higher-precedence one wins; both
 * in the same source is an error.
 *
 * Environment variables: `HASTE_HOST` → `host`, `HASTE_USERNAME` → `username`,
 * `HASTE_PASSWORD` → `password`, `HASTE_TAG` → `tag`, and for the NATS sink `NATS_URL` → `nats`,
 * `NATS_CREDS` → `natsCreds`, `NATS_USER` → `natsUser`, `NATS_PASSWORD` → `natsPassword`;
 * empty ones count as unset.
 *
 * ```ts
 * declare const opts: { config?: string }, defaults: AgentConfig;
 * const { config } = loadConfig({ file: opts.config, env: process.env, flags: opts, defaults });
 * ```
 *
 * @param options The sources to merge.
 * @returns The merged config, and in non-strict mode the problems met.
 * @throws ConfigError in strict mode when any value is bad, listing them all.
 */
export function loadConfig(options: LoadConfigOptions): LoadedConfig {
  objectOption('options', options);
  const { file, env, flags, defaults } = options;
  for (const [name, value] of Object.entries({ env, flags, defaults })) {
    objectOption(name, value);
  }
  if (file !== undefined) nonEmptyString('file', file);
  const strict = options.strict ?? true;

  const errors: string[] = [];
  // Lowest precedence first, so later layers overwrite earlier ones.
  const layers: Layer[] = [
    { label: 'defaults', values: { ...defaults } },
    file === undefined ? { label: 'config file', values: {} } : readFileLayer(file, errors),
    readEnvLayer(env, errors),
    readFlagLayer(flags, errors),
  ];

  const merged: Record<string, unknown> = {};
  const rank: Partial<Record<FieldName, number>> = {};
  layers.forEach((layer, index) => {
    for (const name of fieldNames) {
      if (layer.values[name] !== undefined) {
        merged[name] = layer.values[name];
        rank[name] = index;
      }
    }
  });
  // Otherwise a password file in the config would silently override HASTE_PASSWORD, or vice versa.
  for (const [secret, file] of [['password', 'passwordFile'], ['natsPassword', 'natsPasswordFile']] as const) {
    if (merged[secret] === undefined || merged[file] === undefined) continue;
    if (rank[secret]! > rank[file]!) delete merged[file];
    else if (rank[file]! > rank[secret]!) delete merged[secret];
    else errors.push(`${layers[rank[secret]!]!.label}: set only one of \`${secret}\` and \`${file}\``);
  }

  if (strict && errors.length > 0) {
    throw new ConfigError(errors);
  }
  return { config: Object.freeze(merged) as unknown as AgentConfig, errors };
}

function readFileLayer(file: string, errors: string[]): Layer {
  const source = `config file ${file}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    errors.push(`${source}: cannot be read (${(error as Error).message})`);
    return { label: source, values: {} };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    errors.push(`${source}: is not valid JSON (${(error as Error).message})`);
    return { label: source, values: {} };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    errors.push(`${source}: must hold a JSON object of settings, got ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}`);
    return { label: source, values: {} };
  }
  const values: Partial<Record<FieldName, unknown>> = {};
  const folder = dirname(resolve(file));
  for (const [key, raw] of Object.entries(parsed)) {
    if (!isFieldName(key)) {
      const guess = suggest(key, fieldNames);
      errors.push(`${source}: unknown field \`${key}\`${guess === undefined ? '' : ` (did you mean \`${guess}\`?)`}`);
      continue;
    }
    const checked = checkField(key, raw, false);
    if (!checked.ok) {
      errors.push(`${source}: ${checked.message}`);
      continue;
    }
    const spec = fields[key];
    values[key] = spec.kind === 'string' && spec.pathLike === true ? resolve(folder, checked.value as string) : checked.value;
  }
  return { label: source, values };
}

function readEnvLayer(env: NodeJS.ProcessEnv, errors: string[]): Layer {
  const values: Partial<Record<FieldName, unknown>> = {};
  for (const [variable, name] of Object.entries(envVars)) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    const checked = checkField(name, raw, true);
    if (checked.ok) values[name] = checked.value;
    else errors.push(`environment variable ${variable}: ${checked.message}`);
  }
  return { label: 'environment', values };
}

function readFlagLayer(flags: Record<string, unknown>, errors: string[]): Layer {
  const values: Partial<Record<FieldName, unknown>> = {};
  for (const [key, raw] of Object.entries(flags)) {
    // Commander also hands over options that are not config (`--config`, `--color`).
    if (!isFieldName(key) || raw === undefined) continue;
    const checked = checkField(key, raw, true);
    if (checked.ok) values[key] = checked.value;
    else errors.push(`flag ${flagName(key)}: ${checked.message}`);
  }
  return { label: 'flags', values };
}
