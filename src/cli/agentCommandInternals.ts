import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { AgentConfig } from '../config/AgentConfig.js';

/** Values for every field nobody set; also what `--help` shows. */
export const agentDefaults: AgentConfig = {
  tag: 'vironova',
  mode: 'adaptive',
  cores: 1,
  uploadSlots: 2,
  reduce: true,
  tolerance: 30,
  pngEffort: 'auto',
  resend: false,
  deleteAfterUpload: false,
  maxRetries: Number.POSITIVE_INFINITY,
  logFormat: 'human',
  quiet: false,
  verbose: false,
  statusInterval: 10,
  grace: 30,
  retryCap: 30,
  settleMs: 500,
  rescan: 30,
  once: false,
};

/**
 * The state folder used when none is given: one per watched folder under the user's state
 * dir (`$XDG_STATE_HOME` or `~/.local/state`), so two agents on two folders never share one
 * and nothing is written inside the watched tree.
 */
export function defaultStateDir(watched: string, env: NodeJS.ProcessEnv): string {
  const root = env.XDG_STATE_HOME !== undefined && isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  const digest = createHash('sha256').update(resolve(watched)).digest('hex').slice(0, 12);
  const name = basename(resolve(watched)).replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'root';
  return join(root, 'haste-agent', `${name}-${digest}`);
}

/**
 * Why a state folder may not be used for this watched folder, or undefined when it may. Inside
 * the watched tree it would be uploaded itself, unless a dot-folder hides it from the watcher.
 */
export function stateDirProblem(watched: string, stateDir: string): string | undefined {
  const inside = relative(resolve(watched), resolve(stateDir));
  if (inside === '' ) return `the state dir ${stateDir} is the watched folder itself`;
  if (inside.startsWith('..') || isAbsolute(inside)) return undefined;
  const hidden = inside.split(sep).some((part) => part.startsWith('.'));
  return hidden ? undefined : `the state dir ${stateDir} is inside the watched folder; use a dot-folder (ignored by the watcher) or a folder outside it`;
}

/** Collects a repeatable flag into the comma-separated text loadConfig parses. */
export function collectList(value: string, previous: string | undefined): string {
  return previous === undefined ? value : `${previous},${value}`;
}
