import { expect } from 'chai';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFile } from 'node:fs/promises';
import { startGateway } from '../../src/gateway/startGateway.js';
import { startCustomPipeline } from '../../examples/customPipeline.js';
import { of } from 'rxjs';
import { fileURLToPath } from 'node:url';

const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');

describe('examples/customPipeline', () => {
  it('should gzip CSV files with the user reducer and deliver them to the gateway', async () => {
    const root = await mkdtemp(join(tmpdir(), 'haste-example-'));
    const folder = join(root, 'logs');
    await mkdir(folder);
    // A slow uplink (10 kB/s), and the pipeline told so by its own bandwidth source: the first
    // file goes raw and holds the only upload slot, so adaptive reduces the next.
    const gateway = await startGateway({ port: 0, username: 'lab', password: 'pw', store: join(root, 'store'), maxBytesPerSecond: 10_000 });
    const csv = (n: number): string => Array.from({ length: 400 }, (_, i) => `${n},${i},${(i * 0.5).toFixed(1)},ok`).join('\n');
    const arrived = new Map<string, number>();
    const subscription = startCustomPipeline({
      folder,
      host: gateway.url,
      username: 'lab',
      password: 'pw',
      spoolDir: join(root, 'spool'),
      uplink$: of(10_000),
      onUploaded: (path, bytes) => arrived.set(path, bytes),
    });
    try {
      for (let n = 0; n < 3; n += 1) {
        await writeFile(join(folder, `run${n}.csv.tmp`), csv(n));
        await rename(join(folder, `run${n}.csv.tmp`), join(folder, `run${n}.csv`));
      }
      await writeFile(join(folder, 'notes.txt'), 'not a csv');
      const deadline = Date.now() + 15_000;
      while (arrived.size < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect([...arrived.keys()].sort()).to.deep.equal([0, 1, 2].map((n) => join(folder, `run${n}.csv`)));
      // At least one arrives gzipped, and every stored blob is the CSV, as is or gzipped.
      const stored = await Promise.all(gateway.received.map(async (blob) => readFile(blob.storedPath!)));
      const texts = stored.map((data) => (data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data) : data).toString('utf8'));
      expect(texts.sort()).to.deep.equal([0, 1, 2].map(csv).sort());
      expect(stored.some((data) => data[0] === 0x1f && data[1] === 0x8b)).to.equal(true);
    } finally {
      subscription.unsubscribe();
      await gateway.close();
      await rm(root, { recursive: true, force: true });
    }
  });

  it('should be the pipeline the README shows', async () => {
    const source = await readFile(join(repoRoot, 'examples', 'customPipeline.ts'), 'utf8');
    const region = /\/\/ #region pipeline\n([\s\S]*?)\n\s*\/\/ #endregion pipeline/.exec(source)?.[1];
    expect(region, 'the pipeline region of examples/customPipeline.ts').to.be.a('string');
    const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
    const dedented = (text: string): string[] => {
      const lines = text.split('\n');
      const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length));
      return lines.map((line) => line.slice(indent));
    };
    expect(readme).to.include(dedented(region!).join('\n'));
  });
});
