import { expect } from 'chai';
import { scenarioBandwidth, scenarioFor } from '../../src/bench/scenarios.js';

describe('scenarios', () => {
  describe('scenarioBandwidth', () => {
    it('should make raw upload take rawUploadFactor times the acquisition', () => {
      const scenario = { ...scenarioFor('paper', true), rateHz: 10, rawUploadFactor: 2 };
      const table = [0, 1, 2, 3].map((index) => ({ index, arrivalMs: index * 100, bytes: 1000, reducedBytes: 100, cpuMs: 5 }));
      // 4000 bytes over 2 × 0.4 s.
      expect(scenarioBandwidth(scenario, table)).to.equal(5000);
      expect(scenarioBandwidth({ ...scenario, bandwidthBytesPerSec: 123 }, table)).to.equal(123);
    });
  });
});
