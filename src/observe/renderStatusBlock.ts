import type { AgentStats } from './AgentStats.js';
import { describeLedgerTrouble } from './describeLedgerTrouble.js';
import { formatBytes, formatDuration, formatRate } from './formatQuantities.js';
import { paintLine, type Segment } from './paintLine.js';

/** Options for {@link renderStatusBlock}. */
export interface RenderStatusBlockOptions {
  /**
   * Most visible characters per line; longer lines end in `…` so a terminal never wraps them.
   * @default 80
   */
  width?: number;
  /**
   * Bold labels and red error counts with ANSI SGR codes.
   * @default false
   */
  color?: boolean;
}

/**
 * Renders stats as a compact five-line status block for a terminal.
 *
 * A sixth line, `ledger  cannot write (ENOSPC), retrying in 4 s`, is added while the ledger
 * cannot write its state dir, and `waiting 95904 files` ends the first line while files found
 * wait for admission. Pure: the same stats give the same lines. Sizes use binary units (KiB, MiB), rates decimal
 * ones (MB/s), durations `1m05s`; unknown rates and times show `?`.
 *
 * ```
 * uplink 2.0 MB/s  backlog 1.5 MiB  ETA 1m05s
 * files  12 seen  1 reducing  2 uploading  5 pending  6 uploaded  1 failed
 * bytes  12.0 MiB seen  5.0 MiB sent  2.0 MiB saved (3 reduced)
 * errors 3  retries 2
 * last error  /data/a.png: HTTP 503
 * ```
 *
 * ```ts
 * declare const stats: AgentStats;
 * process.stderr.write(renderStatusBlock(stats, { width: process.stderr.columns }).join('\n') + '\n');
 * ```
 *
 * @param stats The snapshot to show.
 * @param options Width and colour.
 * @returns The lines, without line endings.
 */
export function renderStatusBlock(stats: AgentStats, options: RenderStatusBlockOptions = {}): string[] {
  const width = options.width ?? 80;
  const color = options.color ?? false;
  if (!Number.isInteger(width) || width < 1) {
    throw new TypeError(`Expected \`width\` to be an integer >= 1, got ${JSON.stringify(width)}`);
  }
  const counted = (count: number, text: string): Segment => (count > 0 ? [text, 'bad'] : [text]);
  const lines: Segment[][] = [
    [
      ['uplink', 'label'],
      [` ${formatRate(stats.uplinkBytesPerSecond)}  `],
      ['backlog', 'label'],
      [` ${formatBytes(stats.backlogBytes)}  `],
      ['ETA', 'label'],
      [` ${formatDuration(stats.backlogSeconds)}`],
      // On the short line, so the failed count stays in 80 columns while files wait.
      ...(stats.filesWaiting > 0 ? [['  '], ['waiting', 'label'], [` ${stats.filesWaiting} files`]] satisfies Segment[] : []),
    ],
    [
      ['files', 'label'],
      [
        `  ${stats.filesSeen} seen  ${stats.filesReducing} reducing  ${stats.filesUploading} uploading` +
          `  ${stats.filesPending} pending  ${stats.filesUploaded} uploaded  `,
      ],
      counted(stats.filesFailed, `${stats.filesFailed} failed`),
    ],
    [
      ['bytes', 'label'],
      [
        `  ${formatBytes(stats.bytesSeen)} seen  ${formatBytes(stats.bytesSent)} sent` +
          `  ${formatBytes(stats.bytesSaved)} saved (${stats.filesReduced} reduced)`,
      ],
    ],
    [['errors', 'label'], [' '], counted(stats.errors, String(stats.errors)), ['  '], ['retries', 'label'], [` ${stats.retries}`]],
    [
      ['last error', 'label'],
      stats.lastError === undefined
        ? ['  none']
        : // Error texts can hold newlines (stack traces, HTML bodies) that would break the block.
          ['  ' + `${stats.lastError.path}: ${stats.lastError.message}`.replace(/\s+/g, ' '), 'bad'],
    ],
  ];
  const trouble = describeLedgerTrouble(stats);
  if (trouble !== undefined) lines.push([['ledger', 'label'], ['  '], [trouble, 'bad']]);
  return lines.map((segments) => paintLine(segments, width, color));
}
