import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { lstat, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashFile } from '../../src/state/hashFile.js';
import { makeTempDir, removeDir } from './ledgerTestKit.js';

describe('hashFile', () => {
  let dir: string | undefined;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('should return the sha256 hex of a small file', async () => {
    const path = join(dir!, 'abc.txt');
    await writeFile(path, 'abc');
    expect(await hashFile(path)).to.equal('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('should refuse to follow a symlink', async () => {
    const target = join(dir!, 'target.txt');
    await writeFile(target, 'secret');
    await symlink(target, join(dir!, 'link.txt'));
    const error = await hashFile(join(dir!, 'link.txt')).then(() => undefined, (e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).to.equal('ELOOP');
  });

  it('should refuse a file that is no longer the one admitted', async () => {
    const path = join(dir!, 'a.txt');
    await writeFile(path, 'first');
    const { size, mtimeMs, dev, ino } = await lstat(path);
    await rm(path);
    await writeFile(path, 'other');
    const error = await hashFile({ path, size, mtimeMs, dev, ino }).then(() => undefined, (e: unknown) => e);
    expect((error as { code?: string }).code).to.equal('ECHANGED');
  });

  it('should hash an empty file', async () => {
    const path = join(dir!, 'empty');
    await writeFile(path, '');
    expect(await hashFile(path)).to.equal('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('should hash a file larger than one read, to its last byte', async () => {
    // Two and a half reads of 1 MiB, each byte different from its neighbours.
    const content = Buffer.from(Array.from({ length: 2_621_441 }, (_, i) => (i * 31 + 7) % 251));
    const path = join(dir!, 'big.bin');
    await writeFile(path, content);
    expect(await hashFile(path)).to.equal(createHash('sha256').update(content).digest('hex'));
  });

  it('should reject with the fs error for a missing file', async () => {
    const error = await hashFile(join(dir!, 'missing')).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(error?.code).to.equal('ENOENT');
  });
});
