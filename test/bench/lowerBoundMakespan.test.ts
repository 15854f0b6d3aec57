import { expect } from 'chai';
import type { FileCost } from '../../src/bench/FileCost.js';
import { lowerBoundMakespan } from '../../src/bench/lowerBoundMakespan.js';
import { RateTrace } from '../../src/bench/RateTrace.js';

function file(index: number, arrivalMs: number, bytes: number, reducedBytes: number, cpuMs: number): FileCost {
  return { index, arrivalMs, bytes, reducedBytes, cpuMs };
}

/**
 * A feasible schedule: files chosen by `reduce` go, in arrival order, to the core that frees
 * first; uploads go one at a time in the order files become ready. Returns its makespan.
 */
function simulate(files: readonly FileCost[], bytesPerSec: number, cores: number, reduce: (f: FileCost) => boolean): number {
  const bytesPerMs = bytesPerSec / 1000;
  const byArrival = [...files].sort((a, b) => a.arrivalMs - b.arrivalMs);
  const coreFree = new Array<number>(cores).fill(-Infinity);
  const ready = byArrival.map((f) => {
    if (!reduce(f)) return { at: f.arrivalMs, bytes: f.bytes };
    const core = coreFree.indexOf(Math.min(...coreFree));
    const done = Math.max(f.arrivalMs, coreFree[core]) + f.cpuMs;
    coreFree[core] = done;
    return { at: done, bytes: f.reducedBytes };
  });
  ready.sort((a, b) => a.at - b.at);
  let linkFree = -Infinity;
  for (const upload of ready) linkFree = Math.max(linkFree, upload.at) + upload.bytes / bytesPerMs;
  return linkFree - byArrival[0].arrivalMs;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomStream(random: () => number, count: number): FileCost[] {
  let arrival = 1000 * random();
  return Array.from({ length: count }, (_, index) => {
    arrival += random() < 0.2 ? 0 : 100 * random();
    const bytes = Math.round(1000 + 100_000 * random());
    const reducedBytes = Math.round(bytes * (0.1 + 1.1 * random()));
    return file(index, arrival, bytes, reducedBytes, random() < 0.05 ? 0 : 5 + 200 * random());
  });
}

describe('lowerBoundMakespan', () => {
  it('should give 0 for no files', () => {
    expect(lowerBoundMakespan([], { bandwidthBytesPerSec: 1000 })).to.include({ makespanMs: 0, binding: 'none' });
  });

  it('should give the uplink-bound makespan exactly when nothing can be reduced', () => {
    // 10 bytes/ms: 1000 bytes take 100 ms. The late file cannot start before 500 ms.
    const files = [file(0, 0, 1000, 1000, 5), file(1, 0, 1000, 1200, 5), file(2, 500, 1000, 1000, 5)];
    const bound = lowerBoundMakespan(files, { bandwidthBytesPerSec: 10_000, cores: 4 });
    expect(bound.makespanMs).to.be.closeTo(600, 1e-9);
    expect(bound.suffixStartIndex).to.equal(2);
    expect(bound.rawUploadMs).to.be.closeTo(300, 1e-9);
    expect(bound.reduceAllCpuMs).to.equal(0);
  });

  it('should sum the uplink time of a burst when nothing can be reduced', () => {
    const files = [file(0, 20, 1000, 1000, 0), file(1, 40, 3000, 3000, 0)];
    expect(lowerBoundMakespan(files, { bandwidthBytesPerSec: 10_000 }).makespanMs).to.be.closeTo(400, 1e-9);
  });

  it('should send everything reduced when CPU is unlimited and free', () => {
    const files = [0, 1, 2].map((i) => file(i, 0, 1000, 100, 0));
    const bound = lowerBoundMakespan(files, { bandwidthBytesPerSec: 10_000, cores: Infinity });
    expect(bound.makespanMs).to.be.closeTo(bound.minimalUploadMs, 1e-9);
    expect(bound.makespanMs).to.be.closeTo(30, 1e-9);
  });

  it('should let unlimited cores reduce everything yet still wait for one reduction', () => {
    const files = [0, 1, 2].map((i) => file(i, 0, 1000, 100, 10));
    // Each file alone needs 10 ms CPU + 10 ms upload; together the uplink needs 300 bytes.
    expect(lowerBoundMakespan(files, { bandwidthBytesPerSec: 10_000, cores: Infinity }).makespanMs).to.be.closeTo(30, 1e-9);
    expect(lowerBoundMakespan(files, { bandwidthBytesPerSec: 10_000, cores: 1e12 }).makespanMs).to.be.closeTo(30, 1e-9);
  });

  it('should take the one-file path when reducing beats sending raw', () => {
    // Raw: 1000 ms. Reduced: 100 ms CPU then 200 ms upload.
    const bound = lowerBoundMakespan([file(0, 50, 1000, 200, 100)], { bandwidthBytesPerSec: 1000 });
    expect(bound.makespanMs).to.be.closeTo(300, 1e-9);
    expect(bound.fileBoundMs).to.be.closeTo(300, 1e-9);
    expect(bound.firstArrivalMs).to.equal(50);
  });

  it('should match a hand-computed fractional bound for two files on one core', () => {
    // 1 byte/ms, each file 1000 bytes reducible to 0 with 100 ms CPU. Both become eligible at
    // 100 ms; then τ + 1000 + 10·(τ − 100) = 2000 gives τ = 100 + 900/11.
    const files = [file(0, 0, 1000, 0, 100), file(1, 0, 1000, 0, 100)];
    const bound = lowerBoundMakespan(files, { bandwidthBytesPerSec: 1000, cores: 1 });
    expect(bound.makespanMs).to.be.closeTo(100 + 900 / 11, 1e-9);
    expect(bound.binding).to.equal('suffix');
    expect(bound.fileBoundMs).to.be.closeTo(100, 1e-9);
    // The real optimum reduces both one after the other: 200 ms.
    expect(simulate(files, 1000, 1, () => true)).to.equal(200);
  });

  it('should not count a file as reduced before its reduction could be uploaded', () => {
    // Reducing takes 1000 ms, longer than sending raw (100 ms): the bound stays at 100 ms.
    const bound = lowerBoundMakespan([file(0, 0, 100, 0, 1000)], { bandwidthBytesPerSec: 1000, cores: 8 });
    expect(bound.makespanMs).to.be.closeTo(100, 1e-9);
  });

  it('should never exceed the makespan of feasible greedy schedules', () => {
    const random = mulberry32(7);
    for (let trial = 0; trial < 60; trial++) {
      const files = randomStream(random, 1 + Math.floor(random() * 25));
      const bandwidthBytesPerSec = 100_000 + 5_000_000 * random();
      const cores = 1 + Math.floor(random() * 3);
      const bound = lowerBoundMakespan(files, { bandwidthBytesPerSec, cores }).makespanMs;
      const threshold = random() * 1000;
      const policies: Array<(f: FileCost) => boolean> = [
        () => false,
        (f) => f.reducedBytes < f.bytes,
        (f) => f.reducedBytes < f.bytes && (f.bytes - f.reducedBytes) / Math.max(f.cpuMs, 1e-9) > threshold,
        () => random() < 0.5,
      ];
      for (const policy of policies) {
        expect(bound).to.be.at.most(simulate(files, bandwidthBytesPerSec, cores, policy) + 1e-6);
      }
      expect(bound).to.be.at.least(0);
    }
  });

  it('should stay at or below the best choice of files to reduce on small streams', () => {
    const random = mulberry32(19);
    for (let trial = 0; trial < 40; trial++) {
      const files = randomStream(random, 1 + Math.floor(random() * 6));
      const bandwidthBytesPerSec = 200_000 + 2_000_000 * random();
      const cores = 1 + Math.floor(random() * 2);
      let best = Infinity;
      for (let subset = 0; subset < 1 << files.length; subset++) {
        best = Math.min(best, simulate(files, bandwidthBytesPerSec, cores, (f) => (subset & (1 << f.index)) !== 0));
      }
      const bound = lowerBoundMakespan(files, { bandwidthBytesPerSec, cores }).makespanMs;
      expect(bound).to.be.at.most(best + 1e-6);
      // A relaxation, but not a vacuous one: on these streams it lands within a few percent.
      expect(bound).to.be.at.least(best / 2);
    }
  });

  it('should not grow with more bandwidth or more cores', () => {
    const random = mulberry32(11);
    for (let trial = 0; trial < 30; trial++) {
      const files = randomStream(random, 1 + Math.floor(random() * 30));
      const bandwidths = [2e5, 5e5, 1e6, 3e6, 1e7];
      const cores = [1, 2, 3, 8, Infinity];
      const byBandwidth = bandwidths.map((b) => lowerBoundMakespan(files, { bandwidthBytesPerSec: b, cores: 2 }).makespanMs);
      const byCores = cores.map((c) => lowerBoundMakespan(files, { bandwidthBytesPerSec: 1e6, cores: c }).makespanMs);
      for (let i = 1; i < 5; i++) {
        expect(byBandwidth[i]).to.be.at.most(byBandwidth[i - 1] + 1e-9);
        expect(byCores[i]).to.be.at.most(byCores[i - 1] + 1e-9);
      }
    }
  });

  it('should tighten as CPU becomes scarce on a reducible stream', () => {
    const files = Array.from({ length: 20 }, (_, i) => file(i, i * 10, 100_000, 10_000, 80));
    const few = lowerBoundMakespan(files, { bandwidthBytesPerSec: 1e6, cores: 1 }).makespanMs;
    const many = lowerBoundMakespan(files, { bandwidthBytesPerSec: 1e6, cores: 8 }).makespanMs;
    expect(many).to.be.below(few / 2);
  });

  it('should not depend on the order of the table', () => {
    const files = randomStream(mulberry32(3), 20);
    const options = { bandwidthBytesPerSec: 1e6, cores: 2 };
    expect(lowerBoundMakespan([...files].reverse(), options)).to.deep.equal(lowerBoundMakespan(files, options));
  });

  it('should reject invalid options and files', () => {
    expect(() => lowerBoundMakespan([], { bandwidthBytesPerSec: 0 })).to.throw(
      TypeError,
      'Expected `bandwidthBytesPerSec` to be a finite number > 0, got 0',
    );
    expect(() => lowerBoundMakespan([], { bandwidthBytesPerSec: 1, cores: 0 })).to.throw(TypeError, /`cores`/);
    expect(() => lowerBoundMakespan([file(0, 0, -1, 0, 0)], { bandwidthBytesPerSec: 1 })).to.throw(
      TypeError,
      'Expected `files[0].bytes` to be a finite number >= 0, got -1',
    );
    expect(() => lowerBoundMakespan([file(0, NaN, 1, 0, 0)], { bandwidthBytesPerSec: 1 })).to.throw(TypeError, /arrivalMs/);
  });
});

describe('lowerBoundMakespan on a time-varying uplink', () => {
  /** The feasible greedy schedule of the tests above, on a link whose rate follows `trace` from the first arrival. */
  function simulateOnTrace(files: readonly FileCost[], trace: RateTrace, cores: number, reduce: (f: FileCost) => boolean): number {
    const byArrival = [...files].sort((a, b) => a.arrivalMs - b.arrivalMs);
    const origin = byArrival[0]!.arrivalMs;
    const coreFree = new Array<number>(cores).fill(-Infinity);
    const ready = byArrival.map((f) => {
      if (!reduce(f)) return { at: f.arrivalMs, bytes: f.bytes };
      const core = coreFree.indexOf(Math.min(...coreFree));
      const done = Math.max(f.arrivalMs, coreFree[core]!) + f.cpuMs;
      coreFree[core] = done;
      return { at: done, bytes: f.reducedBytes };
    });
    ready.sort((a, b) => a.at - b.at);
    let linkFree = -Infinity;
    for (const upload of ready) linkFree = trace.finishAt(Math.max(linkFree, upload.at) - origin, upload.bytes) + origin;
    return linkFree - origin;
  }

  function randomTrace(random: () => number): RateTrace {
    let atMs = 0;
    return new RateTrace(
      Array.from({ length: 1 + Math.floor(random() * 8) }, (_, i) => {
        if (i > 0) atMs += 1 + 800 * random();
        return { atMs, bytesPerSec: 50_000 + 3_000_000 * random() };
      }),
    );
  }

  it('should equal the constant-rate bound on a one-step trace', () => {
    const random = mulberry32(23);
    for (let trial = 0; trial < 20; trial++) {
      const files = randomStream(random, 1 + Math.floor(random() * 20));
      const rate = 100_000 + 3_000_000 * random();
      const constant = lowerBoundMakespan(files, { bandwidthBytesPerSec: rate, cores: 1 });
      const traced = lowerBoundMakespan(files, { bandwidthTrace: RateTrace.constant(rate), cores: 1 });
      expect(traced.makespanMs).to.be.closeTo(constant.makespanMs, 1e-5);
      expect(traced.rawUploadMs).to.be.closeTo(constant.rawUploadMs, 1e-6);
    }
  });

  it('should take the capacity as the integral of the trace', () => {
    // 3000 bytes from t = 0 on 1000 B/s for 1 s, then 2000 B/s: 1 s + 1 s.
    const slowThenFast = new RateTrace([{ atMs: 0, bytesPerSec: 1000 }, { atMs: 1000, bytesPerSec: 2000 }]);
    const bound = lowerBoundMakespan([file(0, 0, 3000, 3000, 0)], { bandwidthTrace: slowThenFast });
    expect(bound.makespanMs).to.be.closeTo(2000, 1e-9);
    // Two files, the second arriving in the fast part: all 4000 bytes need 1000 + 2000·(T − 1) ≥ 4000.
    const two = lowerBoundMakespan([file(0, 0, 2000, 2000, 0), file(1, 1200, 2000, 2000, 0)], { bandwidthTrace: slowThenFast });
    expect(two.makespanMs).to.be.closeTo(2500, 1e-6);
    // With the fast part first, the same bytes take less.
    const fastThenSlow = new RateTrace([{ atMs: 0, bytesPerSec: 2000 }, { atMs: 1000, bytesPerSec: 1000 }]);
    expect(lowerBoundMakespan([file(0, 0, 3000, 3000, 0)], { bandwidthTrace: fastThenSlow }).makespanMs).to.be.closeTo(2000, 1e-9);
    expect(lowerBoundMakespan([file(0, 0, 2000, 2000, 0)], { bandwidthTrace: fastThenSlow }).makespanMs).to.be.closeTo(1000, 1e-9);
  });

  it('should count a reduction only once its copy could be sent at the rates of its moment', () => {
    // Reducing takes 500 ms and leaves 100 bytes; the link drops to 100 B/s at 500 ms: 1500 ms.
    // Raw, the 1000 bytes go at 10 000 B/s before the drop: 100 ms.
    const drop = new RateTrace([{ atMs: 0, bytesPerSec: 10_000 }, { atMs: 500, bytesPerSec: 100 }]);
    expect(lowerBoundMakespan([file(0, 0, 1000, 100, 500)], { bandwidthTrace: drop }).makespanMs).to.be.closeTo(100, 1e-9);
  });

  it('should never exceed the makespan of feasible greedy schedules', () => {
    const random = mulberry32(29);
    for (let trial = 0; trial < 60; trial++) {
      const files = randomStream(random, 1 + Math.floor(random() * 25));
      const trace = randomTrace(random);
      const cores = 1 + Math.floor(random() * 3);
      const bound = lowerBoundMakespan(files, { bandwidthTrace: trace, cores }).makespanMs;
      const threshold = random() * 1000;
      const policies: Array<(f: FileCost) => boolean> = [
        () => false,
        (f) => f.reducedBytes < f.bytes,
        (f) => f.reducedBytes < f.bytes && (f.bytes - f.reducedBytes) / Math.max(f.cpuMs, 1e-9) > threshold,
        () => random() < 0.5,
      ];
      for (const policy of policies) {
        expect(bound).to.be.at.most(simulateOnTrace(files, trace, cores, policy) + 1e-6);
      }
    }
  });

  it('should stay close to the best choice of files to reduce on small streams', () => {
    const random = mulberry32(31);
    for (let trial = 0; trial < 30; trial++) {
      const files = randomStream(random, 1 + Math.floor(random() * 6));
      const trace = randomTrace(random);
      let best = Infinity;
      for (let subset = 0; subset < 1 << files.length; subset++) {
        best = Math.min(best, simulateOnTrace(files, trace, 1, (f) => (subset & (1 << f.index)) !== 0));
      }
      const bound = lowerBoundMakespan(files, { bandwidthTrace: trace, cores: 1 }).makespanMs;
      expect(bound).to.be.at.most(best + 1e-6);
      expect(bound).to.be.at.least(best / 2);
    }
  });

  it('should want exactly one of a rate and a trace', () => {
    expect(() => lowerBoundMakespan([], {})).to.throw(TypeError, 'Expected exactly one of `bandwidthBytesPerSec` and `bandwidthTrace`');
    expect(() => lowerBoundMakespan([], { bandwidthBytesPerSec: 1, bandwidthTrace: RateTrace.constant(1) })).to.throw(TypeError, 'exactly one');
  });
});
