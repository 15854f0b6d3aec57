import { expect } from 'chai';
import { SEARCH_BLOCK, SplinesPolicy } from '../../src/operators/schedulingPolicies.js';

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
