import { expect } from 'chai';
import { createPolicy, SEARCH_BLOCK, SplinesPolicy, type ReduceContext } from '../../src/operators/schedulingPolicies.js';

function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

describe('SplinesPolicy', () => {
  it('should search the first block with no score, no reduction and a waiting file', () => {
    const policy = new SplinesPolicy();
    for (let seq = 0; seq < 40; seq++) policy.add(seq);
    expect(policy.pick()).to.deep.equal({ seq: 0, explore: true });
    policy.startReduce(0);
    expect(policy.pick()).to.deep.equal({ seq: SEARCH_BLOCK, explore: true });
    policy.startRawUpload(15);
    expect(policy.pick()).to.deep.equal({ seq: 16, explore: true });
    policy.startReduce(16);
    policy.startReduce(30);
    // Every block is known or being reduced: climb, ties to the oldest waiting file.
    expect(policy.pick()).to.deep.equal({ seq: 1, explore: false });
    policy.finishReduce(0, 5);
    expect(policy.pick()).to.deep.equal({ seq: 1, explore: false });
  });

  it('should pick the same files as a brute-force scan of the estimate', () => {
    const random = lcg(11);
    const policy = new SplinesPolicy();
    const waiting = new Set<number>();
    const reducing = new Set<number>();
    let arrivals = 0;
    let climbs = 0;
    const brute = (better: (a: number, b: number) => boolean) => {
      let chosen: number | undefined;
      for (const seq of [...waiting].sort((a, b) => a - b)) {
        if (chosen === undefined || better(policy.estimate(seq), policy.estimate(chosen))) chosen = seq;
      }
      return chosen;
    };
    for (let step = 0; step < 1500; step++) {
      const roll = random();
      if (roll < 0.4 || waiting.size === 0) {
        policy.add(arrivals);
        waiting.add(arrivals++);
      } else if (roll < 0.6) {
        const seq = policy.pickReduce()!;
        policy.startReduce(seq);
        waiting.delete(seq);
        reducing.add(seq);
      } else if (roll < 0.75) {
        const seq = policy.pickRawUpload()!;
        policy.startRawUpload(seq);
        waiting.delete(seq);
      } else if (reducing.size > 0) {
        const seq = [...reducing][Math.floor(random() * reducing.size)]!;
        reducing.delete(seq);
        // Smooth scores with noise, like a microscopy run.
        policy.finishReduce(seq, 1000 + 800 * Math.sin(seq / 20) + 100 * random());
      }
      if (waiting.size === 0) continue;
      expect(policy.pickRawUpload()).to.equal(brute((a, b) => a < b));
      const picked = policy.pick()!;
      if (!picked.explore) {
        climbs += 1;
        expect(picked.seq).to.equal(brute((a, b) => a > b));
      }
    }
    expect(climbs).to.be.greaterThan(100);
  });
});

describe('adaptive policy', () => {
  /** A file of 1000 bytes with a reduction known to save `score` bytes per CPU-second, at 1 ms per 10 bytes. */
  const ready = (score: number) => {
    const policy = createPolicy('adaptive');
    policy.add(0, undefined);
    policy.startReduce(0);
    policy.finishReduce(0, score);
    policy.add(1, undefined);
    policy.startReduce(1);
    policy.finishReduce(1, score);
    policy.add(2, undefined);
    return policy;
  };
  const context = (queuedBytes: number, bandwidth: number | undefined, freeUploadSlots = 0, inFlightBytes = 0): ReduceContext => ({
    freeUploadSlots,
    queuedBytes,
    inFlightBytes,
    bandwidth,
    cpuMsPerByte: 0.1,
    sizeOf: () => 1000,
  });

  it('should reduce when the file is done sooner reduced than raw, counting what the reduction saves', () => {
    // Reducing takes 100 ms and saves 500 B (5000 B/CPU-s); the link sends 1000 B/s.
    // 300 B before it: raw it is done at 1.3 s, reduced at max(0.1, 0.3) + 0.5 = 0.8 s.
    expect(ready(5000).pickReduce(context(1300, 1000))).to.equal(2);
    // Same score on a 10 kB/s link with nothing else waiting: raw at 0.1 s, reduced at 0.15 s.
    expect(ready(5000).pickReduce(context(1000, 10_000))).to.equal(undefined);
    // Saving 100 B (1000 B/CPU-s) on a 5 kB/s link behind 400 B: raw at 0.28 s, reduced at
    // max(0.1, 0.08) + 0.18 = 0.28 s: no gain, so not reduced; behind 600 B it pays.
    expect(ready(1000).pickReduce(context(1400, 5000))).to.equal(undefined);
    expect(ready(1000).pickReduce(context(1600, 5000))).to.equal(2);
    // The uplink would reach it before the core is done (200 B before it: 40 ms < 100 ms), yet
    // saving 400 B (4000 B/CPU-s) on a 5 kB/s link makes it done at 0.22 s instead of 0.24 s.
    expect(ready(4000).pickReduce(context(1200, 5000))).to.equal(2);
  });

  it('should count the bytes in flight before a raw file, as it cannot start until they are sent', () => {
    // Nothing else waits on a 10 kB/s link: raw at 0.1 s, reduced at 0.15 s, so raw. Behind
    // 1000 B still in flight: raw at 0.2 s, reduced at max(0.1, 0.1) + 0.05 = 0.15 s.
    expect(ready(5000).pickReduce(context(1000, 10_000, 0, 0))).to.equal(undefined);
    expect(ready(5000).pickReduce(context(1000, 10_000, 0, 1000))).to.equal(2);
  });

  it('should reduce a file whose score beats the bandwidth even when the uplink waits for nothing else', () => {
    expect(ready(5000).pickReduce(context(1000, 4000, 2))).to.equal(2);
  });

  it('should not climb to a file whose estimated score is 0, and wait for a free slot while the bandwidth is unknown', () => {
    expect(ready(0).pickReduce(context(1e9, 1000))).to.equal(undefined);
    expect(ready(5000).pickReduce(context(1e9, undefined, 1))).to.equal(undefined);
    expect(ready(5000).pickReduce(context(1e9, undefined, 0))).to.equal(2);
  });
});
