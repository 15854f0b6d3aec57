import type { FileItem } from './FileItem.js';

/**
 * One file the gateway did not acknowledge.
 *
 * Emitted as a value by the sink, never thrown past `subscribe`, so one bad file does not end
 * the stream. `status` is the HTTP status, or 0 when no answer came (network error, unreadable
 * file).
 */
export class GatewayError extends Error {
  override readonly name = 'GatewayError';
  readonly status: number;
  readonly path: string;
  readonly item: FileItem | undefined;
  /** How long the gateway asked us to wait before retrying (from `Retry-After`), in ms. */
  readonly retryAfterMs: number | undefined;

  constructor(
    message: string,
    options: { status: number; path: string; item?: FileItem; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.status = options.status;
    this.path = options.path;
    this.item = options.item;
    this.retryAfterMs = options.retryAfterMs;
  }
}
