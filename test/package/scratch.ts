/**
 * The package as a user gets it: `npm pack` run on a copy of the sources (no dist/, as in a fresh
 * clone, so `prepack` must build), then the tarball installed into a scratch project in a temp dir.
 *
 * The install must work offline (CI has run `npm ci`, nothing more): `npm install --offline` of
 * the tarball alone would still need the registry's metadata for concord's dependencies, which
 * `npm ci` does not fetch. So each runtime dependency (and its own dependencies, found the way
 * Node resolves them from this repository) is packed from this repository's node_modules into a
 * local tarball and listed in the scratch project's package.json as `file:` tarballs. npm then
 * installs everything exactly as it would from a registry (extracted copies, bin links, the
 * dependency check of concord's own package.json) without any network or npm cache, and
 * `--offline` makes any attempt to reach the registry fail loudly instead of passing by luck.
 * `@types/node` is installed the same way (any Node TypeScript project has it); `@types/ws` is
 * deliberately not: the package's types must not need it. TypeScript itself is this repository's,
 * run by path.
 *
 * Built once per mocha process and shared (test/package and test/docs both use it); removed when
 * the process exits.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { readTarball, type TarEntry } from './tarball.js';

const run = promisify(execFile);

/** The repository (this file is dist/test/package/scratch.js). */
export const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/** Directories of a working tree that a fresh clone does not have. */
const NOT_IN_A_CLONE = new Set(['node_modules', 'dist', '.git']);

export interface Packed {
  /** The tarball `npm pack` wrote. */
  readonly tarball: string;
  /** Its files, keyed by path inside the package. */
  readonly files: ReadonlyMap<string, TarEntry>;
}

export interface Scratch {
  readonly packed: Packed;
  /** The consumer project: package.json, node_modules with concord installed. */
  readonly dir: string;
  /** Runs this repository's TypeScript compiler on `dir/<tsconfig>`; resolves with its output. */
  compile(tsconfig: string): Promise<{ ok: boolean; output: string }>;
}

let workDir: string | undefined;

function tempRoot(): string {
  if (workDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'concord-package-'));
    workDir = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return workDir;
}

/** The working tree's files as a fresh clone has them: git's list when there is one. */
async function cloneFiles(): Promise<string[]> {
  try {
    const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.split('\0').filter((f) => f !== '' && existsSync(join(repoRoot, f)));
  } catch {
    // No git (an unpacked source archive): everything at the top that a clone would hold.
    const ignored = topLevelIgnores();
    return readdirSync(repoRoot).filter(
      (name) => !NOT_IN_A_CLONE.has(name) && !ignored.some((re) => re.test(name)),
    );
  }
}

/** The .gitignore patterns that name top-level entries (`dist/`, `*.concord/`, `/dev-cluster/`). */
function topLevelIgnores(): RegExp[] {
  let text = '';
  try {
    text = readFileSync(join(repoRoot, '.gitignore'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => line.trim().replace(/^\//, '').replace(/\/$/, ''))
    .filter((p) => p !== '' && !p.startsWith('#') && !p.includes('/'))
    .map((p) => new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
}

async function npm(args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `npm ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

async function packFromSources(): Promise<Packed> {
  const root = tempRoot();
  const src = join(root, 'src');
  const out = join(root, 'packed');
  mkdirSync(out, { recursive: true });
  for (const file of await cloneFiles()) {
    if (NOT_IN_A_CLONE.has(file.split('/')[0] ?? '')) continue;
    cpSync(join(repoRoot, file), join(src, file), { recursive: true });
  }
  // The dependencies `npm ci` installed (prepack's tsc needs them; nothing here writes to them).
  symlinkSync(join(repoRoot, 'node_modules'), join(src, 'node_modules'), 'dir');
  await npm(['pack', '--pack-destination', out], src);
  const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz'));
  if (tarballs.length !== 1)
    throw new Error(`npm pack wrote ${tarballs.length} tarballs: ${tarballs.join(', ')}`);
  const tarball = join(out, tarballs[0]!);
  return { tarball, files: readTarball(tarball) };
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

function manifestAt(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** Where Node would find `name` for code in `fromDir`. */
function resolvePackageDir(name: string, fromDir: string): string {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (run npm ci)`);
  }
}

/** `names` and everything they depend on, as installed in this repository. */
function dependencyClosure(names: readonly string[]): Map<string, { dir: string; version: string }> {
  const found = new Map<string, { dir: string; version: string }>();
  const queue = names.map((name) => ({ name, from: repoRoot }));
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const dir = resolvePackageDir(next.name, next.from);
    const manifest = manifestAt(dir);
    const seen = found.get(next.name);
    if (seen !== undefined) {
      if (seen.version !== manifest.version)
        throw new Error(`${next.name} is installed in two versions; the scratch install cannot flatten it`);
      continue;
    }
    found.set(next.name, { dir, version: manifest.version });
    for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dep, from: dir });
  }
  return found;
}

/** The file name `npm pack` gives a package: `@scope/name` → `scope-name-<version>.tgz`. */
function packFileName(name: string, version: string): string {
  return `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
}

async function installIntoScratch(packed: Packed): Promise<Scratch> {
  const dir = join(tempRoot(), 'consumer');
  const deps = join(dir, 'deps');
  mkdirSync(deps, { recursive: true });
  const concord = JSON.parse(packed.files.get('package.json')!.data.toString('utf8')) as Manifest;
  const runtime = dependencyClosure(Object.keys(concord.dependencies ?? {}));
  const types = dependencyClosure(['@types/node']);
  const all = new Map([...runtime, ...types]);
  await npm(
    ['pack', '--ignore-scripts', '--pack-destination', deps, ...[...all.values()].map((d) => d.dir)],
    dir,
  );
  const fileDeps = (m: Map<string, { version: string }>): Record<string, string> =>
    Object.fromEntries(
      [...m].map(([name, { version }]) => [name, `file:deps/${packFileName(name, version)}`]),
    );
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'concord-consumer',
        private: true,
        type: 'module',
        dependencies: { [concord.name]: `file:${packed.tarball}`, ...fileDeps(runtime) },
        devDependencies: fileDeps(types),
      },
      null,
      2,
    ),
  );
  await npm(['install', '--offline', '--no-audit', '--no-fund'], dir);
  const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  return {
    packed,
    dir,
    async compile(tsconfig) {
      try {
        const { stdout } = await run(process.execPath, [tsc, '-p', join(dir, tsconfig)], {
          cwd: dir,
          maxBuffer: 16 * 1024 * 1024,
        });
        return { ok: true, output: stdout };
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    },
  };
}

let packed: Promise<Packed> | undefined;
let scratch: Promise<Scratch> | undefined;

/** The tarball packed from a fresh copy of the sources (once per process). */
export function packedFromSources(): Promise<Packed> {
  return (packed ??= packFromSources());
}

/** A consumer project with the packed tarball installed (once per process). */
export function scratchProject(): Promise<Scratch> {
  return (scratch ??= packedFromSources().then(installIntoScratch));
}

/**
 * Compiler options of a strict consumer: NodeNext, strict plus the optional strictness flags,
 * and the package's own declaration files type-checked (skipLibCheck off).
 */
export const STRICT_CONSUMER_OPTIONS = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  lib: ['ES2023', 'ESNext.Disposable'],
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  skipLibCheck: false,
  noEmitOnError: true,
} as const;
