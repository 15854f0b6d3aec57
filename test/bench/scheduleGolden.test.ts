import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GOLDEN_STRATEGIES,
  GOLDEN_TABLES,
  loadTable,
  scheduleTrace,
  tracePath,
} from '../../scripts/recordScheduleGolden.js';

const CONTEXT_LINES = 3;

/** Undefined when equal, else where the first difference is, with the golden lines before it. */
function firstDifference(file: string, expected: string, actual: string): string | undefined {
  if (expected === actual) return undefined;
  const want = expected.split('\n');
  const got = actual.split('\n');
  let line = 0;
  while (line < want.length && line < got.length && want[line] === got[line]) line += 1;
  const before = want.slice(Math.max(0, line - CONTEXT_LINES), line).map((text) => `    ${text}`);
  return [
    `${path.basename(file)} differs at line ${line + 1} (of ${want.length} golden, ${got.length} now):`,
    ...before,
    `  - ${want[line] ?? '<end of golden file>'}`,
    `  + ${got[line] ?? '<end of new trace>'}`,
    'A refactor must leave the schedule as it is; after a deliberate schedule change only, run',
    '`npx tsx scripts/recordScheduleGolden.ts` and commit the traces.',
  ].join('\n');
}

describe('schedule golden traces', () => {
  for (const { name } of GOLDEN_TABLES) {
    describe(name, () => {
      for (const strategy of GOLDEN_STRATEGIES) {
        it(`should schedule ${strategy} exactly as the golden trace records`, async () => {
          const file = tracePath(name, strategy);
          const golden = await readFile(file, 'utf8');
          const trace = scheduleTrace(name, await loadTable(name), strategy);
          const difference = firstDifference(file, golden, trace);
          if (difference !== undefined) expect.fail(difference);
        });
      }
    });
  }

  it('should tell the strategies apart on cpu-scarce-small, so a changed decision shows', async () => {
    // On paper-small fifo, splines and oracle all reduce every file in order; cpu-scarce-small is
    // where the choice of what to reduce shows, so its traces must not coincide.
    const table = await loadTable('cpu-scarce-small');
    const bodies = GOLDEN_STRATEGIES.map((strategy) => scheduleTrace('cpu-scarce-small', table, strategy).replace(/^#.*\n/gm, ''));
    expect(new Set(bodies).size).to.equal(GOLDEN_STRATEGIES.length);
  });
});
