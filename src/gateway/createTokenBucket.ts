// A token bucket the embedded gateway reads request bodies through, so that a benchmark on
// loopback sees a slow uplink: while a read waits here the socket is not drained, and TCP
// backpressure slows the sender exactly as a narrow link would.
import { setTimeout as sleep } from 'node:timers/promises';

/** Hands out bytes at a fixed rate to every caller together, in the order they ask. */
export interface TokenBucket {
  /** Resolves once `bytes` may pass; callers share one rate, first come first served. */
  take(bytes: number): Promise<void>;
}

/**
 * A bucket of `bytesPerSecond` that may hold up to `burstBytes` of unused allowance.
 *
 * Kept as a virtual finishing time rather than a token count: each grant pushes `nextFree` on
 * by `bytes / rate`, and a caller waits until its grant's finish lies within one burst of now.
 * That serves concurrent connections in request order and never lets the long-run rate exceed
 * the limit, whatever the chunk sizes.
 */
export function createTokenBucket(bytesPerSecond: number, burstBytes: number, now: () => number = () => performance.now()): TokenBucket {
  const msPerByte = 1000 / bytesPerSecond;
  const burstMs = burstBytes * msPerByte;
  let nextFree = -Infinity;
  return {
    async take(bytes: number): Promise<void> {
      const t = now();
      // Idle time refills at most one burst's worth.
      nextFree = Math.max(nextFree, t - burstMs) + bytes * msPerByte;
      const wait = nextFree - t;
      if (wait > 0) await sleep(wait);
    },
  };
}
