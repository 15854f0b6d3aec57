import { expect } from 'chai';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import { replayInChild, startGatewayInChild } from '../../src/bench/benchChildInternals.js';

describe('benchChildInternals', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'haste-bench-child-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('replayInChild', () => {
    it('should place every file in order from another process and report when each was placed', async function () {
      this.timeout(20_000);
      const sources = await Promise.all(
        ['a.png', 'b.png', 'c.png'].map(async (name) => {
          const source = path.join(dir, name);
          await writeFile(source, name);
          return source;
        }),
      );
      const into = path.join(dir, 'into');
      await mkdir(into);
      const before = Date.now();
      const placed = await lastValueFrom(replayInChild({ files: sources, into, rateHz: 50 }).pipe(toArray()));
      expect(placed.map((file) => [file.index, path.basename(file.path)])).to.deep.equal([
        [0, 'a.png'],
        [1, 'b.png'],
        [2, 'c.png'],
      ]);
      // The child's clock is the parent's wall clock, so its times line up with agent events.
      expect(placed[0]!.at).to.be.at.least(before);
      expect(placed[2]!.dueAt - placed[0]!.dueAt).to.equal(40);
      expect((await readdir(into)).sort()).to.deep.equal(['a.png', 'b.png', 'c.png']);
      expect(await readFile(path.join(into, 'b.png'), 'utf8')).to.equal('b.png');
    });

    it('should error when a file cannot be placed', async function () {
      this.timeout(20_000);
      let caught: unknown;
      try {
        await lastValueFrom(replayInChild({ files: [path.join(dir, 'missing.png')], into: dir, rateHz: 50 }));
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(Error);
      expect((caught as Error).message).to.contain('missing.png');
    });
  });

  describe('startGatewayInChild', () => {
    it('should serve the gateway from another process until closed', async function () {
      this.timeout(20_000);
      const gateway = await startGatewayInChild({ username: 'u', password: 'p' });
      try {
        expect(gateway.port).to.be.above(0);
        const response = await fetch(`${gateway.url}/`, { method: 'POST', body: 'x' });
        expect(response.status).to.equal(401);
      } finally {
        await gateway.close();
      }
      let refused = false;
      await fetch(`${gateway.url}/`).catch(() => {
        refused = true;
      });
      expect(refused).to.equal(true);
    });
  });
});
