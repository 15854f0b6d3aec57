import { expect } from 'chai';
import { streamId } from '../../src/sinks/streamId.js';

describe('streamId', () => {
  it('should format the start time in local time followed by the tag', () => {
    expect(streamId({ startedAt: new Date(2026, 10, 25, 3, 19, 0), tag: 'vironova' })).to.equal('2026_11_25__03_19_00_vironova');
  });

  it('should zero-pad every field', () => {
    expect(streamId({ startedAt: new Date(987, 0, 2, 4, 5, 6), tag: 'discard' })).to.equal('0987_01_02__04_05_06_discard');
  });

  it('should default the tag to vironova', () => {
    expect(streamId({ startedAt: new Date(2026, 0, 1, 23, 59, 58) })).to.equal('2026_01_01__23_59_58_vironova');
  });

  it('should default the start time to now', () => {
    const before = new Date();
    const id = streamId({ tag: 'x' });
    expect(id).to.match(/^\d{4}_\d{2}_\d{2}__\d{2}_\d{2}_\d{2}_x$/);
    expect(id.slice(0, 4)).to.equal(String(before.getFullYear()));
  });

  it('should reject tags that are unsafe in a URL or folder name', () => {
    for (const tag of ['', 'a/b', '..', 'with space', 'ü', 'x'.repeat(65)]) {
      expect(() => streamId({ startedAt: new Date(), tag }), tag).to.throw(TypeError, /`tag`/);
    }
  });

  it('should reject an invalid date', () => {
    expect(() => streamId({ startedAt: new Date(Number.NaN) })).to.throw(TypeError, /`startedAt`/);
  });
});
