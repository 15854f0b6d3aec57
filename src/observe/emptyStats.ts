import type { AgentStats } from './AgentStats.js';

/**
 * The stats of an agent that has seen nothing yet, as of `at`.
 *
 * What a status display or `/metrics` shows before the first event, and where `trackStats`
 * starts counting.
 *
 * @example
 * ```ts
 * let latest: AgentStats | undefined;
 * startMetricsServer({ port: 9464, getStats: () => latest ?? emptyStats(Date.now()) });
 * ```
 *
 * @param at When, in ms since the epoch (or scheduler time). @default 0
 * @returns Zero counts, an empty backlog and no uplink estimate.
 */
export function emptyStats(at = 0): AgentStats {
  return {
    updatedAt: at,
    filesSeen: 0,
    filesReducing: 0,
    filesReduced: 0,
    filesUploading: 0,
    filesUploaded: 0,
    filesPending: 0,
    filesWaiting: 0,
    filesFailed: 0,
    filesSkipped: 0,
    bytesSeen: 0,
    bytesSent: 0,
    bytesSaved: 0,
    errors: 0,
    retries: 0,
    uplinkBytesPerSecond: undefined,
    backlogBytes: 0,
    backlogSeconds: 0,
    etaAt: undefined,
    lastError: undefined,
    ledgerDegraded: undefined,
    ledgerWriteFailures: 0,
  };
}
