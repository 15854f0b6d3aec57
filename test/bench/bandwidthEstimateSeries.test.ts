import { expect } from 'chai';
import { bandwidthEstimateSeries } from '../../src/bench/bandwidthEstimateSeries.js';
import type { FileRecord } from '../../src/bench/digestEvents.js';

const upload = (name: string, uploadStartMs: number, uploadedMs: number, sentBytes: number): FileRecord => ({ name, bytes: sentBytes, uploadStartMs, uploadedMs, sentBytes });

describe('bandwidthEstimateSeries', () => {
  it('should give the estimate at each upload end, sharing the link between overlapping uploads', () => {
    // 1000 B/s shared: a and b both start at 0 with 500 and 1000 B; a ends at 1 s, b at 1.5 s.
    const points = bandwidthEstimateSeries([upload('b', 0, 1500, 1000), upload('a', 0, 1000, 500)]);
    expect(points).to.have.length(2);
    expect(points[0]![0]).to.equal(1000);
    expect(points[0]![1]).to.be.closeTo(1000, 1e-9);
    expect(points[1]![1]).to.be.closeTo(1000, 1e-9);
  });

  it('should follow a step of the link after two uploads at the new rate', () => {
    const files = [0, 1, 2].map((i) => upload(`s${i}`, i * 1000, (i + 1) * 1000, 1000));
    files.push(upload('f0', 3000, 3250, 1000), upload('f1', 3250, 3500, 1000));
    const rates = bandwidthEstimateSeries(files).map(([, rate]) => Math.round(rate));
    // After f0 the window mixes the loaded uploads (s1, s2, f0; s0 started on a rested link).
    expect(rates).to.deep.equal([1000, 1000, 1000, 1333, 4000]);
  });

  it('should skip files that were not uploaded', () => {
    expect(bandwidthEstimateSeries([{ name: 'x', bytes: 5, seenMs: 0 }])).to.deep.equal([]);
  });
});
