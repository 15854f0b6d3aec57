import { expect } from 'chai';
import { csvField, filesCsv, summaryMarkdown, type SummaryRow } from '../../src/bench/benchReports.js';

describe('benchReports', () => {
  describe('filesCsv', () => {
    it('should write a header, one row per file with its latency, and quote what needs it', () => {
      const csv = filesCsv([
        { name: 'a.png', bytes: 100, placedMs: 3.04, seenMs: 5, uploadedMs: 25.04, sentBytes: 100 },
        { name: 'b,c.png', bytes: 7, error: 'said "no"' },
      ]);
      const lines = csv.trimEnd().split('\n');
      expect(lines[0]).to.equal('name,bytes,placedMs,seenMs,reduced,reducedBytes,reduceCpuMs,uploadStartMs,uploadedMs,latencyMs,sentBytes,error');
      expect(lines[1]).to.equal('a.png,100,3,5,,,,,25,20,100,');
      expect(lines[2]).to.equal('"b,c.png",7,,,,,,,,,,"said ""no"""');
      expect(csvField(undefined)).to.equal('');
    });
  });

  describe('summaryMarkdown', () => {
    it('should print the bound, the gap closed and one row per strategy', () => {
      const row = (strategy: string, makespanMs: number): SummaryRow => ({
        strategy,
        runs: 3,
        makespanMs,
        ratioToBound: makespanMs / 1000,
        ratioToFifo: makespanMs / 1200,
        simMakespanMs: 1100,
        simAsRunMs: 1210,
        bytesSent: 2_500_000,
        filesReduced: 10,
        latencyP50Ms: 150,
        latencyP95Ms: 400,
        processCpuSec: 1.234,
        reducerCpuSec: 0.5,
        failures: 0,
      });
      const text = summaryMarkdown(
        {
          scenario: 'tiny',
          files: 10,
          size: 64,
          rateHz: 20,
          cores: 1,
          uploadSlots: 2,
          bandwidthBytesPerSec: 1_500_000,
          shaper: 'the gateway token bucket',
          reps: 3,
          boundMs: 1000,
          boundBinding: 'suffix',
          gapClosed: 0.5,
          reducerSpeed: { frames: 24, min: 1.05, max: 1.2 },
          boundAsRunMs: 1100,
          gapClosedAsRun: 1,
          best: 'splines',
          perFileOverheadMs: 0,
          isolated: true,
          warmUpMs: 1000,
        },
        [row('fifo', 1200), row('splines', 1100)],
      );
      expect(text).to.contain('Lower bound on the makespan: 1.000 s (suffix)');
      expect(text).to.contain('ran in their own processes');
      expect(text).to.contain('the agent was started 1.0 s before the first frame');
      expect(text).to.contain('gap closed (fifo − best) / (fifo − bound) = 50.0 %.');
      expect(text).to.contain('timed on 24 frames before each run, the reducer took 1.05–1.20 × its times in the table');
      expect(text).to.contain('the bound is 1.100 s and the gap closed 100.0 %');
      expect(text).to.contain('| fifo | 3 | 1.200 | 1.200 | 1.000 | 1.100 | 0.917 | 1.210 | 1.008 | 2.50 | 10 | 0.150 | 0.400 | 1.23 | 0.50 | 0 |');
      expect(text).to.contain('| splines | 3 | 1.100 | 1.100 | 0.917 | 1.100 | 1.000 |');
    });
  });
});
