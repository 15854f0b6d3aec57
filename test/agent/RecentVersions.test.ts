import { expect } from 'chai';
import { RecentVersions } from '../../src/agent/RecentVersions.js';

describe('RecentVersions', () => {
  const v = (path: string, size = 1, mtimeMs = 1) => ({ path, size, mtimeMs });

  it('should take a version once, and another version of the same path as new', () => {
    const taken = new RecentVersions(10);
    expect(taken.add(v('/a'))).to.equal(true);
    expect(taken.add(v('/a'))).to.equal(false);
    expect(taken.add(v('/a', 2))).to.equal(true);
    expect(taken.add(v('/a', 1, 2))).to.equal(true);
    expect(taken.size).to.equal(3);
  });

  it('should never forget a version not done with, however many others are done', () => {
    const taken = new RecentVersions(1);
    taken.add(v('/waiting'));
    for (let i = 0; i < 5; i += 1) {
      taken.add(v(`/f${i}`));
      taken.finish(v(`/f${i}`));
    }
    expect(taken.add(v('/waiting'))).to.equal(false);
    expect(taken.size).to.equal(2); // /waiting, and the latest done
  });

  it('should keep only the latest `capacity` versions done with, forgetting the oldest', () => {
    const taken = new RecentVersions(2);
    for (const path of ['/a', '/b', '/c']) {
      taken.add(v(path));
      taken.finish(v(path));
    }
    expect(taken.add(v('/b'))).to.equal(false);
    expect(taken.add(v('/c'))).to.equal(false);
    expect(taken.add(v('/a'))).to.equal(true); // forgotten: taken again
  });

  it('should forget a version at once on delete, waiting or done', () => {
    const taken = new RecentVersions(10);
    taken.add(v('/a'));
    taken.delete(v('/a'));
    expect(taken.add(v('/a'))).to.equal(true);
    taken.finish(v('/a'));
    taken.delete(v('/a'));
    expect(taken.add(v('/a'))).to.equal(true);
  });

  it('should finish one version of a path and keep the other waiting', () => {
    const taken = new RecentVersions(10);
    taken.add(v('/a', 1));
    taken.add(v('/a', 2));
    taken.finish(v('/a', 1));
    expect(taken.add(v('/a', 1))).to.equal(false);
    expect(taken.add(v('/a', 2))).to.equal(false);
    taken.finish(v('/a', 3)); // never taken: ignored
    expect(taken.size).to.equal(2);
  });
});
