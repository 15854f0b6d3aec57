import { expect } from 'chai';
import { formatNotice } from '../../src/observe/formatNotice.js';

describe('formatNotice', () => {
  const notice = { type: 'stopped', message: 'stopped; 3 acknowledged, 0 pending, 0 failed this run', acknowledged: 3, pending: 0 };

  it('should give the message as it is in human form', () => {
    expect(formatNotice(notice, 'human', 0)).to.equal('stopped; 3 acknowledged, 0 pending, 0 failed this run');
    expect(formatNotice({ type: 'error', message: 'bad config:\n  `cores` must be …' }, 'human', 0)).to.equal('bad config:\n  `cores` must be …');
  });

  it('should give one JSON object with time and type first in json form', () => {
    expect(formatNotice(notice, 'json', 1_000)).to.equal(
      '{"time":"1970-01-01T00:00:01.000Z","type":"stopped","message":"stopped; 3 acknowledged, 0 pending, 0 failed this run","acknowledged":3,"pending":0}',
    );
  });

  it('should keep every key: undefined and infinite values become null', () => {
    const line = formatNotice({ type: 'status', message: 'm', uplink: undefined, maxRetries: Infinity, nested: { eta: undefined } }, 'json', 0);
    expect(JSON.parse(line)).to.deep.equal({ time: '1970-01-01T00:00:00.000Z', type: 'status', message: 'm', uplink: null, maxRetries: null, nested: { eta: null } });
  });

  it('should never write a line break, an Error as {}, or a password', () => {
    const line = formatNotice({ type: 'error', message: 'a\nb', cause: new TypeError('bad'), options: { password: 'hunter2', Authorization: 'Basic x' } }, 'json', 0);
    expect(line).to.not.include('\n');
    expect(line).to.not.include('hunter2');
    expect(line).to.not.include('Basic x');
    expect(JSON.parse(line)).to.deep.include({ message: 'a\nb', cause: { name: 'TypeError', message: 'bad' }, options: {} });
  });

  it('should write a null time for a time that is not finite', () => {
    expect(JSON.parse(formatNotice(notice, 'json', Number.NaN)).time).to.equal(null);
  });

  it('should reject an unknown format or a notice without type and message', () => {
    expect(() => formatNotice(notice, 'yaml' as 'json', 0)).to.throw(TypeError, "Expected `format` to be 'human' or 'json'");
    expect(() => formatNotice({ type: 'x' } as never, 'json', 0)).to.throw(TypeError, 'Expected `notice` to be an object');
  });
});
