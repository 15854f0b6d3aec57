import { expect } from 'chai';
import { boxStats, escapeXml, extent, formatTick, linearScale, niceTicks, quantile } from '../../src/bench/plotInternals.js';

describe('plotInternals', () => {
  describe('niceTicks', () => {
    it('should cover the data with round steps', () => {
      expect(niceTicks(0, 97, 5)).to.deep.equal({ min: 0, max: 100, step: 20, ticks: [0, 20, 40, 60, 80, 100] });
      expect(niceTicks(38.2, 82, 6).ticks).to.deep.equal([30, 40, 50, 60, 70, 80, 90]);
      expect(niceTicks(0, 1.4e8, 6).step).to.equal(2.5e7);
    });

    it('should produce ticks without floating-point noise', () => {
      expect(niceTicks(0.1, 0.3, 4).ticks).to.deep.equal([0.1, 0.15, 0.2, 0.25, 0.3]);
      expect(niceTicks(-0.7, 0.2, 5).ticks).to.deep.equal([-0.8, -0.6, -0.4, -0.2, 0, 0.2]);
    });

    it('should widen a degenerate range', () => {
      expect(niceTicks(0, 0).ticks).to.deep.equal([0, 0.2, 0.4, 0.6, 0.8, 1]);
      const around = niceTicks(50, 50);
      expect(around.min).to.be.below(50);
      expect(around.max).to.be.above(50);
    });
  });

  describe('formatTick', () => {
    it('should use as many decimals as the step needs', () => {
      expect(formatTick(0.25, 0.25, 1)).to.equal('0.25');
      expect(formatTick(7.5, 2.5, 10)).to.equal('7.5');
      expect(formatTick(40, 20, 100)).to.equal('40');
      expect(formatTick(0, 0.2, 1)).to.equal('0');
    });

    it('should shorten large values with SI suffixes', () => {
      expect(formatTick(2.5e6, 5e5, 5e6)).to.equal('2.5M');
      expect(formatTick(75e6, 25e6, 150e6)).to.equal('75M');
      expect(formatTick(20_000, 10_000, 50_000)).to.equal('20k');
    });
  });

  describe('quantile and boxStats', () => {
    it('should interpolate quartiles like R type 7', () => {
      expect(quantile([1, 2, 3, 4], 0.25)).to.equal(1.75);
      expect(quantile([1, 2, 3, 4], 0.5)).to.equal(2.5);
      expect(quantile([1, 2, 3, 4], 0.75)).to.equal(3.25);
      expect(quantile([5], 0.9)).to.equal(5);
    });

    it('should put Tukey whiskers at the furthest values inside 1.5 IQR and flag the rest', () => {
      const stats = boxStats([100, 3, 1, 4, 2, -9])!;
      // sorted -9 1 2 3 4 100: q1 = 1.25, q3 = 3.75, fences -2.5 and 7.5
      expect(stats).to.deep.include({ count: 6, q1: 1.25, median: 2.5, q3: 3.75, whiskerLow: 1, whiskerHigh: 4 });
      expect(stats.outliers).to.deep.equal([-9, 100]);
      expect(boxStats([])).to.equal(undefined);
    });
  });

  it('should escape XML special characters', () => {
    expect(escapeXml(`a<b>&"c'`)).to.equal('a&lt;b&gt;&amp;&quot;c&apos;');
  });

  it('should map domains onto reversed ranges and find extents of long arrays', () => {
    const y = linearScale(0, 10, 300, 100);
    expect(y(0)).to.equal(300);
    expect(y(5)).to.equal(200);
    expect(extent(Array.from({ length: 300_000 }, (_, i) => i))).to.deep.equal([0, 299_999]);
  });
});
