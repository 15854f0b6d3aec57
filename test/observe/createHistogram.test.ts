import { expect } from 'chai';
import { createHistogram } from '../../src/observe/createHistogram.js';
import { checkHistogram, parseExposition } from './exposition.js';

describe('createHistogram', () => {
  it('should render an empty histogram with zero buckets, sum and count', () => {
    const histogram = createHistogram({ name: 'x_seconds', help: 'X.', buckets: [0.5, 1] });
    expect(histogram.render()).to.deep.equal([
      '# HELP x_seconds X.',
      '# TYPE x_seconds histogram',
      'x_seconds_bucket{le="0.5"} 0',
      'x_seconds_bucket{le="1"} 0',
      'x_seconds_bucket{le="+Inf"} 0',
      'x_seconds_sum 0',
      'x_seconds_count 0',
    ]);
  });

  it('should count values into cumulative buckets, a bound itself included in its bucket', () => {
    const histogram = createHistogram({ name: 'x_seconds', help: 'X.', buckets: [0.5, 1, 5] });
    for (const value of [0.1, 0.5, 0.7, 1, 4, 100]) histogram.observe(value);
    expect(histogram.render().slice(2)).to.deep.equal([
      'x_seconds_bucket{le="0.5"} 2',
      'x_seconds_bucket{le="1"} 4',
      'x_seconds_bucket{le="5"} 5',
      'x_seconds_bucket{le="+Inf"} 6',
      'x_seconds_sum 106.3',
      'x_seconds_count 6',
    ]);
    expect(histogram.count).to.equal(6);
    expect(histogram.sum).to.be.closeTo(106.3, 1e-9);
  });

  it('should use the Prometheus default buckets and render valid exposition text', () => {
    const histogram = createHistogram({ name: 'y', help: 'Back\\slash and\nnewline.' });
    expect(histogram.buckets).to.deep.equal([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    histogram.observe(0.03);
    const families = parseExposition(`${histogram.render().join('\n')}\n`);
    expect(histogram.render()[0]).to.equal('# HELP y Back\\\\slash and\\nnewline.');
    const { buckets, count } = checkHistogram(families.get('y')!);
    expect(count).to.equal(1);
    expect(buckets.find(([le]) => le === 0.05)).to.deep.equal([0.05, 1]);
    expect(buckets.find(([le]) => le === 0.025)).to.deep.equal([0.025, 0]);
  });

  it('should ignore NaN and infinite observations', () => {
    const histogram = createHistogram({ name: 'z', help: 'Z.', buckets: [1] });
    histogram.observe(Number.NaN);
    histogram.observe(Infinity);
    expect([histogram.count, histogram.sum]).to.deep.equal([0, 0]);
  });

  it('should accept an explicit trailing Infinity bucket without rendering +Inf twice', () => {
    const histogram = createHistogram({ name: 'z', help: 'Z.', buckets: [1, Infinity] });
    expect(histogram.buckets).to.deep.equal([1]);
    expect(histogram.render().filter((line) => line.includes('+Inf'))).to.have.length(1);
  });

  it('should reject bad names and buckets', () => {
    expect(() => createHistogram({ name: '1bad', help: '' })).to.throw(TypeError, 'Expected `name` to be a Prometheus metric name');
    expect(() => createHistogram({ name: 'a', help: '', buckets: [] })).to.throw(TypeError, 'strictly ascending');
    expect(() => createHistogram({ name: 'a', help: '', buckets: [1, 1] })).to.throw(TypeError, 'strictly ascending');
    expect(() => createHistogram({ name: 'a', help: '', buckets: [2, 1] })).to.throw(TypeError, 'strictly ascending');
  });
});
