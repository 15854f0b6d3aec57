// Type-checks every ```ts block of README.md and of the JSDoc comments in src/**/*.ts, so that
// documentation that does not compile fails a test (test/docs/examples.test.ts) and CI.
//
//   npx tsx scripts/extractExamples.ts [--keep]     exits 1 listing each broken example
//
// How an example becomes a module
// - Each block is written to its own file in a temporary folder (kept with --keep), beside a
//   tsconfig.json with the project's compiler options (strict …) minus the ones that only
//   matter to real code (noUnusedLocals/Parameters are off: examples declare things to show
//   them). All of them are checked by one compiler run; each error is reported at the README
//   line, or the src file and line, of the example text that caused it.
// - README blocks are complete programs, as a user would paste them: they import what they use
//   themselves, from 'haste-agent', 'haste-agent/testing' and 'haste-agent/bench', which the
//   generated tsconfig maps to src/index.ts, src/testing/index.ts and src/bench/index.ts (and
//   any other 'haste-agent/*' into src/). Nothing is added to them.
// - JSDoc blocks are fragments and get their imports for free: any name they use without
//   declaring it is imported from, in this order, the public API (src/index.ts, then
//   src/testing/index.ts and src/bench/index.ts), the example's own file (for units that are
//   not public), then 'rxjs' and 'rxjs/testing'. Node built-ins
//   and anything else must be imported in the example itself; a relative specifier there
//   (`import type { RasterImage } from './RasterImage.js'`) means next to the example's file.
//   A name the fragment declares at its top level is never imported. When an error looks odd
//   (an undeclared `buffer` is rxjs's operator), the report shows the imports that were added.
// - Free variables an example assumes (the `item` it was given, `files$`, `username`) are
//   declared in the example with `declare`, where a reader sees them too:
//
//     declare const files$: Observable<FileItem>;
//     files$.pipe(prioritize({ … }))
//
//   That is honest (the reader learns the types) and keeps the convention to plain TypeScript:
//   no hidden lines, no magic comments. Top-level await is allowed (the modules are ESM).
// - A block fenced as ```ts is checked; ```text, ```sh and untagged blocks are not. An
//   `@example` with no fence is checked up to the next tag.
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';

/** One ```ts block, with where each of its lines came from. */
export interface Example {
  /** The file the block is in, relative to the repository root: `README.md`, `src/sinks/…ts`. */
  readonly file: string;
  /** 1-based line of the block's opening fence (or of its `@example` tag). */
  readonly line: number;
  /** The block's code, one entry per line, JSDoc ` * ` prefixes removed. */
  readonly code: readonly string[];
  /** 1-based source line of each code line. */
  readonly lines: readonly number[];
  /** `readme` blocks import for themselves; `jsdoc` blocks get automatic imports. */
  readonly kind: 'readme' | 'jsdoc';
}

/** A compiler error in an example, at the line of the README or src file it came from. */
export interface ExampleProblem {
  readonly example: Example;
  /** 1-based line in `example.file`. */
  readonly line: number;
  readonly message: string;
  /** The import lines added in front of a JSDoc fragment, to explain a surprising name. */
  readonly addedImports: readonly string[];
}

/** Options of {@link checkExamples}. */
export interface CheckExamplesOptions {
  /** Repository root. @default the folder above scripts/ */
  readonly root?: string;
  /** The examples to check. @default every example of README.md and src/**\/*.ts */
  readonly examples?: readonly Example[];
  /** Keep the generated folder (its path is returned) instead of deleting it. @default false */
  readonly keep?: boolean;
}

/** What {@link checkExamples} found. */
export interface CheckExamplesResult {
  readonly examples: readonly Example[];
  readonly problems: readonly ExampleProblem[];
  /** The generated folder, when kept. */
  readonly dir?: string;
}

const defaultRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The package's entry points (package.json `exports`) and the source each one is built from. */
const PUBLIC_ENTRIES = {
  'haste-agent': 'src/index.ts',
  'haste-agent/testing': 'src/testing/index.ts',
  'haste-agent/bench': 'src/bench/index.ts',
} as const;
const OPEN_FENCE = /^\s*```(ts|typescript)\s*$/;
const ANY_OPEN_FENCE = /^\s*```\S*\s*$/;
const CLOSE_FENCE = /^\s*```\s*$/;

/**
 * The ```ts blocks of a Markdown text.
 */
export function extractMarkdownExamples(text: string, file: string): Example[] {
  return fencedBlocks(
    text.split('\n').map((content, i) => ({ content, line: i + 1 })),
    file,
    'readme',
  );
}

/**
 * The ```ts blocks (and unfenced `@example` sections) of the JSDoc comments of a TypeScript source.
 */
export function extractJsDocExamples(text: string, file: string): Example[] {
  const examples: Example[] = [];
  for (const comment of jsDocComments(text)) {
    const startLine = lineOf(text, comment.pos);
    const lines = text
      .slice(comment.pos, comment.end)
      .split('\n')
      .map((raw, i) => ({ content: stripJsDocPrefix(raw, i), line: startLine + i }));
    examples.push(...fencedBlocks(lines, file, 'jsdoc'), ...unfencedExamples(lines, file));
  }
  return examples;
}

/** Every example of README.md and of the JSDoc in src/**\/*.ts, in file order. */
export async function collectExamples(root: string = defaultRoot): Promise<Example[]> {
  const examples = extractMarkdownExamples(await readFile(join(root, 'README.md'), 'utf8'), 'README.md');
  for (const path of await sourceFiles(join(root, 'src'))) {
    examples.push(...extractJsDocExamples(await readFile(path, 'utf8'), relative(root, path)));
  }
  return examples;
}

/**
 * Writes each example as a module in a temporary folder and type-checks them all in one
 * compiler run.
 *
 * ```ts
 * const { problems } = await checkExamples();
 * for (const p of problems) console.log(`${p.example.file}:${p.line}: ${p.message}`);
 * ```
 */
export async function checkExamples(options: CheckExamplesOptions = {}): Promise<CheckExamplesResult> {
  const root = options.root ?? defaultRoot;
  const examples = options.examples ?? (await collectExamples(root));
  const dir = await mkdtemp(join(tmpdir(), 'haste-examples-'));
  try {
    // rxjs and @types/node resolve from the project's node_modules, exactly as the src files do.
    await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'junction');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
    const compilerOptions = exampleCompilerOptions(root);
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { ...compilerOptions.json }, include: ['examples/**/*.ts'] }, null, 2),
    );
    const options_ = compilerOptions.parsed;

    // What a JSDoc fragment may use without importing: read from the modules themselves.
    const ownFiles = [...new Set(examples.filter((e) => e.kind === 'jsdoc').map((e) => join(root, e.file)))];
    const probePath = join(dir, 'probe.ts');
    await writeFile(probePath, "export * as rx from 'rxjs';\nexport * as rxTesting from 'rxjs/testing';\n");
    const entryPaths = Object.values(PUBLIC_ENTRIES).map((entry) => join(root, entry));
    const probe = ts.createProgram({ rootNames: [probePath, ...entryPaths, ...ownFiles], options: options_ });
    const exportsOf = exportLister(probe);
    const rxjsNames = exportsOf(moduleResolved(probe, probePath, 'rxjs'));
    const rxTestingNames = exportsOf(moduleResolved(probe, probePath, 'rxjs/testing'));
    const publicEntries = entryPaths.map((path) => ({ specifier: path.replace(/\.ts$/, '.js'), names: exportsOf(path) }));

    const generated: { path: string; example: Example; preamble: string[] }[] = [];
    for (const [n, example] of examples.entries()) {
      const name = `${String(n).padStart(3, '0')}-${example.file.replace(/[^A-Za-z0-9]+/g, '_')}-L${example.line}.ts`;
      const path = join(dir, 'examples', name);
      const preamble =
        example.kind === 'jsdoc'
          ? autoImports(example, {
              public: publicEntries,
              own: { specifier: join(root, example.file).replace(/\.ts$/, '.js'), names: exportsOf(join(root, example.file)) },
              rxjs: rxjsNames,
              rxTesting: rxTestingNames,
            })
          : [];
      const code = example.kind === 'jsdoc' ? example.code.map((l) => absoluteSpecifiers(l, dirname(join(root, example.file)))) : example.code;
      const body = [...preamble, ...code, 'export {};', ''];
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, body.join('\n'));
      generated.push({ path, example, preamble });
    }

    const program = ts.createProgram({ rootNames: generated.map((g) => g.path), options: options_, oldProgram: probe });
    const problems: ExampleProblem[] = [];
    for (const diagnostic of [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()]) {
      throw new Error(`Example tsconfig is broken: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    }
    for (const g of generated) {
      const sourceFile = program.getSourceFile(g.path)!;
      const diagnostics = [...program.getSyntacticDiagnostics(sourceFile), ...program.getSemanticDiagnostics(sourceFile)];
      for (const diagnostic of diagnostics) {
        const at = diagnostic.start === undefined ? 0 : sourceFile.getLineAndCharacterOfPosition(diagnostic.start).line;
        const codeLine = at - g.preamble.length;
        problems.push({
          example: g.example,
          line: g.example.lines[codeLine] ?? g.example.line,
          message: `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ')}`,
          addedImports: g.preamble,
        });
      }
    }
    return options.keep ? { examples, problems, dir } : { examples, problems };
  } finally {
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  }
}

/** One line per problem: `src/operators/prioritize.ts:124 (example at line 122): TS2322: …`. */
export function formatProblems(problems: readonly ExampleProblem[]): string {
  const out: string[] = [];
  problems.forEach((p, i) => {
    out.push(`${p.example.file}:${p.line} (example at line ${p.example.line}): ${p.message}`);
    const last = i === problems.length - 1 || problems[i + 1]!.example !== p.example;
    if (last && p.addedImports.length > 0) out.push(`  (imports added in front of it: ${p.addedImports.join(' ')})`);
  });
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------

interface NumberedLine {
  readonly content: string;
  readonly line: number;
}

function fencedBlocks(lines: readonly NumberedLine[], file: string, kind: Example['kind']): Example[] {
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    if (!ANY_OPEN_FENCE.test(lines[i]!.content)) continue;
    const open = lines[i]!;
    let end = i + 1;
    while (end < lines.length && !CLOSE_FENCE.test(lines[end]!.content)) end += 1;
    // A bare ``` opens an untagged block; skipping to its end keeps its contents from being
    // mistaken for fences.
    if (OPEN_FENCE.test(open.content)) {
      const body = lines.slice(i + 1, end);
      const indent = Math.min(...body.filter((l) => l.content.trim() !== '').map((l) => /^\s*/.exec(l.content)![0].length));
      examples.push({
        file,
        line: open.line,
        code: body.map((l) => l.content.slice(Number.isFinite(indent) ? indent : 0)),
        lines: body.map((l) => l.line),
        kind,
      });
    }
    i = end;
  }
  return examples;
}

function unfencedExamples(lines: readonly NumberedLine[], file: string): Example[] {
  const examples: Example[] = [];
  for (let i = 0; i < lines.length; i += 1) {
    const tag = /^@example\b\s*(.*)$/.exec(lines[i]!.content.trim());
    if (tag === null) continue;
    let end = i + 1;
    while (end < lines.length && !/^\s*@\w/.test(lines[end]!.content)) end += 1;
    const body = lines.slice(i + 1, end);
    if (body.some((l) => /^\s*```/.test(l.content))) continue; // fenced: found by fencedBlocks
    if (body.every((l) => l.content.trim() === '')) continue;
    examples.push({ file, line: lines[i]!.line, code: body.map((l) => l.content), lines: body.map((l) => l.line), kind: 'jsdoc' });
  }
  return examples;
}

/** `from './x.js'` in a fragment means next to its src file, wherever the fragment is written. */
function absoluteSpecifiers(line: string, fromDir: string): string {
  return line.replace(/(\bfrom\s*|\bimport\s*\(\s*|^\s*import\s*)(['"])(\.\.?\/[^'"]*)\2/g, (_, head: string, quote: string, spec: string) => `${head}${quote}${join(fromDir, spec)}${quote}`);
}

function stripJsDocPrefix(raw: string, index: number): string {
  let line = raw.replace(/\r$/, '');
  if (index === 0) line = line.replace(/^\s*\/\*\*/, '');
  line = line.replace(/\s*\*\/\s*$/, '');
  return line.replace(/^\s*\* ?/, '');
}

/** Every `/** … *\/` comment, found by the parser so strings and regexps cannot fool it. */
function jsDocComments(text: string): ts.CommentRange[] {
  const sourceFile = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true);
  const seen = new Map<number, ts.CommentRange>();
  const visit = (node: ts.Node): void => {
    for (const range of ts.getLeadingCommentRanges(text, node.pos) ?? []) {
      if (text.startsWith('/**', range.pos) && !text.startsWith('/**/', range.pos)) seen.set(range.pos, range);
    }
    for (const child of node.getChildren(sourceFile)) visit(child);
  };
  visit(sourceFile);
  return [...seen.values()].sort((a, b) => a.pos - b.pos);
}

function lineOf(text: string, pos: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < pos; i = text.indexOf('\n', i + 1)) line += 1;
  return line;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function exampleCompilerOptions(root: string): { json: Record<string, unknown>; parsed: ts.CompilerOptions } {
  const configPath = join(root, 'tsconfig.json');
  const { config, error } = ts.readConfigFile(configPath, ts.sys.readFile);
  if (error !== undefined) throw new Error(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  const json: Record<string, unknown> = { ...(config as { compilerOptions: Record<string, unknown> }).compilerOptions };
  for (const key of ['outDir', 'rootDir', 'declaration', 'declarationMap', 'sourceMap', 'composite', 'incremental', 'tsBuildInfoFile']) {
    delete json[key];
  }
  Object.assign(json, {
    noEmit: true,
    noUnusedLocals: false,
    noUnusedParameters: false,
    types: ['node'],
    paths: {
      ...Object.fromEntries(Object.entries(PUBLIC_ENTRIES).map(([specifier, entry]) => [specifier, [join(root, entry)]])),
      'haste-agent/*': [join(root, 'src', '*')],
    },
  });
  const parsed = ts.convertCompilerOptionsFromJson(json, root);
  if (parsed.errors.length > 0) throw new Error(ts.flattenDiagnosticMessageText(parsed.errors[0]!.messageText, '\n'));
  return { json, parsed: parsed.options };
}

function moduleResolved(program: ts.Program, from: string, specifier: string): string {
  const resolved = ts.resolveModuleName(specifier, from, program.getCompilerOptions(), ts.sys).resolvedModule;
  if (resolved === undefined) throw new Error(`Cannot resolve ${specifier}`);
  return resolved.resolvedFileName;
}

function exportLister(program: ts.Program): (file: string) => Set<string> {
  const checker = program.getTypeChecker();
  const cache = new Map<string, Set<string>>();
  return (file) => {
    const key = resolve(file);
    let names = cache.get(key);
    if (names === undefined) {
      const sourceFile = program.getSourceFile(key) ?? program.getSourceFile(file);
      const symbol = sourceFile === undefined ? undefined : checker.getSymbolAtLocation(sourceFile);
      names = new Set(symbol === undefined ? [] : checker.getExportsOfModule(symbol).map((s) => s.name));
      cache.set(key, names);
    }
    return names;
  };
}

interface ImportSources {
  /** The entry points, main entry first: a name is imported from the first that exports it. */
  readonly public: readonly { readonly specifier: string; readonly names: ReadonlySet<string> }[];
  readonly own: { readonly specifier: string; readonly names: ReadonlySet<string> };
  readonly rxjs: ReadonlySet<string>;
  readonly rxTesting: ReadonlySet<string>;
}

/** `import { … } from …` lines for the names a fragment uses but does not declare. */
function autoImports(example: Example, sources: ImportSources): string[] {
  const { used, declared } = namesOf(example.code.join('\n'));
  const wanted = [...used].filter((n) => !declared.has(n)).sort();
  const groups = new Map<string, string[]>();
  for (const name of wanted) {
    const entry = sources.public.find((candidate) => candidate.names.has(name));
    const specifier = entry !== undefined
      ? entry.specifier
      : sources.own.names.has(name)
        ? sources.own.specifier
        : sources.rxjs.has(name)
          ? 'rxjs'
          : sources.rxTesting.has(name)
            ? 'rxjs/testing'
            : undefined;
    if (specifier !== undefined) groups.set(specifier, [...(groups.get(specifier) ?? []), name]);
  }
  return [...groups].map(([specifier, names]) => `import { ${names.join(', ')} } from ${JSON.stringify(specifier)};`);
}

/** Identifiers a fragment refers to, and the ones it declares at its top level. */
function namesOf(code: string): { used: Set<string>; declared: Set<string> } {
  const sourceFile = ts.createSourceFile('example.ts', code, ts.ScriptTarget.Latest, true);
  const used = new Set<string>();
  const declared = new Set<string>();
  const declareBinding = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) declared.add(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) declareBinding(element.name);
  };
  for (const statement of sourceFile.statements) {
    if (ts.isVariableStatement(statement)) statement.declarationList.declarations.forEach((d) => declareBinding(d.name));
    else if (
      (ts.isFunctionDeclaration(statement) ||
        ts.isClassDeclaration(statement) ||
        ts.isInterfaceDeclaration(statement) ||
        ts.isTypeAliasDeclaration(statement) ||
        ts.isEnumDeclaration(statement)) &&
      statement.name !== undefined
    ) {
      declared.add(statement.name.text);
    } else if (ts.isImportDeclaration(statement) && statement.importClause !== undefined) {
      const clause = statement.importClause;
      if (clause.name !== undefined) declared.add(clause.name.text);
      const bindings = clause.namedBindings;
      if (bindings !== undefined) {
        if (ts.isNamespaceImport(bindings)) declared.add(bindings.name.text);
        else bindings.elements.forEach((e) => declared.add(e.name.text));
      }
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && isReference(node)) used.add(node.text);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return { used, declared };
}

function isReference(node: ts.Identifier): boolean {
  const parent = node.parent;
  if ((ts.isPropertyAccessExpression(parent) || ts.isQualifiedName(parent)) && node !== (ts.isPropertyAccessExpression(parent) ? parent.expression : parent.left)) {
    return false;
  }
  if (
    (ts.isPropertyAssignment(parent) ||
      ts.isPropertySignature(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isBindingElement(parent)) &&
    parent.name === node
  ) {
    return false;
  }
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const started = Date.now();
  const result = await checkExamples({ keep: process.argv.includes('--keep') });
  const files = new Set(result.examples.map((e) => e.file)).size;
  if (result.problems.length > 0) {
    process.stderr.write(`${formatProblems(result.problems)}\n`);
    const broken = new Set(result.problems.map((p) => p.example)).size;
    process.stderr.write(`${broken} of ${result.examples.length} examples (in ${files} files) do not compile\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`${result.examples.length} examples in ${files} files type-check (${Date.now() - started} ms)\n`);
  }
  if (result.dir !== undefined) process.stdout.write(`generated modules kept in ${result.dir}\n`);
}
