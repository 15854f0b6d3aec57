import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from '../ensureBuilt.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const builtKit = join(repo, 'dist', 'testing', 'index.js');

/** Runs an ES module text with `node -e` in the package folder, where `haste-agent` names the package itself. */
function runModule(source: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', source], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// What a user's test does with the installed package: the kit and the main entry from dist/
// through package.json `exports`, and a marble test of a schedule with them.
const USER_MODULE = `
import { isDeepStrictEqual } from 'node:util';
import { TestScheduler } from 'rxjs/testing';
import * as main from 'haste-agent';
import * as bench from 'haste-agent/bench';
import * as kit from 'haste-agent/testing';
const { fileItem, reduceEnd, reduceStart, reduction, uploadEnd, uploaded, uploadStart, virtualReducer, virtualUploader } = kit;

let mismatches = 0;
const testScheduler = new TestScheduler((actual, expected) => {
  if (!isDeepStrictEqual(actual, expected)) mismatches += 1;
});
const expectations = [true, false].map((right) => {
  const before = mismatches;
  testScheduler.run(({ cold, expectObservable }) => {
    const [a, b] = [fileItem(0, 100), fileItem(1, 100)];
    const reduce = virtualReducer(testScheduler, [{ ms: 2, bytesOut: 40 }, { ms: 3, bytesOut: 60 }]);
    const upload = virtualUploader(testScheduler, { bytesPerMs: 10 });
    const events = cold('ab|', { a, b }).pipe(main.scheduleFiles({ strategy: 'fifo', reduce, upload, scheduler: testScheduler }));
    expectObservable(events).toBe(right ? 'sUe 8ms (DV)(W|)' : 'sUe 9ms (DV)(W|)', {
      s: reduceStart(a, 0),
      U: uploadStart(b, 1),
      e: reduceEnd(a, 2, reduction(a, { bytesOut: 40, cpuMs: 2 })),
      D: uploadEnd(b, 11, uploaded(b, { startedAt: 1, finishedAt: 11 })),
      V: uploadStart(a, 11, { item: a, bodyPath: '/spool/f0', bodySize: 40 }),
      W: uploadEnd(a, 15, uploaded(a, { bytes: 40, startedAt: 11, finishedAt: 15 })),
    });
  });
  return mismatches === before;
});
console.log(JSON.stringify({
  resolved: ['haste-agent', 'haste-agent/testing', 'haste-agent/bench'].map((specifier) => import.meta.resolve(specifier)),
  kit: Object.keys(kit).sort(),
  bench: Object.keys(bench).sort(),
  benchInMain: Object.keys(bench).filter((name) => name in main),
  expectations,
}));
`;

describe('haste-agent/testing and haste-agent/bench (the built package)', function () {
  // Building takes several seconds on a busy two-core machine; a current build takes none.
  this.timeout(120_000);

  before(() => {
    ensureBuilt(builtKit);
    expect(existsSync(builtKit), `${builtKit} after building`).to.equal(true);
  });

  it('should export ./testing and ./bench with types and import, each a built file', () => {
    const { exports } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    expect(exports['./testing']).to.deep.equal({ types: './dist/testing/index.d.ts', import: './dist/testing/index.js' });
    expect(exports['./bench']).to.deep.equal({ types: './dist/bench/index.d.ts', import: './dist/bench/index.js' });
    for (const [subpath, conditions] of Object.entries(exports)) {
      for (const target of Object.values(conditions)) expect(existsSync(join(repo, target)), `${subpath} → ${target}`).to.equal(true);
    }
  });

  it("should let a user's module import the kit by name and pin a schedule with it", async () => {
    const { code, stdout, stderr } = await runModule(USER_MODULE);
    expect(code, stderr).to.equal(0);
    const report = JSON.parse(stdout) as { resolved: string[]; kit: string[]; bench: string[]; benchInMain: string[]; expectations: boolean[] };

    expect(report.resolved).to.deep.equal(['index.js', 'testing/index.js', 'bench/index.js'].map((file) => pathToFileURL(join(repo, 'dist', file)).href));
    expect(report.kit).to.deep.equal(
      ['fileItem', 'reduceEnd', 'reduceError', 'reduceStart', 'reduction', 'uploadEnd', 'uploadStart', 'uploaded', 'virtualReducer', 'virtualUploader'].sort(),
    );
    expect(report.bench).to.include.members(['simulate', 'simulateSweep', 'runBenchmark', 'synthesizeDataset', 'replayDataset', 'lowerBoundMakespan', 'boxPlotSvg', 'lineChartSvg', 'svgToPng']);
    expect(report.benchInMain, 'benchmark exports left in the main entry').to.deep.equal([]);
    // The right expectation holds and a wrong one is caught: the kit's values match the library's.
    expect(report.expectations).to.deep.equal([true, false]);
  });
});
