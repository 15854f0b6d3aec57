import { expect } from 'chai';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryBlobIndex, openLevelBlobIndex, retryKey } from '../../src/gateway/blobIndex.js';

const hashA = 'a'.repeat(64);
const hashB = 'b'.repeat(64);
const entry = (name: string) => ({ storedAs: name, originalFilename: `/d/${name}`, sha256: hashA });

describe('blobIndex', () => {
  describe('retryKey', () => {
    it('should tell apart streams, names and hashes, and keep the stream readable', () => {
      const keys = [retryKey('s1', '/a', hashA), retryKey('s2', '/a', hashA), retryKey('s1', '/b', hashA), retryKey('s1', '/a', hashB)];
      expect(new Set(keys).size).to.equal(4);
      expect(keys[0]).to.match(/^s1\//);
      expect(retryKey('s1', '/a', hashA)).to.equal(keys[0]);
      // A decoded %00 can put the separator inside a name; the key still differs from the bare name's.
      expect(retryKey('s', `x\u0000${hashA}`, hashA)).to.not.equal(retryKey('s', 'x', hashA));
    });
  });

  describe('createMemoryBlobIndex', () => {
    it('should find what it was given and forget the oldest beyond its limit', async () => {
      const index = createMemoryBlobIndex(2);
      await index.add('k1', entry('1'));
      await index.add('k2', entry('2'));
      expect(await index.find('k1')).to.deep.equal(entry('1'));
      await index.add('k3', entry('3'));
      expect([await index.find('k1'), await index.find('k2'), await index.find('k3')]).to.deep.equal([undefined, entry('2'), entry('3')]);
    });
  });

  describe('openLevelBlobIndex', () => {
    let root: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'haste-blob-index-'));
    });
    afterEach(async () => {
      await rm(root, { recursive: true, force: true });
    });

    it('should create nothing until the first blob is added', async () => {
      const index = await openLevelBlobIndex(join(root, 'index'));
      expect(await index.find('k')).to.equal(undefined);
      await index.close();
      expect(await readdir(root)).to.deep.equal([]);
    });

    it('should keep what it was given across a close and reopen', async () => {
      const folder = join(root, 'index');
      const first = await openLevelBlobIndex(folder);
      await first.add('k1', entry('1'));
      await first.close();
      const second = await openLevelBlobIndex(folder);
      expect(await second.find('k1')).to.deep.equal(entry('1'));
      expect(await second.find('k2')).to.equal(undefined);
      await second.close();
    });

    it('should refuse to add after close rather than reopen the folder', async () => {
      const index = await openLevelBlobIndex(join(root, 'index'));
      await index.close();
      let error: unknown;
      await index.add('k', entry('1')).catch((caught: unknown) => {
        error = caught;
      });
      expect(error).to.be.instanceOf(Error);
      expect(await readdir(root)).to.deep.equal([]);
    });

    it('should refuse a second opener of the same folder while the first holds it', async () => {
      const folder = join(root, 'index');
      const first = await openLevelBlobIndex(folder);
      await first.add('k1', entry('1'));
      let error: unknown;
      await openLevelBlobIndex(folder).catch((caught: unknown) => {
        error = caught;
      });
      expect(error).to.be.instanceOf(Error);
      await first.close();
    });
  });
});
