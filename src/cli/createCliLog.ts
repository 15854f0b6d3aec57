import { formatNotice, type Notice } from '../observe/formatNotice.js';
import type { CliIo } from './CliIo.js';

/** Options for {@link createCliLog}. */
export interface CliLogOptions {
  /** `'json'` writes every line as one JSON object; `'human'` as text. */
  readonly format: 'human' | 'json';
  /** The command's name, put before human errors and notices that ask for it (`haste-agent gateway`). */
  readonly prefix: string;
  /**
   * Clock for the JSON lines' `time`.
   * @default Date.now
   */
  readonly now?: () => number;
}

/** Where a command writes what is not an agent event, in the format it was asked for. */
export interface CliLog {
  readonly format: 'human' | 'json';
  /** The notice as one line, without a line ending; `prefixed` puts the command's name before a human one. */
  line(notice: Notice, prefixed?: boolean): string;
  /** Writes the notice to stderr (or `stream`), with the command's name before it if `prefixed`. */
  say(notice: Notice, options?: { readonly prefixed?: boolean; readonly stream?: 'stdout' | 'stderr' }): void;
  /** Reports an error on stderr as `<prefix>: message` (or `{"type":"error",…}`) and sets the exit code. */
  fail(message: string, exitCode?: number): void;
}

/**
 * The CLI's own lines (notices, summaries, errors) in the format the user chose, so that with
 * `--log-format json` every line a command writes parses as JSON, while the human text stays
 * what it was.
 *
 * ```ts
 * declare const io: Parameters<typeof createCliLog>[0];
 * const log = createCliLog(io, { format: 'json', prefix: 'haste-agent' });
 * log.say({ type: 'metrics', message: 'metrics on http://127.0.0.1:9464/metrics', url: 'http://127.0.0.1:9464/metrics' });
 * log.fail('missing --host (or HASTE_HOST); see --help'); // {"time":…,"type":"error","message":"missing --host …","exitCode":2}
 * ```
 *
 * @param io Where to write.
 * @param options The format and the command's name.
 * @returns The command's log.
 */
export function createCliLog(io: CliIo, options: CliLogOptions): CliLog {
  const { format, prefix } = options;
  const now = options.now ?? Date.now;
  const line = (notice: Notice, prefixed = false): string => {
    const text = formatNotice(notice, format, now());
    return format === 'human' && prefixed ? `${prefix}: ${text}` : text;
  };
  const say: CliLog['say'] = (notice, where = {}) => {
    (where.stream === 'stdout' ? io.stdout : io.stderr).write(`${line(notice, where.prefixed ?? false)}\n`);
  };
  return {
    format,
    line,
    say,
    fail(message: string, exitCode = 2): void {
      say({ type: 'error', message, exitCode }, { prefixed: true });
      process.exitCode = exitCode;
    },
  };
}
