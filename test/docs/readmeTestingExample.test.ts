import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { extractMarkdownExamples } from '../../scripts/extractExamples.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const HEADING = '### Testing a schedule';

/** Where the example's package specifiers point when it runs from the source. */
const SOURCE_OF: Readonly<Record<string, string>> = {
  'haste-agent': pathToFileURL(join(repo, 'src', 'index.ts')).href,
  'haste-agent/testing': pathToFileURL(join(repo, 'src', 'testing', 'index.ts')).href,
};
/** What the example may import: the package, its test kit, and the test tools a user has anyway. */
const ALLOWED = ['haste-agent', 'haste-agent/testing', 'rxjs/testing', 'chai', 'mocha'];

/** The one ```ts block of the README's "Testing a schedule" subsection, as the checker extracts it. */
function testingExample(readme: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADING);
  expect(start, `a "${HEADING}" subsection in README.md`).to.be.greaterThan(-1);
  const next = lines.findIndex((line, i) => i > start && /^#{1,3} /.test(line));
  const blocks = extractMarkdownExamples(lines.slice(start, next === -1 ? undefined : next).join('\n'), 'README.md');
  expect(blocks, `${HEADING}: ts blocks`).to.have.length(1);
  return blocks[0]!.code.join('\n');
}

const SPECIFIER = /(\bfrom\s*)(['"])([^'"]+)\2/g;

function specifiersOf(code: string): string[] {
  return [...code.matchAll(SPECIFIER)].map((match) => match[3]!);
}

/** The example importing the package from src/, as if it were installed. */
function fromSource(code: string): string {
  return code.replace(SPECIFIER, (whole, head: string, quote: string, specifier: string) =>
    specifier in SOURCE_OF ? `${head}${quote}${SOURCE_OF[specifier]}${quote}` : whole,
  );
}

/** The example with its expected marble shifted by one frame: every event expected a frame late. */
function withWrongExpectation(code: string): string {
  const mutant = code.replace(/(expectObservable\([^)]*\)\.toBe\(')/, '$1-');
  expect(mutant, 'an expectObservable(…).toBe(…) to break').to.not.equal(code);
  return mutant;
}

interface MochaReport {
  readonly stats: { readonly tests: number; readonly passes: number; readonly failures: number };
  readonly passes: readonly { readonly file: string }[];
  readonly failures: readonly { readonly file: string; readonly err: { readonly message?: string; readonly stack?: string } }[];
}

/** Runs mocha on `files` in a child process, as a user's project would, and returns its JSON report. */
function runMocha(dir: string, files: readonly string[]): Promise<{ code: number | null; report: MochaReport; stderr: string }> {
  const reportPath = join(dir, 'report.json');
  const mocha = join(repo, 'node_modules', 'mocha', 'bin', 'mocha.js');
  const args = [mocha, '--no-config', '--node-option', 'import=tsx', '--timeout', '20000', '--exit', '--reporter', 'json', '--reporter-option', `output=${reportPath}`, ...files];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout!.resume();
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      readFile(reportPath, 'utf8').then(
        (text) => resolve({ code, report: JSON.parse(text) as MochaReport, stderr }),
        () => reject(new Error(`mocha wrote no report (exit ${code}):\n${stderr}`)),
      );
    });
  });
}

describe('README: Testing a schedule', function () {
  // Two files of a child mocha that loads the library through tsx.
  this.timeout(120_000);
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'haste-readme-testing-'));
    // chai, mocha, rxjs and tsx resolve from the project's node_modules, as from a user's.
    await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'), 'junction');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('should import only haste-agent, haste-agent/testing, rxjs/testing, chai and mocha', async () => {
    const code = testingExample(await readFile(join(repo, 'README.md'), 'utf8'));
    const specifiers = specifiersOf(code);
    expect(specifiers).to.include.members(['haste-agent', 'haste-agent/testing']);
    expect(specifiers.filter((s) => !ALLOWED.includes(s)), 'other imports').to.deep.equal([]);
  });

  it('should pass as it stands, and fail on the assertion when its expected marble is wrong', async () => {
    const code = fromSource(testingExample(await readFile(join(repo, 'README.md'), 'utf8')));
    await writeFile(join(dir, 'example.test.ts'), code);
    await writeFile(join(dir, 'wrong.test.ts'), withWrongExpectation(code));

    const { report, stderr } = await runMocha(dir, ['example.test.ts', 'wrong.test.ts']);

    const inFile = (name: string) => (entry: { file: string }) => entry.file === join(dir, name);
    const failures = report.failures.filter(inFile('example.test.ts')).map((f) => f.err.stack ?? f.err.message);
    expect(failures, `the README example failed:\n${failures.join('\n')}\n${stderr}`).to.deep.equal([]);
    expect(report.passes.filter(inFile('example.test.ts')), 'README example tests passed').to.not.be.empty;
    const wrong = report.failures.filter(inFile('wrong.test.ts'));
    expect(wrong, 'tests of the wrong expectation that failed').to.have.length(report.passes.filter(inFile('example.test.ts')).length);
    for (const failure of wrong) expect(failure.err.stack, 'how the wrong expectation failed').to.match(/^AssertionError/);
  });
});
