import type { Command } from 'commander';
import { stringOption } from '../validation.js';

/** Options for {@link renderCliReference}. */
export interface RenderCliReferenceOptions {
  /**
   * Column width commander wraps the help at. Fixed, so the text does not depend on the
   * terminal the generator happens to run in.
   * @default 100
   */
  width?: number;
  /**
   * Text of the `###` heading above the commands; an empty string leaves the heading out.
   * @default 'Command-line reference'
   */
  title?: string;
}

// Commander only colours help when asked to, but a styled Help subclass must not leak escapes into Markdown.
const ansi = /\x1b\[[0-9;]*m/g;

/**
 * Renders the help of a commander program and of every subcommand as Markdown.
 *
 * Under a `###` heading, each command gets a `####` heading with its full name and its help text (what `--help`
 * prints, wrapped at `width` columns, without colours or trailing spaces) in a `text` fence,
 * program first, then subcommands depth-first in the order they were added. Pure: the same
 * program gives the same Markdown, whatever the terminal, so a test can check that a README
 * holds the current text.
 *
 * ```ts
 * import { buildProgram } from './buildProgram.js';
 * import type { CliIo } from './CliIo.js';
 * declare const io: CliIo;
 * const markdown = renderCliReference(buildProgram(io), { width: 100 });
 * ```
 *
 * @param program The root command; it is not modified.
 * @param options The wrap width and the heading.
 * @returns Markdown ending in a newline.
 */
export function renderCliReference(program: Command, options: RenderCliReferenceOptions = {}): string {
  if (program === null || typeof program !== 'object' || typeof program.createHelp !== 'function') {
    throw new TypeError(`Expected \`program\` to be a commander Command, got ${String(program)}`);
  }
  const width = options.width ?? 100;
  if (!Number.isInteger(width) || width < 40) {
    throw new TypeError(`Expected \`width\` to be an integer >= 40, got ${JSON.stringify(width)}`);
  }
  const title = options.title ?? 'Command-line reference';
  stringOption('title', title);
  const sections: string[] = title === '' ? [] : [`### ${title}\n`];
  const visit = (command: Command, names: readonly string[]): void => {
    const helper = command.createHelp();
    // Set before prepareContext so neither the terminal nor a configureHelp() width wins.
    helper.helpWidth = width;
    helper.prepareContext({ error: false, helpWidth: width, outputHasColors: false });
    const text = helper
      .formatHelp(command, helper)
      .replace(ansi, '')
      .split('\n')
      .map((line) => line.trimEnd())
      .join('\n')
      .trim();
    sections.push(`#### \`${names.join(' ')}\`\n\n\`\`\`text\n${text}\n\`\`\`\n`);
    // visibleCommands() also lists commander's implicit `help`, which has no help of its own worth printing.
    for (const sub of helper.visibleCommands(command)) {
      if (command.commands.includes(sub)) visit(sub, [...names, sub.name()]);
    }
  };
  visit(program, [program.name()]);
  return sections.join('\n');
}
