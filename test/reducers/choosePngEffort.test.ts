import { expect } from 'chai';
import { choosePngEffort } from '../../src/reducers/choosePngEffort.js';
import { createPngEffortChooser } from '../../src/reducers/createPngEffortChooser.js';
import type { PngEffort } from '../../src/reducers/pngEffort.js';
import { fileItem, reduction } from '../../src/testing/index.js';

// Per file of 1 MB: fast saves 780 kB in 20 ms, default 790 kB in 40 ms, small 800 kB in 140 ms.
const TALLIES = {
  fast: { files: 2, bytesIn: 2e6, bytesSaved: 1.56e6, cpuMs: 40 },
  default: { files: 2, bytesIn: 2e6, bytesSaved: 1.58e6, cpuMs: 80 },
  small: { files: 2, bytesIn: 2e6, bytesSaved: 1.6e6, cpuMs: 280 },
};

describe('choosePngEffort', () => {
  it('should pick the setting that saves the most bytes when the uplink is slow', () => {
    // small over default: 10 kB more for 100 ms = 100 kB/s, above a 50 kB/s uplink.
    expect(choosePngEffort(TALLIES, 50e3)).to.equal('small');
  });

  it('should pick the cheapest setting when the uplink is fast', () => {
    // default over fast: 10 kB more for 20 ms = 500 kB/s, below a 1 MB/s uplink.
    expect(choosePngEffort(TALLIES, 1e6)).to.equal('fast');
  });

  it('should pick the middle setting where only its extra saving beats the uplink', () => {
    expect(choosePngEffort(TALLIES, 200e3)).to.equal('default');
  });

  it('should compare settings per input byte, whatever files they were tried on', () => {
    const tallies = { ...TALLIES, small: { files: 6, bytesIn: 6e6, bytesSaved: 4.8e6, cpuMs: 840 } };
    expect(choosePngEffort(tallies, 50e3)).to.equal('small');
    expect(choosePngEffort(tallies, 1e6)).to.equal('fast');
  });

  it('should pick the largest gain (bytes saved per CPU-second) without a bandwidth estimate', () => {
    expect(choosePngEffort(TALLIES, undefined)).to.equal('fast');
    expect(choosePngEffort({ default: TALLIES.default, small: TALLIES.small }, undefined)).to.equal('default');
  });

  it('should return undefined when nothing was measured and skip settings without files', () => {
    expect(choosePngEffort({}, 1e6)).to.equal(undefined);
    expect(choosePngEffort({ fast: { files: 0, bytesIn: 0, bytesSaved: 0, cpuMs: 0 }, small: TALLIES.small }, 1e9)).to.equal('small');
  });

  it('should give a tie to the cheaper setting', () => {
    expect(choosePngEffort({ fast: TALLIES.fast, small: TALLIES.fast }, 1e6)).to.equal('fast');
  });

  it('should reject a negative or NaN bandwidth', () => {
    expect(() => choosePngEffort(TALLIES, -1)).to.throw(TypeError, 'Expected `bandwidthBytesPerSec` to be a number >= 0, got -1');
    expect(() => choosePngEffort(TALLIES, Number.NaN)).to.throw(TypeError, 'got NaN');
  });
});

describe('createPngEffortChooser', () => {
  /** What each setting makes of a 1 MB file, as in TALLIES. */
  const OUTCOME: Record<PngEffort, { bytesOut: number; cpuMs: number }> = {
    fast: { bytesOut: 220e3, cpuMs: 20 },
    default: { bytesOut: 210e3, cpuMs: 40 },
    small: { bytesOut: 200e3, cpuMs: 140 },
  };
  const item = fileItem(0, 1e6, { path: 'frame.png' });
  const run = (chooser: ReturnType<typeof createPngEffortChooser>, files: number, bandwidth: number): PngEffort[] =>
    Array.from({ length: files }, () => {
      const effort = chooser.next(bandwidth);
      chooser.record(effort, reduction(item, OUTCOME[effort]));
      return effort;
    });

  it('should try every candidate trialFiles times, then use the measured best', () => {
    const chooser = createPngEffortChooser({ trialFiles: 2, recheckEvery: 100 });
    const efforts = run(chooser, 10, 50e3);
    expect(efforts.slice(0, 6)).to.have.members(['fast', 'fast', 'default', 'default', 'small', 'small']);
    expect(efforts.slice(6)).to.deep.equal(['small', 'small', 'small', 'small']);
    expect(chooser.chosen()).to.equal('small');
  });

  it('should follow the uplink: the same measurements give fast on a fast link', () => {
    const chooser = createPngEffortChooser({ trialFiles: 1, recheckEvery: 100 });
    run(chooser, 3, 50e3);
    expect(run(chooser, 3, 1e6)).to.deep.equal(['fast', 'fast', 'fast']);
    expect(run(chooser, 2, 200e3)).to.deep.equal(['default', 'default']);
  });

  it('should try the other candidates once after recheckEvery files on the choice', () => {
    const chooser = createPngEffortChooser({ trialFiles: 1, recheckEvery: 3 });
    const efforts = run(chooser, 3 + 3 + 2 + 3, 1e6);
    expect(efforts.slice(3)).to.deep.equal(['fast', 'fast', 'fast', 'default', 'small', 'fast', 'fast', 'fast']);
  });

  it('should move the choice when the stream changes, within its window', () => {
    const chooser = createPngEffortChooser({ trialFiles: 1, recheckEvery: 2, window: 2 });
    run(chooser, 6, 1e6);
    expect(chooser.chosen()).to.equal('fast');
    // Now fast stops saving anything: default (790 kB saved for 40 ms) must win after rechecks.
    OUTCOME.fast = { bytesOut: 990e3, cpuMs: 20 };
    try {
      const later = run(chooser, 12, 1e6);
      expect(chooser.chosen()).to.equal('default');
      // Every other pair of files is a recheck of fast and small.
      expect(later.filter((effort) => effort === 'default')).to.have.length.of.at.least(5);
    } finally {
      OUTCOME.fast = { bytesOut: 220e3, cpuMs: 20 };
    }
  });

  it('should keep trying a candidate until one of its files was actually reduced', () => {
    const chooser = createPngEffortChooser({ candidates: ['fast', 'small'], trialFiles: 1 });
    expect(chooser.next(1e6)).to.equal('fast');
    chooser.record('fast', reduction(item, { bytesOut: 1e6, cpuMs: 5 }));
    expect(chooser.next(1e6)).to.equal('small');
    chooser.record('small', reduction(item, { bytesOut: 2e5, cpuMs: 100 }));
    expect(chooser.next(1e6)).to.equal('fast');
    expect(chooser.tallies()).to.deep.equal({ small: { files: 1, bytesIn: 1e6, bytesSaved: 8e5, cpuMs: 100 } });
  });

  it('should reject bad options with clear messages', () => {
    expect(() => createPngEffortChooser({ candidates: [] })).to.throw(TypeError, 'Expected `candidates` to be a non-empty list');
    expect(() => createPngEffortChooser({ candidates: ['max' as PngEffort] })).to.throw(TypeError, 'got max');
    expect(() => createPngEffortChooser({ trialFiles: 0 })).to.throw(TypeError, 'Expected `trialFiles` to be an integer >= 1, got 0');
  });
});
