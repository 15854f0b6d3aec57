import { expect } from 'chai';
import { fileItem } from '../../src/testing/fileItem.js';

describe('fileItem', () => {
  it('should build the index-th file of a size at /in/f<index>, equal across calls', () => {
    expect(fileItem(3, 100)).to.deep.equal({ path: '/in/f3', size: 100, mtimeMs: 0, index: 3 });
    expect(fileItem(3, 100)).to.deep.equal(fileItem(3, 100));
  });

  it('should take overrides, and build what the library must refuse', () => {
    expect(fileItem(0, 5, { path: '/data/x.png', dev: 1, ino: 2 })).to.deep.equal({ path: '/data/x.png', size: 5, mtimeMs: 0, index: 0, dev: 1, ino: 2 });
    expect(fileItem(-1, 100).index).to.equal(-1);
  });
});
