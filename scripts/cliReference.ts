// Regenerates the command-line reference in README.md from the commander definitions, so the
// README cannot drift from `--help`. `--check` changes nothing and exits 1 when the README is
// stale (for CI; test/cli/renderCliReference.test.ts checks the same thing).
//
//   npx tsx scripts/cliReference.ts [--check]
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildProgram } from '../src/cli/buildProgram.js';
import { renderCliReference } from '../src/cli/renderCliReference.js';
import { spliceCliReference } from '../src/cli/spliceCliReference.js';

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url));
const check = process.argv.includes('--check');

// Building the program only declares the commands; nothing runs, so the I/O is never used.
const program = buildProgram({
  stdout: process.stdout,
  stderr: process.stderr,
  env: {},
  cwd: process.cwd(),
  onSignal: () => () => undefined,
});
const readme = await readFile(readmePath, 'utf8');
const next = spliceCliReference(readme, renderCliReference(program));

if (next === readme) {
  process.stdout.write('README.md: the command-line reference is current\n');
} else if (check) {
  process.stderr.write('README.md: the command-line reference is stale; run `npm run docs` and commit README.md\n');
  process.exitCode = 1;
} else {
  await writeFile(readmePath, next);
  process.stdout.write('README.md: command-line reference regenerated\n');
}
