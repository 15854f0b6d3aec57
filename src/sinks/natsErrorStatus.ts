import { messageOf } from '../validation.js';

/**
 * The HTTP-like status a NATS or JetStream failure stands for, so the gateway's retry policy
 * (`isRetryableUpload`) and the agent's fatal statuses apply to the NATS sink unchanged.
 *
 * - 401: the servers refused the credentials (or they expired): fatal, as a gateway's 401.
 * - 403: a permissions violation on the bucket's subjects: fatal.
 * - 507: the bucket or the servers' storage is full (`maximum bytes exceeded`, `insufficient
 *   resources`): retried with backoff until the consumers make room.
 * - 404: the bucket's stream is gone: this file fails, without retries.
 * - 0: everything else, from a timeout, "no responders" or a leader election to a dropped
 *   connection: a network failure, retried.
 *
 * ```ts
 * natsErrorStatus(Object.assign(new Error('maximum bytes exceeded'), { name: 'JetStreamApiError', code: 10077 })); // 507
 * ```
 *
 * @param error What a NATS call rejected with.
 * @returns 401, 403, 404, 507 or 0.
 */
export function natsErrorStatus(error: unknown): number {
  const name = error instanceof Error ? error.name : '';
  const code = (error as { code?: unknown } | null)?.code;
  const message = messageOf(error);
  if (name === 'AuthorizationError' || name === 'UserAuthenticationExpiredError' || /authorization violation|authentication/i.test(message)) return 401;
  if (name === 'PermissionViolationError' || /permissions violation/i.test(message)) return 403;
  // 10077: maximum bytes exceeded; 10047 and 10023: insufficient (storage) resources.
  if (code === 10077 || code === 10047 || code === 10023 || /maximum (bytes|messages) exceeded|insufficient (storage )?resources/i.test(message)) return 507;
  if (code === 10059 || name === 'StreamNotFoundError') return 404;
  return 0;
}
