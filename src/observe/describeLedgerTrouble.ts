import type { AgentStats } from './AgentStats.js';
import { formatWait } from './formatQuantities.js';

/** `cannot write (ENOSPC), retrying in 4 s` while the ledger is degraded, else undefined. */
export function describeLedgerTrouble(stats: AgentStats): string | undefined {
  const trouble = stats.ledgerDegraded;
  return trouble === undefined ? undefined : `cannot write (${trouble.code}), retrying in ${formatWait(trouble.retryInMs)}`;
}
