import { expect } from 'chai';
import { fileItem } from '../../src/testing/fileItem.js';
import { uploaded } from '../../src/testing/uploaded.js';

describe('uploaded', () => {
  const a = fileItem(0, 100);

  it("should acknowledge the file's size with 200 at time 0 by default", () => {
    expect(uploaded(a)).to.deep.equal({ item: a, status: 200, bytes: 100, startedAt: 0, finishedAt: 0 });
  });

  it('should take the bytes, status and times', () => {
    expect(uploaded(a, { bytes: 40, status: 201, startedAt: 2, finishedAt: 7 })).to.deep.equal({ item: a, status: 201, bytes: 40, startedAt: 2, finishedAt: 7 });
  });
});
