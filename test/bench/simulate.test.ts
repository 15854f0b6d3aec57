import { expect } from 'chai';
import type { FileCost } from '../../src/bench/FileCost.js';
import { lowerBoundMakespan } from '../../src/bench/lowerBoundMakespan.js';
import { RateTrace } from '../../src/bench/RateTrace.js';
import { simulate } from '../../src/bench/simulate.js';

// Uplink 1000 B/s = 1 byte per ms, so upload times are easy to add up by hand.
const table: FileCost[] = [0, 10, 20].map((arrivalMs, index) => ({ index, arrivalMs, bytes: 100, reducedBytes: 20, cpuMs: 30 }));

describe('simulate', () => {
  it('should give the exact makespan of none: every file raw, back to back', () => {
    const result = simulate({ files: table, bandwidthBytesPerSec: 1000, strategy: 'none', uploadSlots: 1 });
    expect(result.makespanMs).to.equal(300);
    expect(result.bytesSent).to.equal(300);
    expect(result.filesReduced).to.equal(0);
  });

  it('should share one uplink between upload slots rather than multiply it', () => {
    expect(simulate({ files: table, bandwidthBytesPerSec: 1000, strategy: 'none', uploadSlots: 2 }).makespanMs).to.equal(300);
  });

  it('should give the exact makespan of fifo with one core and one slot', () => {
    // f0 reduced 0–30; f1 raw 10–110 (core busy); f2 reduced 30–60; then f0' 110–130, f2' 130–150.
    const result = simulate({ files: table, bandwidthBytesPerSec: 1000, strategy: 'fifo', cores: 1, uploadSlots: 1 });
    expect(result.makespanMs).to.equal(150);
    expect(result.bytesSent).to.equal(140);
    expect(result.filesReduced).to.equal(2);
    const lines = result.schedule.map((event) => `${event.at} ${event.type} ${event.item.index}`);
    expect(lines).to.deep.equal([
      '0 reduce-start 0',
      '10 upload-start 1',
      '30 reduce-end 0',
      '30 reduce-start 2',
      '60 reduce-end 2',
      '110 upload-end 1',
      '110 upload-start 0',
      '130 upload-end 0',
      '130 upload-start 2',
      '150 upload-end 2',
    ]);
  });

  it('should add the per-file overhead after each upload without occupying the uplink', () => {
    const result = simulate({ files: table, bandwidthBytesPerSec: 1000, strategy: 'none', uploadSlots: 1, perFileOverheadMs: 5 });
    expect(result.makespanMs).to.equal(315);
  });

  it('should replace arrival times when given a rate', () => {
    // At 1 Hz the files arrive 1 s apart, so each goes up raw on an idle link: 2000 + 100.
    expect(simulate({ files: table, bandwidthBytesPerSec: 1000, strategy: 'none', rateHz: 1 }).makespanMs).to.equal(2100);
  });

  it('should never beat the lower bound, for any strategy', () => {
    const files: FileCost[] = Array.from({ length: 40 }, (_, index) => ({
      index,
      arrivalMs: index * 7,
      bytes: 1000 + ((index * 37) % 500),
      reducedBytes: 200 + ((index * 53) % 700),
      cpuMs: 10 + ((index * 11) % 15),
    }));
    const bound = lowerBoundMakespan(files, { bandwidthBytesPerSec: 50_000, cores: 1 }).makespanMs;
    for (const strategy of ['none', 'fifo', 'splines', 'oracle', 'adaptive'] as const) {
      const { makespanMs, schedule } = simulate({ files, bandwidthBytesPerSec: 50_000, strategy });
      expect(makespanMs, strategy).to.be.at.least(bound - 1e-9);
      expect(schedule.filter((event) => event.type === 'upload-end')).to.have.length(40);
    }
  });

  it('should replay a rate trace from the first arrival: each byte at the rate of its moment', () => {
    // 1 byte/ms until 150 ms, then 4 bytes/ms: file 0 ends at 100, file 1 (100 bytes from 100)
    // sends 50 by 150 and the rest by 162.5, file 2 by 187.5.
    const trace = new RateTrace([{ atMs: 0, bytesPerSec: 1000 }, { atMs: 150, bytesPerSec: 4000 }]);
    const result = simulate({ files: table, bandwidthTrace: trace, strategy: 'none', uploadSlots: 1 });
    expect(result.makespanMs).to.be.closeTo(187.5, 1e-9);
    const ends = result.schedule.flatMap((event) => (event.type === 'upload-end' ? [event.at] : []));
    expect(ends).to.deep.equal([100, 162.5, 187.5]);
  });

  it('should give the same schedule on a one-step trace as on the constant rate', () => {
    for (const strategy of ['none', 'fifo', 'splines', 'adaptive'] as const) {
      const constant = simulate({ files: table, bandwidthBytesPerSec: 1000, strategy });
      const traced = simulate({ files: table, bandwidthTrace: RateTrace.constant(1000), strategy });
      expect(traced.makespanMs, strategy).to.equal(constant.makespanMs);
      expect(traced.filesReduced, strategy).to.equal(constant.filesReduced);
    }
  });

  it('should never beat the lower bound on a time-varying uplink', () => {
    const files: FileCost[] = Array.from({ length: 40 }, (_, index) => ({
      index,
      arrivalMs: index * 7,
      bytes: 1000 + ((index * 37) % 500),
      reducedBytes: 200 + ((index * 53) % 700),
      cpuMs: 10 + ((index * 11) % 15),
    }));
    const trace = new RateTrace([0, 100, 200, 300, 400].map((atMs, i) => ({ atMs, bytesPerSec: i % 2 === 0 ? 20_000 : 120_000 })));
    const bound = lowerBoundMakespan(files, { bandwidthTrace: trace, cores: 1 }).makespanMs;
    for (const strategy of ['none', 'fifo', 'splines', 'adaptive'] as const) {
      expect(simulate({ files, bandwidthTrace: trace, strategy }).makespanMs, strategy).to.be.at.least(bound - 1e-9);
    }
  });

  it('should complete at once for an empty table and reject bad input', () => {
    expect(() => simulate({ files: table })).to.throw(TypeError, 'Expected exactly one of `bandwidthBytesPerSec` and `bandwidthTrace`');
    expect(simulate({ files: [], bandwidthBytesPerSec: 1 }).makespanMs).to.equal(0);
    expect(() => simulate({ files: table, bandwidthBytesPerSec: 0 })).to.throw(TypeError, 'bandwidthBytesPerSec');
    expect(() => simulate({ files: [table[1]!], bandwidthBytesPerSec: 1 })).to.throw(TypeError, 'indexes');
  });
});
