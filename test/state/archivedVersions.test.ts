import { expect } from 'chai';
import { decodeVersions, encodeVersions } from '../../src/state/archivedVersions.js';
import type { LedgerEntry } from '../../src/state/LedgerEntry.js';
import { fileKey } from './ledgerTestKit.js';

const acknowledged: LedgerEntry = {
  ...fileKey('a.tif'),
  dev: 2049,
  ino: 1_234_567,
  state: 'acknowledged',
  attempts: 1,
  createdAt: 1_764_000_000_123,
  updatedAt: 1_764_000_000_987,
};

describe('archivedVersions', () => {
  it('should read back every field of every version exactly, each with the path of its key', () => {
    const reduced: LedgerEntry = {
      ...fileKey('a.tif', 1),
      mtimeMs: 1_700_000_000_000.123_4,
      state: 'failed',
      attempts: 7,
      lastError: 'HTTP 412: tag "x" is not accepted',
      lastErrorAt: 1_764_000_001_000,
      permanent: true,
      reduction: { reducer: 'reduceImage', settings: { threshold: 0.1 }, outputHash: 'f'.repeat(64), bytesSaved: 40, cpuMs: 12.5 },
      createdAt: 1_764_000_000_500,
      updatedAt: 1_764_000_001_000,
    };
    const text = encodeVersions([acknowledged, reduced]);
    expect(decodeVersions('/data/in/a.tif', text)).to.deep.equal([acknowledged, reduced]);
    expect(text).to.not.include('/data/in/a.tif');
  });

  it('should store a version as a tuple with its hash in base64url, less than half its JSON object', () => {
    const text = encodeVersions([acknowledged]);
    const [tuple] = JSON.parse(text) as unknown[][];
    expect(tuple).to.deep.equal([100, 1_700_000_000_000, Buffer.from(acknowledged.hash, 'hex').toString('base64url'), 4, 1, 1_764_000_000_123, 864, 2049, 1_234_567]);
    const { path: _path, ...object } = acknowledged;
    expect(text.length).to.be.below(JSON.stringify([object]).length / 2);
  });

  it('should keep what a tuple cannot hold exactly: a hash that is not hex, an updatedAt a difference would round, no dev or ino', () => {
    const odd: LedgerEntry = {
      path: '/data/in/b.tif',
      size: 0,
      mtimeMs: 0,
      hash: 'NOT-A-HEX-HASH',
      state: 'seen',
      attempts: 0,
      createdAt: 8,
      updatedAt: 0.6,
    };
    expect(8 + (0.6 - 8)).to.not.equal(0.6);
    const [decoded] = decodeVersions('/data/in/b.tif', encodeVersions([odd]));
    expect(decoded).to.deep.equal(odd);
    expect(decoded).to.not.have.property('dev');
    expect(decoded).to.not.have.property('ino');
  });

  it('should keep a field the tuple has no slot for under its own name, one added to entries later included', () => {
    const withNewField = { ...acknowledged, lastError: undefined, checkedAt: 1_764_000_002_000 } as LedgerEntry;
    const text = encodeVersions([withNewField]);
    const [decoded] = decodeVersions('/data/in/a.tif', text);
    expect(decoded).to.deep.equal({ ...acknowledged, checkedAt: 1_764_000_002_000 });
    expect(decoded).to.not.have.property('lastError');
  });

  it('should read versions stored as JSON objects, with their path or without it', () => {
    const { path: _path, ...withoutPath } = acknowledged;
    const older = { ...fileKey('a.tif', 2), state: 'seen', attempts: 0, createdAt: 5, updatedAt: 5 };
    expect(decodeVersions('/data/in/a.tif', JSON.stringify([withoutPath, older]))).to.deep.equal([acknowledged, older]);
  });

  it('should refuse a tuple whose state code it does not know rather than guess', () => {
    const [tuple] = JSON.parse(encodeVersions([acknowledged])) as unknown[][];
    tuple![3] = 42;
    expect(() => decodeVersions('/data/in/a.tif', JSON.stringify([tuple]))).to.throw('/data/in/a.tif in an unknown state (code 42)');
  });
});
