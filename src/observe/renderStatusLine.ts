import type { AgentStats } from './AgentStats.js';
import { describeLedgerTrouble } from './describeLedgerTrouble.js';
import { formatBytes, formatDuration, formatRate } from './formatQuantities.js';

/** Plain one-line summary for logs and pipes, where a redrawn block would be noise. */
export function renderStatusLine(stats: AgentStats): string {
  const trouble = describeLedgerTrouble(stats);
  return [
    ...(trouble === undefined ? [] : [`ledger: ${trouble}`]),
    `seen ${stats.filesSeen}`,
    `uploaded ${stats.filesUploaded}`,
    `pending ${stats.filesPending}`,
    ...(stats.filesWaiting > 0 ? [`waiting ${stats.filesWaiting}`] : []),
    `failed ${stats.filesFailed}`,
    `sent ${formatBytes(stats.bytesSent)}`,
    `saved ${formatBytes(stats.bytesSaved)}`,
    `backlog ${formatBytes(stats.backlogBytes)}`,
    `uplink ${formatRate(stats.uplinkBytesPerSecond)}`,
    `ETA ${formatDuration(stats.backlogSeconds)}`,
    `errors ${stats.errors}`,
  ].join(', ');
}
