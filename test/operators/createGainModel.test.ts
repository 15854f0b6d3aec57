import { expect } from 'chai';
import { createGainModel } from '../../src/operators/createGainModel.js';

describe('createGainModel', () => {
  it('should estimate nothing before any score is known', () => {
    const model = createGainModel();
    expect(model.known).to.equal(0);
    expect(model.estimate(5)).to.equal(undefined);
  });

  it('should estimate the mean of the known scores while 3 or fewer are known', () => {
    const model = createGainModel();
    model.observe(0, 10);
    model.observe(10, 40);
    expect(model.usesMean).to.equal(true);
    expect(model.estimate(5)).to.equal(25);
    expect(model.estimate(100)).to.equal(25);
    model.observe(20, 10);
    expect(model.estimate(15)).to.equal(20);
    expect(model.estimate(10)).to.equal(40);
  });

  it('should interpolate linearly over index once more than 3 are known', () => {
    const model = createGainModel();
    [[0, 10], [10, 30], [20, 10], [30, 40]].forEach(([index, score]) => model.observe(index!, score!));
    expect(model.usesMean).to.equal(false);
    expect(model.estimate(5)).to.equal(20);
    expect(model.estimate(15)).to.equal(20);
    expect(model.estimate(24)).to.be.closeTo(22, 1e-9);
  });

  it('should hold the estimate constant beyond the first and last known index', () => {
    const model = createGainModel();
    [[5, 10], [10, 30], [20, 10], [30, 40]].forEach(([index, score]) => model.observe(index!, score!));
    expect(model.estimate(0)).to.equal(10);
    expect(model.estimate(1000)).to.equal(40);
  });

  it('should refit after each observation, including a point between known ones', () => {
    const model = createGainModel();
    [[0, 0], [10, 0], [20, 0], [30, 0]].forEach(([index, score]) => model.observe(index!, score!));
    expect(model.estimate(15)).to.equal(0);
    model.observe(15, 100);
    expect(model.estimate(12)).to.be.closeTo(40, 1e-9);
    expect(model.estimate(25)).to.equal(0);
    model.observe(15, 50);
    expect(model.estimate(12)).to.be.closeTo(20, 1e-9);
    expect(model.known).to.equal(5);
  });

  it('should honour interpolateAfter', () => {
    const model = createGainModel({ interpolateAfter: 1 });
    model.observe(0, 0);
    model.observe(10, 100);
    expect(model.estimate(5)).to.equal(50);
    expect(model.estimate(8)).to.equal(80);
  });

  it('should answer neighbour queries and list points in index order', () => {
    const model = createGainModel();
    model.observe(20, 1);
    model.observe(3, 2);
    expect(model.knownAtOrBefore(19)).to.equal(3);
    expect(model.knownAtOrAfter(4)).to.equal(20);
    expect(model.knownAtOrAfter(21)).to.equal(undefined);
    expect(model.points()).to.deep.equal([
      { index: 3, score: 2 },
      { index: 20, score: 1 },
    ]);
  });

  it('should reject bad options and bad points', () => {
    expect(() => createGainModel({ interpolateAfter: -1 })).to.throw(
      TypeError,
      'Expected `interpolateAfter` to be an integer >= 0, got -1',
    );
    const model = createGainModel();
    expect(() => model.observe(-1, 1)).to.throw(RangeError);
    expect(() => model.observe(1, Number.NaN)).to.throw(RangeError);
  });
});
