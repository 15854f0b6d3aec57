import type { AgentEvent } from './AgentEvent.js';
import { formatBytes, formatRate, formatWait } from './formatQuantities.js';
import type { SkippedSummary } from './summarizeSkipped.js';

/** Keys never written to a log, however they got into an event. */
const secretKey = /^(password|authorization|proxy-authorization)$/i;

/**
 * Formats one agent event (or a {@link SkippedSummary}) as one log line, for people or for log shippers.
 *
 * `'human'` gives an ISO time, a verb, the path and the figures that matter in human units;
 * `'json'` gives one JSON object with an ISO `time` followed by every field of the event.
 * Either way the result has no line break (newlines in error texts become spaces or `\n`
 * escapes), and `password`/`authorization` keys are dropped at any depth as a safeguard.
 *
 * ```ts
 * formatLogLine({ type: 'uploaded', at: 0, path: '/d/a.png', bytes: 2048, status: 200, durationMs: 500 }, 'human');
 * // '1970-01-01T00:00:00.000Z uploaded /d/a.png 2.0 KiB HTTP 200 in 500ms (4.1 kB/s)'
 * declare const event: AgentEvent;
 * formatLogLine(event, 'json');
 * // '{"time":"1970-01-01T00:00:00.000Z","type":"uploaded","at":0,"path":"/d/a.png",...}'
 * ```
 *
 * @param event What happened.
 * @param format `'human'` or `'json'`.
 * @returns The line, without a line ending.
 */
export function formatLogLine(event: AgentEvent | SkippedSummary, format: 'human' | 'json'): string {
  if (format !== 'human' && format !== 'json') {
    throw new TypeError(`Expected \`format\` to be 'human' or 'json', got ${JSON.stringify(format)}`);
  }
  const time = Number.isFinite(event.at) ? new Date(event.at).toISOString() : null;
  if (format === 'json') {
    // The usual event is flat and harmless, and a replacer costs a call per key: at a thousand
    // files a second the log is one of the agent's larger costs.
    if (isPlain(event)) return JSON.stringify({ time, ...event });
    return JSON.stringify({ time, ...event }, (key, value: unknown) => {
      if (key !== '' && secretKey.test(key)) return undefined;
      // Error objects stringify as {} and would lose the very thing the log is for.
      if (value instanceof Error) return { name: value.name, message: value.message };
      return value;
    });
  }
  return `${time ?? String(event.at)} ${oneLine(describe(event))}`;
}

function describe(event: AgentEvent | SkippedSummary): string {
  switch (event.type) {
    case 'skipped-summary':
      return `skipped ${event.files} files (${formatBytes(event.bytes)}): ${event.reason}`;
    case 'seen':
      return `seen ${event.path} ${formatBytes(event.bytes)}`;
    case 'skipped':
      return `skipped ${event.path} ${formatBytes(event.bytes)}: ${event.reason}`;
    case 'reduce-start':
      return `reducing ${event.path}`;
    case 'reduced':
      return event.reduced
        ? `reduced ${event.path} ${formatBytes(event.bytesIn)} -> ${formatBytes(event.bytesOut)} in ${formatMs(event.cpuMs)} CPU`
        : `not reduced ${event.path} (${event.reason ?? 'no gain'}) in ${formatMs(event.cpuMs)} CPU`;
    case 'upload-start':
      return `uploading ${event.path} ${formatBytes(event.bytes)}`;
    case 'uploaded': {
      const rate = event.durationMs > 0 ? ` (${formatRate(event.bytes / (event.durationMs / 1000))})` : '';
      return `uploaded ${event.path} ${formatBytes(event.bytes)} HTTP ${event.status} in ${formatMs(event.durationMs)}${rate}`;
    }
    case 'retried':
      return `retrying ${event.path} (attempt ${event.attempt}) in ${formatMs(event.delayMs)}: ${event.error}`;
    case 'failed':
      return `failed ${event.path}${event.status > 0 ? ` HTTP ${event.status}` : ''}: ${event.error}`;
    case 'ledger-degraded':
      return (
        `ledger cannot write (${event.code}), retrying in ${formatWait(event.retryInMs)} (attempt ${event.attempt}); ` +
        `no new files start until it can: ${event.error}`
      );
    case 'ledger-recovered':
      return `ledger writable again after ${formatMs(event.downMs)} (${event.failedWrites} failed writes so far); carrying on`;
    case 'ledger-repaired':
      return `warning: ${event.message}`;
    case 'waiting':
      return `waiting ${event.files} files (${formatBytes(event.bytes)}) found and not yet admitted`;
    default: {
      const unknown = event as { type?: unknown; path?: unknown };
      return `${String(unknown.type)} ${String(unknown.path)}`;
    }
  }
}

/** Whether the event has no nested value (an error, an object) and no key the log must drop. */
function isPlain(event: AgentEvent | SkippedSummary): boolean {
  for (const key in event) {
    const value = (event as unknown as Record<string, unknown>)[key];
    if ((typeof value === 'object' && value !== null) || secretKey.test(key)) return false;
  }
  return true;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t\x00-\x1f\x7f]+/g, ' ');
}
