import { expect } from 'chai';
import { readRateTrace } from '../../src/bench/readRateTrace.js';
import { scenarioBandwidth, scenarioFor, SCENARIO_NAMES } from '../../src/bench/scenarios.js';

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

  describe('scenarioFor', () => {
    it('should give every scenario a full and a small version with distinct names', () => {
      const names = SCENARIO_NAMES.flatMap((name) => [scenarioFor(name, false).name, scenarioFor(name, true).name]);
      expect(new Set(names).size).to.equal(2 * SCENARIO_NAMES.length);
      expect(SCENARIO_NAMES).to.include.members(['paper', 'cpu-scarce', 'varying', 'fast', 'mixed']);
    });

    it('should put varying on a shipped trace that steps slow and fast around the nominal rate', async () => {
      for (const small of [false, true]) {
        const scenario = scenarioFor('varying', small);
        const trace = await readRateTrace(scenario.trace!, 1000);
        const rates = new Set(trace.steps.slice(0, 10).map((step) => step.bytesPerSec));
        expect([...rates].sort()).to.deep.equal([1600, 400]);
        // Several steps within the acquisition.
        expect(trace.steps.filter((step) => step.atMs < (scenario.count * 1000) / scenario.rateHz).length).to.be.at.least(4);
      }
    });

    it('should give fast an uplink that sends the raw stream faster than it arrives, and mixed its segments', () => {
      expect(scenarioFor('fast', false).rawUploadFactor).to.be.below(1);
      const kinds = new Set(scenarioFor('mixed', false).segments!.map((segment) => segment.kind));
      expect([...kinds].sort()).to.deep.equal(['drift', 'empty', 'full', 'gainless']);
    });
  });
});
