import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { defer, type Observable } from 'rxjs';
import type { AgentEvent } from '../../src/observe/AgentEvent.js';
import {
  calibrationSample,
  csvField,
  digestEvents,
  filesCsv,
  gapClosed,
  median,
  percentile,
  scenarioBandwidth,
  scenarioFor,
  summaryMarkdown,
  timeReductions,
  type SummaryRow,
} from '../../src/bench/runBenchmarkInternals.js';
import type { SynthesizedFile } from '../../src/bench/synthesizeDataset.js';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';

describe('runBenchmarkInternals', () => {
  describe('gapClosed', () => {
    it('should give the share of fifo’s distance to the bound that the best strategy removes', () => {
      expect(gapClosed(12, 11, 10)).to.equal(0.5);
      expect(gapClosed(12, 10, 10)).to.equal(1);
      expect(gapClosed(12, 12, 10)).to.equal(0);
      expect(gapClosed(12, 13, 10)).to.equal(-0.5);
    });

    it('should be NaN when fifo already sits at the bound', () => {
      expect(gapClosed(10, 10, 10)).to.be.NaN;
    });
  });

  describe('calibrationSample', () => {
    const file = (index: number, reducedBytes: number, cpuMs = 10) => ({ index, arrivalMs: index, bytes: 100, reducedBytes, cpuMs });

    it('should spread the sample evenly over the files the reducer shrinks, first and last included', () => {
      const table = Array.from({ length: 10 }, (_, i) => file(i, i === 3 ? 100 : 40));
      // Reducible: 0 1 2 4 5 6 7 8 9 (3 does not shrink); picks at 0, 8/3, 16/3 and 8 of those, rounded.
      expect(calibrationSample(table, 4)).to.deep.equal([0, 4, 6, 9]);
    });

    it('should take every reducible file when there are no more than asked for, and none for an empty table', () => {
      expect(calibrationSample([file(0, 40), file(1, 100), file(2, 50, 0), file(3, 60)], 5)).to.deep.equal([0, 3]);
      expect(calibrationSample([], 5)).to.deep.equal([]);
      expect(calibrationSample([file(0, 40)], 0)).to.deep.equal([]);
    });
  });

  describe('timeReductions', () => {
    it('should return each reduction\'s cpuMs in order and delete the copies it made', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'time-reductions-'));
      try {
        const files = await Promise.all(
          [0, 1, 2].map(async (index) => {
            const framePath = path.join(dir, `f${index}.png`);
            await writeFile(framePath, 'y'.repeat(100));
            return { index, path: framePath, bytes: 100 } as SynthesizedFile;
          }),
        );
        const originals = files.map((file) => path.basename(file.path));
        const reduce = (item: FileItem): Observable<Reduction> =>
          defer(async () => {
            if (item.index === 1) return { item, reduced: false, bytesIn: 100, bytesOut: 100, cpuMs: 2 } as Reduction;
            const outputPath = path.join(dir, `copy${item.index}.png`);
            await writeFile(outputPath, 'x');
            return { item, reduced: true, outputPath, bytesIn: 100, bytesOut: 1, cpuMs: 10 + item.index };
          });
        expect(await timeReductions(reduce, files)).to.deep.equal([10, 2, 12]);
        expect((await readdir(dir)).sort()).to.deep.equal(originals);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('median and percentile', () => {
    it('should interpolate between order statistics of unsorted values', () => {
      expect(median([3, 1, 2])).to.equal(2);
      expect(median([4, 1, 3, 2])).to.equal(2.5);
      expect(percentile([0, 10, 20, 30, 40], 0.95)).to.equal(38);
      expect(median([])).to.be.NaN;
    });
  });

  describe('scenarioBandwidth', () => {
    it('should make raw upload take rawUploadFactor times the acquisition', () => {
      const scenario = { ...scenarioFor('paper', true), rateHz: 10, rawUploadFactor: 2 };
      const table = [0, 1, 2, 3].map((index) => ({ index, arrivalMs: index * 100, bytes: 1000, reducedBytes: 100, cpuMs: 5 }));
      // 4000 bytes over 2 × 0.4 s.
      expect(scenarioBandwidth(scenario, table)).to.equal(5000);
      expect(scenarioBandwidth({ ...scenario, bandwidthBytesPerSec: 123 }, table)).to.equal(123);
    });
  });

  describe('digestEvents', () => {
    it('should time each file from the first seen and track the bytes still to send', () => {
      const events: AgentEvent[] = [
        { type: 'seen', at: 1000, path: '/w/a.png', bytes: 100 },
        { type: 'seen', at: 1010, path: '/w/b.png', bytes: 200 },
        { type: 'reduce-start', at: 1010, path: '/w/a.png' },
        { type: 'reduced', at: 1030, path: '/w/a.png', bytesIn: 100, bytesOut: 40, cpuMs: 20, reduced: true },
        { type: 'upload-start', at: 1030, path: '/w/a.png', bytes: 40 },
        { type: 'uploaded', at: 1050, path: '/w/a.png', bytes: 40, status: 200, durationMs: 20 },
        { type: 'upload-start', at: 1050, path: '/w/b.png', bytes: 200 },
        { type: 'failed', at: 1060, path: '/w/b.png', status: 500, error: 'boom' },
      ];
      const digest = digestEvents(events);
      expect(digest.startAt).to.equal(1000);
      expect(digest.queued).to.deep.equal([
        [0, 100],
        [10, 300],
        [30, 240],
        [30, 240],
        [50, 200],
        [50, 200],
        [60, 0],
      ]);
      expect(digest.files[0]).to.deep.equal({
        name: 'a.png',
        bytes: 100,
        seenMs: 0,
        reduceStartMs: 10,
        reducedMs: 30,
        reduced: true,
        reducedBytes: 40,
        reduceCpuMs: 20,
        uploadStartMs: 30,
        uploadedMs: 50,
        sentBytes: 40,
      });
      expect(digest.files[1]!.error).to.equal('boom');
    });
  });

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
