import { expect } from 'chai';
import { reductionScore } from '../../src/operators/reductionScore.js';
import { itemOf } from './scheduleHarness.js';

describe('reductionScore', () => {
  const item = itemOf(0, 3000);

  it('should be bytes saved per CPU-second', () => {
    expect(reductionScore({ item, reduced: true, bytesIn: 3000, bytesOut: 1000, cpuMs: 500 })).to.equal(4000);
  });

  it('should be 0 for a file that was not reduced or did not shrink', () => {
    expect(reductionScore({ item, reduced: false, bytesIn: 3000, bytesOut: 3000, cpuMs: 500 })).to.equal(0);
    expect(reductionScore({ item, reduced: true, bytesIn: 3000, bytesOut: 4000, cpuMs: 500 })).to.equal(0);
  });

  it('should floor CPU time at 1 ms', () => {
    expect(reductionScore({ item, reduced: true, bytesIn: 3000, bytesOut: 1000, cpuMs: 0 })).to.equal(2_000_000);
  });
});
