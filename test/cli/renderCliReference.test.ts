import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { buildProgram } from '../../src/cli/buildProgram.js';
import { renderCliReference } from '../../src/cli/renderCliReference.js';
import { spliceCliReference } from '../../src/cli/spliceCliReference.js';
import { fakeCli } from './cliHarness.js';

function tinyProgram(): Command {
  const program = new Command('tool').description('does a thing').option('--speed <n>', 'how fast', '3');
  program.command('sub').description('a subcommand').option('--deep', 'go deeper');
  program.command('secret', { hidden: true }).description('not for users');
  return program;
}

describe('renderCliReference', () => {
  it('should render the program and each visible subcommand under its full name, in order', () => {
    const markdown = renderCliReference(tinyProgram());
    expect(markdown).to.equal(
      [
        '### Command-line reference',
        '',
        '#### `tool`',
        '',
        '```text',
        'Usage: tool [options] [command]',
        '',
        'does a thing',
        '',
        'Options:',
        '  --speed <n>     how fast (default: "3")',
        '  -h, --help      display help for command',
        '',
        'Commands:',
        '  sub [options]   a subcommand',
        '  help [command]  display help for command',
        '```',
        '',
        '#### `tool sub`',
        '',
        '```text',
        'Usage: tool sub [options]',
        '',
        'a subcommand',
        '',
        'Options:',
        '  --deep      go deeper',
        '  -h, --help  display help for command',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('should wrap at the given width, whatever the terminal says', () => {
    const program = new Command('tool').option('--long', 'word '.repeat(30).trim());
    program.configureOutput({ getOutHelpWidth: () => 300 });
    const lines = renderCliReference(program, { width: 60, title: '' }).split('\n');
    expect(lines[0]).to.equal('#### `tool`');
    expect(Math.max(...lines.map((line) => line.length))).to.be.at.most(60);
    expect(lines.filter((line) => line.includes('word'))).to.have.length.above(2);
  });

  it('should leave no colours and no trailing spaces in the Markdown', () => {
    const program = new Command('tool').option('--x', 'an option');
    program.configureHelp({ styleTitle: (text) => `\x1b[1m${text}\x1b[22m` });
    program.configureOutput({ getOutHasColors: () => true });
    const markdown = renderCliReference(program);
    expect(markdown).to.not.match(/\x1b/);
    expect(markdown).to.not.match(/[ \t]$/m);
    expect(markdown).to.include('Usage: tool [options]');
  });

  it('should show option choices and defaults as --help does', () => {
    const program = new Command('tool').addOption(new Option('--mode <m>', 'how').choices(['a', 'b']).default('a'));
    expect(renderCliReference(program)).to.include('--mode <m>  how (choices: "a", "b", default: "a")');
  });

  it('should reject a width too narrow to wrap help in', () => {
    expect(() => renderCliReference(tinyProgram(), { width: 10 })).to.throw(TypeError, 'Expected `width` to be an integer >= 40, got 10');
    expect(() => renderCliReference({} as Command)).to.throw(TypeError, 'Expected `program` to be a commander Command');
  });

  it('should match the command-line reference in README.md (run `npm run docs` after changing a command)', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const current = spliceCliReference(readme, renderCliReference(buildProgram(fakeCli().io)));
    const section = (text: string): string => text.slice(text.indexOf('<!-- cli-reference:start -->'), text.indexOf('<!-- cli-reference:end -->'));
    expect(section(readme), 'README.md is stale: run `npm run docs` (npx tsx scripts/cliReference.ts)').to.equal(section(current));
    expect(readme).to.equal(current);
  });
});
