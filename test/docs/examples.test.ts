import { expect } from 'chai';
import {
  checkExamples,
  type Example,
  extractJsDocExamples,
  extractMarkdownExamples,
  formatProblems,
} from '../../scripts/extractExamples.js';

describe('extractExamples', () => {
  it('should find the ts blocks of Markdown, with the line of each code line', () => {
    const markdown = ['# Title', '```sh', 'npm test', '```', '', '```ts', 'const a = 1;', '  a + 1;', '```', '```text', 'x', '```'];

    const examples = extractMarkdownExamples(markdown.join('\n'), 'README.md');

    expect(examples).to.deep.equal([
      { file: 'README.md', line: 6, code: ['const a = 1;', '  a + 1;'], lines: [7, 8], kind: 'readme' },
    ]);
  });

  it('should find fenced and unfenced examples in JSDoc comments, and nothing in strings', () => {
    const source = [
      "const glob = 'src/**/*.ts'; // not a comment",
      '/**',
      ' * Does f.',
      ' *',
      ' * ```text',
      ' * a-b|',
      ' * ```',
      ' *',
      ' * ```ts',
      ' * f(1);',
      ' * ```',
      ' *',
      ' * @example',
      ' * f(2);',
      ' * @returns Nothing.',
      ' */',
      'export function f(n: number): void {}',
    ].join('\n');

    const examples = extractJsDocExamples(source, 'src/f.ts');

    expect(examples).to.deep.equal([
      { file: 'src/f.ts', line: 9, code: ['f(1);'], lines: [10], kind: 'jsdoc' },
      { file: 'src/f.ts', line: 13, code: ['f(2);'], lines: [14], kind: 'jsdoc' },
    ]);
  });

  it('should report a broken example at the line of its source, after automatic imports', async () => {
    const examples: Example[] = [
      { file: 'README.md', line: 40, code: ["const n: number = 'one';"], lines: [41], kind: 'readme' },
      {
        file: 'src/sinks/streamId.ts',
        line: 20,
        code: ['declare const stamp: Date;', "const id: number = streamId({ startedAt: stamp, tag: 'x' });", 'of(id);'],
        lines: [21, 22, 23],
        kind: 'jsdoc',
      },
      { file: 'README.md', line: 50, code: ["import { streamId } from 'haste-agent';", 'streamId();'], lines: [51, 52], kind: 'readme' },
    ];

    const { problems } = await checkExamples({ examples });

    expect(problems.map((p) => [p.example.file, p.line, p.message.slice(0, 7)])).to.deep.equal([
      ['README.md', 41, 'TS2322:'],
      ['src/sinks/streamId.ts', 22, 'TS2322:'],
    ]);
    expect(formatProblems(problems)).to.include('imports added in front of it');
  });

  it('should type-check every example of the README and of the JSDoc in src', async function () {
    this.timeout(60_000);

    const { examples, problems } = await checkExamples();

    expect(examples.length, 'examples found').to.be.greaterThan(50);
    expect(examples.filter((e) => e.file === 'README.md'), 'README examples').to.not.be.empty;
    expect(problems, `Examples that do not compile:\n${formatProblems(problems)}\n`).to.be.empty;
  });
});
