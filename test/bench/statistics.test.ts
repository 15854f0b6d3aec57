import { expect } from 'chai';
import { gapClosed, median, percentile } from '../../src/bench/statistics.js';

describe('statistics', () => {
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

  describe('median and percentile', () => {
    it('should interpolate between order statistics of unsorted values', () => {
      expect(median([3, 1, 2])).to.equal(2);
      expect(median([4, 1, 3, 2])).to.equal(2.5);
      expect(percentile([0, 10, 20, 30, 40], 0.95)).to.equal(38);
      expect(median([])).to.be.NaN;
    });
  });
});
