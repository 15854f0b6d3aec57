import { expect } from 'chai';
import { RateTrace } from '../../src/bench/RateTrace.js';

// 1000 B/s for 2 s, 4000 B/s for 1 s, then 500 B/s for ever.
const trace = new RateTrace([
  { atMs: 0, bytesPerSec: 1000 },
  { atMs: 2000, bytesPerSec: 4000 },
  { atMs: 3000, bytesPerSec: 500 },
]);

describe('RateTrace', () => {
  it('should give the rate of the step holding at a moment, the first before the origin', () => {
    expect([-5, 0, 1999, 2000, 2999, 3000, 1e9].map((ms) => trace.rateAt(ms))).to.deep.equal([1000, 1000, 1000, 4000, 4000, 500, 500]);
  });

  it('should integrate the rate over an interval across steps', () => {
    expect(trace.bytesBetween(1000, 2500)).to.be.closeTo(1000 + 2000, 1e-9);
    expect(trace.bytesBetween(0, 5000)).to.be.closeTo(2000 + 4000 + 1000, 1e-9);
    expect(trace.bytesBetween(-1000, 0)).to.be.closeTo(1000, 1e-9);
    expect(trace.bytesBetween(3000, 2000)).to.equal(0);
  });

  it('should give the earliest end of a send, the inverse of the integral', () => {
    expect(trace.finishAt(1000, 3000)).to.be.closeTo(2500, 1e-9);
    expect(trace.finishAt(2500, 2000 + 500)).to.be.closeTo(4000, 1e-9);
    expect(trace.finishAt(4000, 0)).to.equal(4000);
    for (const [from, to] of [[0, 7], [100, 2100], [1999, 3001], [2500, 9000], [-300, 50]]) {
      expect(trace.finishAt(from!, trace.bytesBetween(from!, to!))).to.be.closeTo(to!, 1e-6);
    }
  });

  it('should scale and report its mean rate', () => {
    expect(trace.scaled(2).rateAt(2500)).to.equal(8000);
    expect(trace.meanRate(3000)).to.be.closeTo(2000, 1e-9);
    expect(RateTrace.constant(7).meanRate(123)).to.be.closeTo(7, 1e-12);
  });

  it('should refuse steps that are empty, unordered, not starting at 0 or not positive', () => {
    expect(() => new RateTrace([])).to.throw(TypeError, 'non-empty');
    expect(() => new RateTrace([{ atMs: 5, bytesPerSec: 1 }])).to.throw(TypeError, 'Expected `steps[0].atMs` to be 0, got 5');
    expect(() => new RateTrace([{ atMs: 0, bytesPerSec: 1 }, { atMs: 0, bytesPerSec: 2 }])).to.throw(TypeError, '`steps[1].atMs`');
    expect(() => new RateTrace([{ atMs: 0, bytesPerSec: 0 }])).to.throw(TypeError, '`steps[0].bytesPerSec` to be a finite number > 0');
  });
});
