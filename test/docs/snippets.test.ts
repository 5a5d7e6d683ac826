/**
 * The documentation cannot drift from the code: every ```ts snippet of docs/client.md,
 * docs/recipes.md and the README is compiled strictly (NodeNext, skipLibCheck off) against the
 * package as a user installs it (the packed tarball in a scratch project, test/package/scratch.ts),
 * and every snippet not marked `<!-- not run: … -->` is run, in page order, against a fresh
 * member in this process. A snippet that waits for something that never happens fails by the
 * deadline. How snippets are turned into modules: snippets.ts.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFile } from 'node:child_process';
import { startMember, type MemberHandle } from '../../server/index.js';
import { repoRoot, scratchProject, STRICT_CONSUMER_OPTIONS, type Scratch } from '../package/scratch.js';
import { moduleName, moduleOf, snippetsOf, toDocPositions, type Snippet } from './snippets.js';

const DOCS = ['docs/client.md', 'docs/recipes.md', 'docs/embedding.md', 'README.md'];

/** What the pages say their snippets may use without declaring it (docs/client.md, docs/recipes.md). */
const CONTEXT_MODULE = `
import { Client, type Session } from 'concord/client';

const endpoints = process.env['CONCORD_ENDPOINTS'];
if (endpoints === undefined) throw new Error('CONCORD_ENDPOINTS is not set');
/** "client" of docs/client.md's Connecting section and of docs/recipes.md. */
export const client = new Client({ endpoints: endpoints.split(',') });
export const session: Session = await client.session({ ttlSec: 10 });
/** A caller's signal that is never aborted here. */
export const signal: AbortSignal = new AbortController().signal;
export function stopWork(): void {}
`;
const CONTEXT_NAMES = ['client', 'session', 'signal', 'stopWork'];

/** How long one snippet may take before it counts as blocked. */
const RUN_DEADLINE_MS = 20_000;

const snippets: Snippet[] = DOCS.flatMap((doc) => snippetsOf(repoRoot, doc));

interface Compiled {
  readonly scratch: Scratch;
  readonly ok: boolean;
  /** Compiler output with positions in the pages. */
  readonly output: string;
}

let compiled: Promise<Compiled> | undefined;

/** Writes every snippet as a module of the scratch project and compiles them in one run. */
function compileSnippets(): Promise<Compiled> {
  return (compiled ??= (async () => {
    const scratch = await scratchProject();
    const dir = join(scratch.dir, 'snippets');
    mkdirSync(dir, { recursive: true });
    const exportsOf = async (entry: string): Promise<string[]> =>
      Object.keys(
        (await import(pathToFileURL(join(scratch.dir, 'node_modules', 'concord', entry)).href)) as object,
      );
    const sources = [
      ['concord/client', await exportsOf('dist/client/index.js')],
      ['concord/recipes', await exportsOf('dist/recipes/index.js')],
      ['./context.js', CONTEXT_NAMES],
    ] as const;
    writeFileSync(join(dir, 'context.ts'), CONTEXT_MODULE);
    for (const s of snippets) writeFileSync(join(dir, moduleName(s)), moduleOf(s, sources));
    writeFileSync(
      join(scratch.dir, 'tsconfig.snippets.json'),
      JSON.stringify({
        // Emit despite errors, so that one broken snippet does not keep the others from running.
        compilerOptions: {
          ...STRICT_CONSUMER_OPTIONS,
          noEmitOnError: false,
          rootDir: 'snippets',
          outDir: 'out-snippets',
        },
        include: ['snippets/*.ts'],
      }),
    );
    const result = await scratch.compile('tsconfig.snippets.json');
    return { scratch, ok: result.ok, output: toDocPositions(result.output, snippets) };
  })());
}

function compiledUrl(scratch: Scratch, s: Snippet): string {
  return pathToFileURL(join(scratch.dir, 'out-snippets', moduleName(s).replace(/\.ts$/, '.js'))).href;
}

describe('documentation snippets', function () {
  // The first caller packs and installs the package (shared with test/package).
  this.timeout(180_000);

  describe('compiled against the installed package', () => {
    for (const doc of DOCS) {
      it(`compiles every snippet of ${doc} strictly`, async () => {
        const mine = snippets.filter((s) => s.doc === doc);
        expect(mine, `${doc} has ts snippets`).to.not.be.empty;
        const { output } = await compileSnippets();
        const errors = output.split('\n').filter((line) => line.startsWith(`${doc}:`));
        expect(errors).to.deep.equal([]);
      });
    }

    it('compiles the snippets with no error outside them', async () => {
      const { ok, output } = await compileSnippets();
      expect(
        output
          .split('\n')
          .filter((l) => l !== '' && !DOCS.some((d) => l.startsWith(`${d}:`)) && !l.startsWith(' ')),
      ).to.deep.equal([]);
      expect(ok).to.equal(true);
    });

    it('gives every recipe of docs/recipes.md a snippet that runs', () => {
      const lines = readLines('docs/recipes.md');
      const recipes = lines
        .map((text, i) => ({ text, line: i + 1 }))
        .filter((h) => /^## .* — `/.test(h.text));
      expect(recipes.length, 'recipe sections found').to.be.above(5);
      const missing = recipes.filter((h, i) => {
        const end = recipes[i + 1]?.line ?? nextHeading(lines, h.line);
        return !snippets.some(
          (s) => s.doc === 'docs/recipes.md' && s.notRun === undefined && s.line > h.line && s.line < end,
        );
      });
      expect(missing.map((h) => h.text)).to.deep.equal([]);
    });
  });

  describe('run against a fresh member', () => {
    let member: MemberHandle | undefined;
    let dataDir: string | undefined;
    let results: Promise<Map<string, RunResult>> | undefined;

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'concord-docs-'));
      member = await startMember(
        {
          name: 'docs',
          dataDir,
          listenClientUrls: ['http://127.0.0.1:0'],
          listenPeerUrls: ['http://127.0.0.1:0'],
        },
        { logWrite: () => undefined },
      );
    });

    after(async () => {
      await member?.stop();
      if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    });

    for (const s of snippets.filter((x) => x.notRun === undefined)) {
      it(`runs ${s.doc}:${s.line} to completion`, async () => {
        const { scratch, output } = await compileSnippets();
        expect(errorsIn(output, s), 'compiler errors in this snippet').to.deep.equal([]);
        results ??= runSnippets(scratch, member!.clientUrls);
        const result = (await results).get(moduleName(s));
        expect(result, 'the runner reported on this snippet').to.not.equal(undefined);
        if (result!.error !== undefined) expect.fail(`${result!.error}\n${result!.output}`);
      });
    }
  });
});

interface RunResult {
  readonly error?: string;
  /** What the run printed up to this snippet's verdict (for the failure message). */
  readonly output: string;
}

const RESULT_MARK = '@@concord-snippet ';

/**
 * The runner: a child process that imports every runnable snippet in page order, each within
 * RUN_DEADLINE_MS, prints one verdict line per snippet, and exits whatever the snippets left open.
 * A child rather than this process, so that a snippet that never finishes (or leaves a client
 * open) is reported and then ended with its process instead of keeping mocha alive.
 */
const RUNNER = `
const deadlineMs = Number(process.env.SNIPPET_DEADLINE_MS);
for (const url of process.argv.slice(2)) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('did not finish within ' + deadlineMs + ' ms')), deadlineMs);
  });
  let error;
  try {
    await Promise.race([import(url), deadline]);
  } catch (e) {
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  } finally {
    clearTimeout(timer);
  }
  console.log(${JSON.stringify(RESULT_MARK)} + JSON.stringify({ url, error }));
}
try {
  const context = await import(new URL('./out-snippets/context.js', import.meta.url).href);
  await context.client.close();
} catch {}
process.exit(0);
`;

async function runSnippets(scratch: Scratch, endpoints: readonly string[]): Promise<Map<string, RunResult>> {
  const runnable = snippets.filter((s) => s.notRun === undefined);
  const runner = join(scratch.dir, 'run-snippets.mjs');
  writeFileSync(runner, RUNNER);
  const tmp = join(scratch.dir, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const child = execFile(process.execPath, [runner, ...runnable.map((s) => compiledUrl(scratch, s))], {
    cwd: scratch.dir,
    // TMPDIR: what snippets create in os.tmpdir() goes away with the scratch project.
    env: {
      ...process.env,
      CONCORD_ENDPOINTS: endpoints.join(','),
      SNIPPET_DEADLINE_MS: String(RUN_DEADLINE_MS),
      TMPDIR: tmp,
    },
    maxBuffer: 64 * 1024 * 1024,
    timeout: runnable.length * RUN_DEADLINE_MS + 30_000,
    killSignal: 'SIGKILL',
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer | string) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer | string) => (stderr += chunk.toString()));
  await new Promise<void>((resolve) => child.on('close', () => resolve()));
  const results = new Map<string, RunResult>();
  const byUrl = new Map(runnable.map((s) => [compiledUrl(scratch, s), moduleName(s)]));
  let since = '';
  for (const line of stdout.split('\n')) {
    if (!line.startsWith(RESULT_MARK)) {
      since += `${line}\n`;
      continue;
    }
    const { url, error } = JSON.parse(line.slice(RESULT_MARK.length)) as { url: string; error?: string };
    const name = byUrl.get(url);
    const output = `stdout:\n${since}stderr (whole run):\n${stderr.slice(-4000)}`;
    if (name !== undefined) results.set(name, { ...(error !== undefined ? { error } : {}), output });
    since = '';
  }
  return results;
}

/** The compiler's errors located in snippet `s`. */
function errorsIn(output: string, s: Snippet): string[] {
  const last = s.line + s.code.split('\n').length - 1;
  return output.split('\n').filter((l) => {
    const m = /^(.+?):(\d+):\d+: /.exec(l);
    return m !== null && m[1] === s.doc && Number(m[2]) >= s.line && Number(m[2]) <= last;
  });
}

function readLines(doc: string): string[] {
  return readFileSync(join(repoRoot, doc), 'utf8').split('\n');
}

/** The line of the next `## ` heading after `line`, or past the end. */
function nextHeading(lines: readonly string[], line: number): number {
  for (let i = line; i < lines.length; i++) if (lines[i]!.startsWith('## ')) return i + 1;
  return lines.length + 1;
}
