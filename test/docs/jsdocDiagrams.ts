// Finds the diagrams in the JSDoc of src/**/*.ts, for test/docs/diagrams.test.ts: every fenced
// block that is not code (```text and bare ``` blocks), and any marble-like line outside a fence.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import ts from 'typescript';

/** One diagram of a JSDoc comment. */
export interface JsDocDiagram {
  /** The file, relative to the repository root (`src/agent/ledgerEvents.ts`). */
  readonly file: string;
  /** The name declared right after the comment (`ledgerEvents`); it survives a file's rename. */
  readonly unit: string;
  /** 1-based line of the diagram's first line. */
  readonly line: number;
  /** The diagram's lines, ` * ` prefix and trailing blanks removed. */
  readonly lines: readonly string[];
}

const CODE_FENCE = /^```(ts|typescript|js|javascript|json|sh|bash)\s*$/;
const ANY_FENCE = /^```\S*\s*$/;
// A lane of a marble diagram outside a fence: a label, a colon, then dashes ending in `|` or `-`.
const BARE_LANE = /^[\w$().' ]+:\s+[-\w()^!#| ]*-{2,}[-\w()^!#|]*(\s|$)/;
const DECLARATION = /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:function\*?|class|interface|type|const|let|enum)\s+([A-Za-z_$][\w$]*)/;

/** The JSDoc comments of a source text, as offsets, from the parsed file (so never inside strings or templates). */
function jsDocComments(text: string): { pos: number; end: number }[] {
  const source = ts.createSourceFile('diagram.ts', text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const found = new Map<number, number>();
  const visit = (node: ts.Node): void => {
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      if (range.kind === ts.SyntaxKind.MultiLineCommentTrivia && text.startsWith('/**', range.pos)) found.set(range.pos, range.end);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return [...found].sort(([a], [b]) => a - b).map(([pos, end]) => ({ pos, end }));
}

/** The diagrams of one source text. */
export function extractDiagrams(text: string, file: string): JsDocDiagram[] {
  const diagrams: JsDocDiagram[] = [];
  for (const { pos, end } of jsDocComments(text)) {
    const unit = DECLARATION.exec(text.slice(end))?.[1] ?? '(none)';
    const firstLine = text.slice(0, pos).split('\n').length;
    const lines = text
      .slice(pos, end)
      .split('\n')
      .map((raw) => raw.replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/\s*$/, '').replace(/^\s*\*( |$)/, '').trimEnd());
    let open: { at: number; code: boolean } | undefined;
    lines.forEach((content, i) => {
      const trimmed = content.trim();
      if (open === undefined && ANY_FENCE.test(trimmed)) {
        open = { at: i, code: CODE_FENCE.test(trimmed) };
      } else if (open !== undefined && trimmed === '```') {
        if (!open.code) diagrams.push({ file, unit, line: firstLine + open.at + 1, lines: lines.slice(open.at + 1, i) });
        open = undefined;
      } else if (open === undefined && BARE_LANE.test(trimmed)) {
        diagrams.push({ file, unit, line: firstLine + i, lines: [content] });
      }
    });
  }
  return diagrams;
}

async function sourceFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true });
  const nested = await Promise.all(
    entries
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((entry) => {
        const path = join(folder, entry.name);
        if (entry.isDirectory()) return sourceFiles(path);
        return Promise.resolve(entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []);
      }),
  );
  return nested.flat();
}

/** Every diagram in the JSDoc of `root`/src/**\/*.ts, in file order. */
export async function collectDiagrams(root: string): Promise<JsDocDiagram[]> {
  const diagrams: JsDocDiagram[] = [];
  for (const path of await sourceFiles(join(root, 'src'))) {
    diagrams.push(...extractDiagrams(await readFile(path, 'utf8'), relative(root, path)));
  }
  return diagrams;
}
