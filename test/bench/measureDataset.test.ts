import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { defer, type Observable } from 'rxjs';
import { calibrationSample, timeReductions } from '../../src/bench/measureDataset.js';
import type { SynthesizedFile } from '../../src/bench/synthesizeDataset.js';
import type { FileItem } from '../../src/model/FileItem.js';
import type { Reduction } from '../../src/model/Reduction.js';

describe('measureDataset', () => {
  describe('calibrationSample', () => {
    const file = (index: number, reducedBytes: number, cpuMs = 10) => ({ index, arrivalMs: index, bytes: 100, reducedBytes, cpuMs });

    it('should spread the sample evenly over the files the reducer shrinks, first and last included', () => {
      const table = Array.from({ length: 10 }, (_, i) => file(i, i === 3 ? 100 : 40));
      // Reducible: 0 1 2 4 5 6 7 8 9 (3 does not shrink); picks at 0, 8/3, 16/3 and 8 of those, rounded.
      expect(calibrationSample(table, 4)).to.deep.equal([0, 4, 6, 9]);
    });

    it('should take every reducible file when there are no more than asked for, and none for an empty table', () => {
      expect(calibrationSample([file(0, 40), file(1, 100), file(2, 50, 0), file(3, 60)], 5)).to.deep.equal([0, 3]);
      expect(calibrationSample([], 5)).to.deep.equal([]);
      expect(calibrationSample([file(0, 40)], 0)).to.deep.equal([]);
    });
  });

  describe('timeReductions', () => {
    it('should return each reduction\'s cpuMs in order and delete the copies it made', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'time-reductions-'));
      try {
        const files = await Promise.all(
          [0, 1, 2].map(async (index) => {
            const framePath = path.join(dir, `f${index}.png`);
            await writeFile(framePath, 'y'.repeat(100));
            return { index, path: framePath, bytes: 100 } as SynthesizedFile;
          }),
        );
        const originals = files.map((file) => path.basename(file.path));
        const reduce = (item: FileItem): Observable<Reduction> =>
          defer(async () => {
            if (item.index === 1) return { item, reduced: false, bytesIn: 100, bytesOut: 100, cpuMs: 2 } as Reduction;
            const outputPath = path.join(dir, `copy${item.index}.png`);
            await writeFile(outputPath, 'x');
            return { item, reduced: true, outputPath, bytesIn: 100, bytesOut: 1, cpuMs: 10 + item.index };
          });
        expect(await timeReductions(reduce, files)).to.deep.equal([10, 2, 12]);
        expect((await readdir(dir)).sort()).to.deep.equal(originals);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
