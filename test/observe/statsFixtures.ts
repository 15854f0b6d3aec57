import type { AgentStats } from '../../src/observe/AgentStats.js';

/** A busy agent part way through a run. */
export const busyStats: AgentStats = {
  updatedAt: 1_700_000_000_000,
  filesSeen: 12,
  filesReducing: 1,
  filesReduced: 3,
  filesUploading: 2,
  filesUploaded: 6,
  filesPending: 5,
  filesFailed: 1,
  filesSkipped: 0,
  bytesSeen: 12 * 1024 * 1024,
  bytesSent: 5 * 1024 * 1024 + 512 * 1024,
  bytesSaved: 2 * 1024 * 1024,
  errors: 3,
  retries: 2,
  uplinkBytesPerSecond: 2_000_000,
  backlogBytes: 1536,
  backlogSeconds: 65,
  etaAt: 1_700_000_065_000,
  lastError: { at: 1_699_999_999_000, path: '/data/a.png', message: 'HTTP 503\nService Unavailable' },
};

/** An agent that has seen nothing yet. */
export const idleStats: AgentStats = {
  updatedAt: 0,
  filesSeen: 0,
  filesReducing: 0,
  filesReduced: 0,
  filesUploading: 0,
  filesUploaded: 0,
  filesPending: 0,
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
};
