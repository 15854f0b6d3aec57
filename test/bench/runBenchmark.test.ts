import { expect } from 'chai';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FileCost } from '../../src/bench/FileCost.js';
import { lowerBoundMakespan } from '../../src/bench/lowerBoundMakespan.js';
import { runBenchmark } from '../../src/bench/runBenchmark.js';
import { measureDataset } from '../../src/bench/measureDataset.js';
import { scenarioFor } from '../../src/bench/scenarios.js';


describe('runBenchmark', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'run-benchmark-test-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should run each strategy end to end and write parseable results and plots', async function () {
    this.timeout(30_000);
    const out = path.join(dir, 'out');
    const cacheDir = path.join(dir, 'cache');
    // A cached table from a (much) slower day: the benchmark must time the reducer afresh.
    await measureDataset({ ...scenarioFor('cpu-scarce', true), count: 8, size: 64, rateHz: 50 }, cacheDir);
    const [costFile] = (await readdir(cacheDir, { recursive: true })).filter((name) => name.endsWith('costs.json'));
    const cached = JSON.parse(await readFile(path.join(cacheDir, costFile!), 'utf8')) as { cpuMs: number; bytes: number; reducedBytes: number }[];
    // Every synthetic frame shrinks: a frame the reducer refused would be timed as if reduced.
    for (const cost of cached) expect(cost.reducedBytes).to.be.below(cost.bytes);
    await writeFile(path.join(cacheDir, costFile!), JSON.stringify(cached.map((cost) => ({ ...cost, cpuMs: 1e6 }))));
    const result = await runBenchmark({
      scenario: 'cpu-scarce',
      small: true,
      count: 8,
      size: 64,
      rate: 50,
      reps: 1,
      strategies: ['none', 'fifo'],
      shaper: 'bucket',
      out,
      cacheDir,
    });
    const measured = (JSON.parse(await readFile(path.join(out, 'table.json'), 'utf8')) as { files: FileCost[] }).files;
    expect(result.shaper).to.equal('bucket');
    expect(result.runs.map((run) => [run.strategy, run.filesUploaded, run.failures])).to.deep.equal([
      ['none', 8, 0],
      ['fifo', 8, 0],
    ]);
    const none = result.runs[0]!;
    expect(none.filesReduced).to.equal(0);
    expect(none.bytesSent).to.equal(result.summary[0]!.bytesSent);
    // No schedule beats the bound, except by what the gateway's token bucket lets through
    // unshaped in its first burst (max(16 KiB, 1/20 s of rate): here most of these tiny files).
    const burstMs = Math.max(16384 / result.bandwidthBytesPerSec, 1 / 20) * 1000;
    for (const run of result.runs) expect(run.makespanMs).to.be.at.least(result.bound.makespanMs - burstMs);
    // The bound is the one on the table written beside the results (the reducer's faster timing
    // of each frame), and each run carries the reducer's speed timed just before it.
    expect(result.bound.makespanMs).to.equal(
      lowerBoundMakespan(measured, { bandwidthBytesPerSec: result.bandwidthBytesPerSec, cores: result.scenario.cores }).makespanMs,
    );
    for (const file of measured) expect(file.cpuMs).to.be.within(0.01, 1e5);
    for (const run of result.runs) expect(run.reducerSpeed).to.be.greaterThan(0);

    const files = await readdir(out);
    expect(files).to.include.members(['summary.md', 'summary.json', 'table.json', 'makespan.svg', 'makespan.png', 'queued.svg', 'queued.png', 'runs']);
    expect((await readdir(path.join(out, 'runs'))).sort()).to.deep.equal(['fifo-1.csv', 'fifo-1.json', 'none-1.csv', 'none-1.json']);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8')) as { summary: { strategy: string }[] };
    expect(summary.summary.map((row) => row.strategy)).to.deep.equal(['none', 'fifo']);
    const table = JSON.parse(await readFile(path.join(out, 'table.json'), 'utf8')) as { files: unknown[] };
    expect(table.files).to.have.length(8);
    const csv = (await readFile(path.join(out, 'runs', 'fifo-1.csv'), 'utf8')).trimEnd().split('\n');
    expect(csv).to.have.length(9);
    expect(await readFile(path.join(out, 'summary.md'), 'utf8')).to.contain('| fifo | 1 |');
  });

  it('should reject an unknown strategy or scenario before doing anything', async () => {
    let caught: unknown;
    try {
      await runBenchmark({ strategies: ['fastest' as 'fifo'], out: dir });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(TypeError);
    expect(String(caught)).to.contain('strategies');
    caught = undefined;
    try {
      await runBenchmark({ scenario: 'moon' as 'paper', out: dir });
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.contain('scenario');
  });

  it('should name the line of a malformed rate trace before measuring anything', async () => {
    const trace = path.join(dir, 'trace.txt');
    await writeFile(trace, '0 1x\n3 quick\n');
    let caught: unknown;
    try {
      await runBenchmark({ scenario: 'varying', small: true, trace, out: dir, cacheDir: path.join(dir, 'cache') });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(SyntaxError);
    expect(String(caught)).to.contain(`${trace}:2: expected the rate to be bytes/s`);
    // Refused before the data set was synthesized.
    expect(await readdir(dir)).to.deep.equal(['trace.txt']);
  });

  it('should refuse a rate trace with the token-bucket shaper, which cannot change its rate', async () => {
    let caught: unknown;
    try {
      await runBenchmark({ scenario: 'varying', count: 4, size: 64, shaper: 'bucket', out: path.join(dir, 'out'), cacheDir: path.join(dir, 'cache') });
    } catch (error) {
      caught = error;
    }
    expect(String(caught)).to.contain('A rate trace needs the tc shaper');
  });
});
