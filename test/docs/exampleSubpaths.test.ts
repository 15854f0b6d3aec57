import { expect } from 'chai';
import { checkExamples, formatProblems, type Example } from '../../scripts/extractExamples.js';

describe('extractExamples: the subpath exports', () => {
  it('should resolve haste-agent/testing and haste-agent/bench to their sources, types and all', async function () {
    this.timeout(60_000);
    const readme = (line: number, code: string[]): Example => ({ file: 'README.md', line, code, lines: code.map((_, i) => line + 1 + i), kind: 'readme' });
    const examples: Example[] = [
      readme(10, ["import { fileItem, virtualUploader } from 'haste-agent/testing';", "import { simulate } from 'haste-agent/bench';", 'fileItem(0, 100);', 'void virtualUploader;', 'void simulate;']),
      // Wrong on purpose, once per subpath: only the real declarations make these errors.
      readme(20, ["import { fileItem } from 'haste-agent/testing';", "const size: string = fileItem(0, 100).size;"]),
      readme(30, ["import { lowerBoundMakespan } from 'haste-agent/bench';", "lowerBoundMakespan([], { cores: 'two' });"]),
      // A JSDoc fragment gets the kit's and the benchmarks' names without importing them.
      { file: 'src/operators/scheduleFiles.ts', line: 40, code: ['declare const table: FileCost[];', 'simulate({ files: table, bandwidthBytesPerSec: 1e6 });', 'fileItem(0, 1);'], lines: [41, 42, 43], kind: 'jsdoc' },
    ];

    const { problems } = await checkExamples({ examples });

    expect(problems.map((p) => [p.line, p.message.slice(0, 7)]), formatProblems(problems)).to.deep.equal([
      [22, 'TS2322:'],
      [32, 'TS2322:'],
    ]);
  });
});
