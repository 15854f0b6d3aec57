// Ordered structures the schedulers, the agent and the gateway use so that each step stays
// O(log n) or O(1) with 100,000 files waiting and millions seen. Not exported from the package.

/**
 * A set of non-negative integers with rank queries, backed by a Fenwick tree that grows by
 * doubling. `add`, `delete`, `next`, `prev`, `min` and `max` are O(log n); growth is amortised
 * O(1) per index.
 */
export class IndexSet {
  private tree: Int32Array;
  private member: Uint8Array;
  private count = 0;

  constructor(initialCapacity = 1024) {
    const capacity = Math.max(16, initialCapacity);
    this.tree = new Int32Array(capacity + 1);
    this.member = new Uint8Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  has(index: number): boolean {
    return index >= 0 && index < this.member.length && this.member[index] === 1;
  }

  add(index: number): boolean {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new RangeError(`Expected an integer index >= 0, got ${index}`);
    }
    if (index >= this.member.length) this.grow(index + 1);
    if (this.member[index] === 1) return false;
    this.member[index] = 1;
    this.count += 1;
    this.update(index, 1);
    return true;
  }

  delete(index: number): boolean {
    if (!this.has(index)) return false;
    this.member[index] = 0;
    this.count -= 1;
    this.update(index, -1);
    return true;
  }

  /** The smallest member >= `index`, or undefined. */
  next(index: number): number | undefined {
    const from = Math.max(0, Math.ceil(index));
    if (from >= this.member.length) return undefined;
    const rank = this.prefix(from - 1) + 1;
    return rank <= this.count ? this.kth(rank) : undefined;
  }

  /** The largest member <= `index`, or undefined. */
  prev(index: number): number | undefined {
    if (index < 0) return undefined;
    const upTo = Math.min(Math.floor(index), this.member.length - 1);
    const rank = this.prefix(upTo);
    return rank >= 1 ? this.kth(rank) : undefined;
  }

  min(): number | undefined {
    return this.count === 0 ? undefined : this.kth(1);
  }

  max(): number | undefined {
    return this.count === 0 ? undefined : this.kth(this.count);
  }

  /** Members in ascending order; O(size log n), for snapshots and tests. */
  *values(): IterableIterator<number> {
    for (let rank = 1; rank <= this.count; rank++) yield this.kth(rank);
  }

  /** Number of members <= `index`. */
  private prefix(index: number): number {
    let sum = 0;
    for (let i = Math.min(index, this.member.length - 1) + 1; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  private update(index: number, delta: number): void {
    for (let i = index + 1; i < this.tree.length; i += i & -i) this.tree[i]! += delta;
  }

  /** The member of 1-based rank `rank`, by binary lifting. */
  private kth(rank: number): number {
    let position = 0;
    let remaining = rank;
    let step = 1;
    while (step * 2 < this.tree.length) step *= 2;
    for (; step > 0; step >>= 1) {
      const next = position + step;
      if (next < this.tree.length && this.tree[next]! < remaining) {
        position = next;
        remaining -= this.tree[next]!;
      }
    }
    return position;
  }

  private grow(minimum: number): void {
    let capacity = this.member.length;
    while (capacity < minimum) capacity *= 2;
    const member = new Uint8Array(capacity);
    member.set(this.member);
    // Linear-time Fenwick construction: each node pushes its sum to its parent once.
    const tree = new Int32Array(capacity + 1);
    for (let i = 1; i <= capacity; i++) {
      tree[i]! += member[i - 1]!;
      const parent = i + (i & -i);
      if (parent <= capacity) tree[parent]! += tree[i]!;
    }
    this.member = member;
    this.tree = tree;
  }
}

/** A binary heap; `before(a, b)` is true when `a` must come out first. */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Drops the items `keep` rejects and restores heap order, in O(size). */
  retain(keep: (item: T) => boolean): void {
    const kept = this.items.filter(keep);
    this.items.length = 0;
    for (const item of kept) this.items.push(item);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  private siftDown(start: number): void {
    const items = this.items;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let first = i;
      if (left < items.length && this.before(items[left]!, items[first]!)) first = left;
      if (right < items.length && this.before(items[right]!, items[first]!)) first = right;
      if (first === i) break;
      [items[i], items[first]] = [items[first]!, items[i]!];
      i = first;
    }
  }
}

/**
 * A first-in, first-out queue whose `shift` is O(1): an array's `shift` moves every element
 * left once it is long, and a folder of 100,000 files waits in these queues.
 */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The oldest item, without taking it. */
  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    // The slot no longer holds on to what it carried.
    this.items[this.head] = undefined;
    this.head += 1;
    // Taken slots are dropped once they are half the array: amortised O(1) per item.
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * A Map that keeps the latest `capacity` keys set, forgetting the one set longest ago, in O(1)
 * amortised. A plain Map cannot: its oldest key is found by iterating from the front, and V8
 * steps over every slot deleted there since the table was last rebuilt, so with the oldest key
 * deleted on each set a full map of 65,536 made each set cost tens of thousands of steps (11 s
 * of 75 in a restart's walk over a million files).
 */
export class RecentMap<K, V> {
  private readonly entries = new Map<K, { readonly key: K; readonly value: V }>();
  /** The entries in the order set; one whose key was set again since is stale, skipped on eviction. */
  private order = new Fifo<{ readonly key: K; readonly value: V }>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  /** Sets `key` as the latest, and forgets the oldest beyond the capacity. */
  set(key: K, value: V): void {
    const entry = { key, value };
    this.entries.set(key, entry);
    this.order.push(entry);
    while (this.entries.size > this.capacity) {
      const oldest = this.order.shift()!;
      if (this.entries.get(oldest.key) === oldest) this.entries.delete(oldest.key);
    }
    // Keys set again and again leave stale entries behind: rebuilt from the live ones, in order,
    // once they are most of the queue (amortised O(1)).
    if (this.order.length > 2 * this.entries.size + 1024) this.rebuildOrder();
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
    this.order = new Fifo();
  }

  private rebuildOrder(): void {
    const live = new Set(this.entries.values());
    const order = new Fifo<{ readonly key: K; readonly value: V }>();
    for (let entry = this.order.shift(); entry !== undefined; entry = this.order.shift()) {
      if (live.has(entry)) order.push(entry);
    }
    this.order = order;
  }
}
