import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readBenchRuns } from '../../src/bench/readBenchRuns.js';

const steps = fileURLToPath(new URL('../../bench/traces/steps.txt', import.meta.url));

describe('readBenchRuns', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'bench-runs-'));
    await mkdir(path.join(dir, 'runs'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = (strategy: string, placed: number[]) => JSON.stringify({ strategy, files: placed.map((placedMs, i) => ({ name: `f${i}`, bytes: 10, placedMs })) });

  it('should read the online strategies\' runs with their origin, and no trace for a constant uplink', async () => {
    await writeFile(path.join(dir, 'summary.json'), JSON.stringify({ bandwidthBytesPerSec: 2e6, scenario: { name: 'paper-small' } }));
    await writeFile(path.join(dir, 'runs', 'splines-1.json'), run('splines', [40, 15, 90]));
    await writeFile(path.join(dir, 'runs', 'adaptive-1.json'), run('adaptive', [7, 20]));
    await writeFile(path.join(dir, 'runs', 'adaptive-1.csv'), 'name,bytes\n');
    await writeFile(path.join(dir, 'runs', 'none-1.json'), run('none', [0]));
    await writeFile(path.join(dir, 'runs', 'offline-1.json'), run('offline', [0]));
    const { nominalBytesPerSec, trace, runs } = await readBenchRuns(dir);
    expect(nominalBytesPerSec).to.equal(2e6);
    expect(trace).to.equal(undefined);
    expect(runs.map(({ name, strategy, origin, files }) => ({ name, strategy, origin, files: files.length }))).to.deep.equal([
      { name: 'adaptive-1', strategy: 'adaptive', origin: 7, files: 2 },
      { name: 'splines-1', strategy: 'splines', origin: 15, files: 3 },
    ]);
  });

  it("should read the scenario's trace, its rates in multiples of the nominal rate", async () => {
    await writeFile(path.join(dir, 'summary.json'), JSON.stringify({ bandwidthBytesPerSec: 1000, scenario: { name: 'varying-small', trace: steps } }));
    const { trace, runs } = await readBenchRuns(dir);
    expect(runs).to.deep.equal([]);
    // steps.txt starts at 0.4x, then 1.6x from 3 s.
    expect(trace!.steps.slice(0, 2).map((step) => [step.atMs, step.bytesPerSec])).to.deep.equal([
      [0, 400],
      [3000, 1600],
    ]);
  });

  it('should say which folder is not a results folder', async () => {
    const missing = path.join(dir, 'nothing-here');
    let message = '';
    await readBenchRuns(missing).catch((error: Error) => (message = error.message));
    expect(message).to.contain(`${missing} is not a benchmark results folder: no summary.json in it`);
  });
});
