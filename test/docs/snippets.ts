/**
 * The ```ts snippets of a Markdown page, and how each becomes a module of the scratch consumer
 * project (test/package/scratch.ts) so that it compiles against the package as users install it.
 *
 * A snippet is written as a reader would copy it: it imports what it uses from `concord/client`
 * or `concord/recipes` when that is the point, and it may use what the page says exists around
 * it (docs/client.md: "the snippets use `client` from Connecting"). So each module starts with one
 * prelude line importing, for every top-level name the snippet does not declare itself, the
 * package's exports and the page context (`client`, `session`, `signal`, `stopWork`, from
 * context.ts). Unused imports cost nothing; a name the snippet declares is never imported, so
 * a snippet shadowing the context (its own `client`) compiles as written.
 *
 * A snippet that cannot run as it stands (a loop meant to run forever, example endpoints) is
 * preceded by the line `<!-- not run: REASON -->`; it is still compiled.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export interface Snippet {
  /** The page, relative to the repository. */
  readonly doc: string;
  /** Line of the page (1-based) holding the snippet's first line of code. */
  readonly line: number;
  readonly code: string;
  /** Why it is compiled only, if it is. */
  readonly notRun: string | undefined;
}

const FENCE_OPEN = /^```(?:ts|typescript)\s*$/;
const FENCE_CLOSE = /^```\s*$/;
const NOT_RUN = /^<!--\s*not run:\s*(.*?)\s*-->\s*$/;

export function snippetsOf(root: string, doc: string): Snippet[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE_OPEN.test(lines[i] ?? '')) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !FENCE_CLOSE.test(lines[end] ?? '')) end++;
    const marker = NOT_RUN.exec(lines[i - 1] ?? '');
    if (marker !== null && marker[1] === '') throw new Error(`${doc}:${i}: "not run" needs a reason`);
    snippets.push({ doc, line: start + 1, code: lines.slice(start, end).join('\n'), notRun: marker?.[1] });
    i = end;
  }
  return snippets;
}

/** Names the snippet declares or imports at its top level. */
export function topLevelNames(code: string): Set<string> {
  const file = ts.createSourceFile('snippet.ts', code, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const names = new Set<string>();
  const bind = (name: ts.BindingName): void => {
    if (ts.isIdentifier(name)) names.add(name.text);
    else for (const e of name.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const s of file.statements) {
    if (ts.isImportDeclaration(s)) {
      const clause = s.importClause;
      if (clause?.name !== undefined) names.add(clause.name.text);
      const bindings = clause?.namedBindings;
      if (bindings !== undefined && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
      else if (bindings !== undefined) for (const e of bindings.elements) names.add(e.name.text);
    } else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) bind(d.name);
    } else if (
      (ts.isFunctionDeclaration(s) ||
        ts.isClassDeclaration(s) ||
        ts.isInterfaceDeclaration(s) ||
        ts.isTypeAliasDeclaration(s) ||
        ts.isEnumDeclaration(s)) &&
      s.name !== undefined
    ) {
      names.add(s.name.text);
    }
  }
  return names;
}

/** Where the prelude's names come from: module specifier → exported names. */
export type PreludeSources = ReadonlyArray<readonly [specifier: string, names: readonly string[]]>;

/** The snippet as a module: one prelude line, then the snippet's lines unchanged. */
export function moduleOf(snippet: Snippet, sources: PreludeSources): string {
  const own = topLevelNames(snippet.code);
  const taken = new Set(own);
  const imports: string[] = [];
  for (const [specifier, names] of sources) {
    const wanted = names.filter((n) => !taken.has(n));
    for (const n of wanted) taken.add(n);
    if (wanted.length > 0) imports.push(`import { ${wanted.join(', ')} } from '${specifier}';`);
  }
  return `${imports.join(' ')} export {};\n${snippet.code}\n`;
}

/** The module's file name: `client.md.79.ts` for the snippet of docs/client.md starting at line 79. */
export function moduleName(snippet: Snippet): string {
  return `${snippet.doc.split('/').pop()}.${snippet.line}.ts`;
}

/**
 * Rewrites compiler output so that positions in a snippet module read as positions in the page:
 * `client.md.79.ts(3,5): error …` → `docs/client.md:80:5: error …` (the prelude is line 1).
 */
export function toDocPositions(output: string, snippets: readonly Snippet[]): string {
  const byName = new Map(snippets.map((s) => [moduleName(s), s]));
  return output.replace(
    /(?:^|(?<=\n))(?:[^\n(]*\/)?([^/\n(]+\.ts)\((\d+),(\d+)\)/g,
    (whole, name: string, l, c) => {
      const s = byName.get(name);
      return s === undefined ? whole : `${s.doc}:${s.line + Number(l) - 2}:${c}`;
    },
  );
}
