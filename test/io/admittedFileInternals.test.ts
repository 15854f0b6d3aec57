import { expect } from 'chai';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openAdmitted, readWhole } from '../../src/io/admittedFileInternals.js';
import { makeTempDir, removeDir } from '../state/ledgerTestKit.js';

describe('admittedFileInternals', () => {
  let dir: string | undefined;

  beforeEach(async () => {
    dir = await makeTempDir();
  });

  afterEach(async () => {
    await removeDir(dir);
  });

  it('should open a file with the stats its identity was checked on', async () => {
    const path = join(dir!, 'a.bin');
    await writeFile(path, Buffer.from([1, 2, 3]));
    const { handle, stats } = await openAdmitted({ path, size: 3 });
    try {
      expect(stats.size).to.equal(3);
      expect(stats.isFile()).to.equal(true);
      expect([...(await readWhole({ handle, size: stats.size, path }))]).to.deep.equal([1, 2, 3]);
    } finally {
      await handle.close();
    }
  });

  it('should read bytes to be held into memory of their own, not a slice of a shared pool slab', async () => {
    const path = join(dir!, 'small.bin');
    await writeFile(path, Buffer.alloc(1024, 7));
    const { handle, stats } = await openAdmitted({ path });
    try {
      const pooled = await readWhole({ handle, size: stats.size, path });
      const held = await readWhole({ handle, size: stats.size, path, held: true });
      expect(held.equals(pooled)).to.equal(true);
      expect(held.byteOffset).to.equal(0);
      expect(held.buffer.byteLength).to.equal(1024);
      // The default is Node's pool, which is why holding needs saying.
      expect(pooled.buffer.byteLength).to.be.greaterThan(1024);
    } finally {
      await handle.close();
    }
  });

  it('should refuse, with a FileChangedError, a file that ends before the size it had', async () => {
    const path = join(dir!, 'short.bin');
    await writeFile(path, Buffer.alloc(10, 5));
    const { handle } = await openAdmitted({ path });
    try {
      // As if the file had been truncated to 10 bytes after an fstat that saw 4,096.
      const error = await readWhole({ handle, size: 4096, path }).then(() => undefined, (e: unknown) => e);
      expect(error).to.include({ name: 'FileChangedError', code: 'ECHANGED', path });
      expect((error as Error).message).to.equal(`${path} shrank to 10 bytes while it was read (4096 expected); not read`);
    } finally {
      await handle.close();
    }
  });
});
