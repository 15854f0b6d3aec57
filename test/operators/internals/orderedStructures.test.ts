import { expect } from 'chai';
import { BinaryHeap, Fifo, IndexSet, RecentMap } from '../../../src/operators/internals/orderedStructures.js';

// A deterministic pseudo-random sequence, so failures reproduce.
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('IndexSet', () => {
  it('should answer next, prev, min and max like a sorted array through growth', () => {
    const random = lcg(7);
    const set = new IndexSet(16);
    const naive = new Set<number>();
    for (let step = 0; step < 3000; step++) {
      const index = Math.floor(random() * 5000);
      if (random() < 0.6) {
        expect(set.add(index)).to.equal(!naive.has(index));
        naive.add(index);
      } else {
        expect(set.delete(index)).to.equal(naive.has(index));
        naive.delete(index);
      }
      const probe = Math.floor(random() * 5200) - 100;
      const sorted = [...naive].sort((a, b) => a - b);
      expect(set.size).to.equal(sorted.length);
      expect(set.next(probe)).to.equal(sorted.find((i) => i >= probe));
      expect(set.prev(probe)).to.equal([...sorted].reverse().find((i) => i <= probe));
      expect(set.min()).to.equal(sorted[0]);
      expect(set.max()).to.equal(sorted.at(-1));
    }
  });

  it('should reject negative and fractional indices', () => {
    expect(() => new IndexSet().add(-1)).to.throw(RangeError);
    expect(() => new IndexSet().add(1.5)).to.throw(RangeError);
  });
});

describe('BinaryHeap', () => {
  it('should pop in comparator order', () => {
    const random = lcg(3);
    const heap = new BinaryHeap<number>((a, b) => a < b);
    const values = Array.from({ length: 500 }, () => Math.floor(random() * 100));
    values.forEach((v) => heap.push(v));
    const popped: number[] = [];
    while (heap.size > 0) popped.push(heap.pop()!);
    expect(popped).to.deep.equal([...values].sort((a, b) => a - b));
    expect(heap.pop()).to.equal(undefined);
  });

  it('should keep heap order after retain drops items', () => {
    const heap = new BinaryHeap<number>((a, b) => a > b);
    for (let v = 0; v < 100; v++) heap.push((v * 37) % 100);
    heap.retain((v) => v % 3 === 0);
    const popped: number[] = [];
    while (heap.size > 0) popped.push(heap.pop()!);
    expect(popped).to.deep.equal(Array.from({ length: 34 }, (_, i) => 99 - 3 * i));
  });
});

describe('Fifo', () => {
  it('should give items back in the order they came, interleaved with pushes, across compactions', () => {
    const random = lcg(7);
    const fifo = new Fifo<number>();
    const model: number[] = [];
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      // More pushes than shifts at first, then more shifts: the queue grows past 1,024 and drains.
      const pushing = random() < (step < 10_000 ? 0.6 : 0.4);
      if (pushing) {
        fifo.push(next);
        model.push(next);
        next += 1;
      } else {
        expect(fifo.peek()).to.equal(model[0]);
        expect(fifo.shift()).to.equal(model.shift());
      }
      expect(fifo.length).to.equal(model.length);
    }
    while (model.length > 0) expect(fifo.shift()).to.equal(model.shift());
    expect(fifo.length).to.equal(0);
    expect(fifo.shift()).to.equal(undefined);
    expect(fifo.peek()).to.equal(undefined);
  });

  it('should keep undefined items as items', () => {
    const fifo = new Fifo<number | undefined>();
    fifo.push(undefined);
    fifo.push(1);
    expect(fifo.length).to.equal(2);
    expect(fifo.shift()).to.equal(undefined);
    expect(fifo.length).to.equal(1);
    expect(fifo.shift()).to.equal(1);
  });
});

describe('RecentMap', () => {
  it('should keep the latest keys set, a key set again counting as latest, as a model map does', () => {
    const random = lcg(11);
    const recent = new RecentMap<number, number>(100);
    // The model: a Map in order of last set, trimmed from the front.
    const model = new Map<number, number>();
    for (let step = 0; step < 50_000; step++) {
      const key = Math.floor(random() * (step < 25_000 ? 150 : 5_000));
      const roll = random();
      if (roll < 0.1) {
        expect(recent.delete(key)).to.equal(model.delete(key));
      } else {
        recent.set(key, step);
        model.delete(key);
        model.set(key, step);
        while (model.size > 100) model.delete(model.keys().next().value!);
      }
      expect(recent.size).to.equal(model.size);
      const probe = Math.floor(random() * 5_000);
      expect(recent.get(probe)).to.equal(model.get(probe));
    }
    for (const [key, value] of model) expect(recent.get(key)).to.equal(value);
  });

  it('should stay small when the same few keys are set over and over', () => {
    const recent = new RecentMap<string, number>(4);
    for (let i = 0; i < 100_000; i++) recent.set(`k${i % 3}`, i);
    expect(recent.size).to.equal(3);
    expect([recent.get('k0'), recent.get('k1'), recent.get('k2')]).to.deep.equal([99_999, 99_997, 99_998]);
    // Its queue was rebuilt as it went: a fourth and fifth key push out the oldest of the three.
    recent.set('k3', 0);
    recent.set('k4', 0);
    expect(recent.size).to.equal(4);
    expect(recent.get('k1')).to.equal(undefined);
    recent.clear();
    expect(recent.size).to.equal(0);
  });
});
