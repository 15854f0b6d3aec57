/** Lets one holder at a time work on each key; others with the same key wait their turn. */
export interface KeyedLock {
  /**
   * Resolves once the caller holds `key`, with the function that lets the next waiter in.
   *
   * Waiters are served in the order they asked. Release exactly once, in a `finally`.
   */
  acquire(key: string): Promise<() => void>;
  /** Keys held or waited for now; 0 when idle, so the lock never outlives the work. */
  readonly size: number;
}

/**
 * Creates a lock per key, for uploads that must not be judged "new" at the same moment.
 *
 * Two identical uploads arriving together would both miss the index and both be stored; holding
 * the key makes the second wait for the first's outcome (indexed, or failed and not indexed).
 * Only keys in use are kept: memory follows the requests in flight, not the blobs received.
 *
 * @returns An empty lock.
 */
export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<void>>();
  return {
    async acquire(key: string): Promise<() => void> {
      const previous = tails.get(key) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => mine);
      tails.set(key, tail);
      await previous;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
        // The last in line clears the key; anyone who queued behind us still holds the tail.
        if (tails.get(key) === tail) tails.delete(key);
      };
    },
    get size() {
      return tails.size;
    },
  };
}
