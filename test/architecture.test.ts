/**
 * Enforces the dependency rules of DESIGN.md §2 ("Layers and their rooms") by scanning the
 * TypeScript sources: the pure cores import nothing with I/O and never read the clock or
 * Math.random; and each folder imports only what the table's "may import" column gives it (the
 * LAYER_RULES below quote it). Type-only imports count: they couple the layers just the same.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..');

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function importsOf(source: string): string[] {
  const found: string[] = [];
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of source.matchAll(re)) found.push((m[1] ?? m[2]) as string);
  return found;
}

/** Removes comments and string contents so that prose mentioning Date.now does not trip the scan. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
}

const PURE_CORES = ['server/raft', 'server/mvcc', 'server/lease', 'server/watch', 'server/apply'];
const BANNED_GLOBALS = [
  /\bDate\.now\b/,
  /\bnew Date\b/,
  /\bMath\.random\b/,
  /\bsetTimeout\b/,
  /\bsetInterval\b/,
  /\bsetImmediate\b/,
  /\bprocess\./,
  /\bperformance\.now\b/,
];

/**
 * Recipes are written exactly as a user would write them: the client's public door, their own
 * siblings, and the SDK's own runtime dependency nanoid. No client internals, no server, no Node I/O.
 */
function isAllowedRecipeImport(spec: string): boolean {
  if (spec === '../client/index.js') return true;
  if (/^\.\/[a-z-]+\.js$/.test(spec)) return true;
  return spec === 'nanoid';
}

/** What an import names: a source file of this repository (its path from the root), or a module. */
type Target =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'node'; readonly name: string }
  | { readonly kind: 'package'; readonly name: string };

function targetOf(rootDir: string, file: string, spec: string): Target {
  if (spec.startsWith('.')) {
    const path = relative(rootDir, resolve(dirname(file), spec))
      .split(sep)
      .join('/');
    return { kind: 'file', path: path.replace(/\.js$/, '.ts') };
  }
  return spec.startsWith('node:') ? { kind: 'node', name: spec } : { kind: 'package', name: spec };
}

/** A folder of DESIGN.md §2 and what it may import there, as a predicate over each import. */
interface LayerRule {
  readonly folder: string;
  /** The rule in DESIGN.md's words, shown with a violation. */
  readonly says: string;
  readonly allows: (target: Target, file: string) => boolean;
}

const isIn = (t: Target, folder: string): boolean => t.kind === 'file' && t.path.startsWith(`${folder}/`);
/** `server/assert.ts`, `bytes.ts`, `errors.ts`: helpers every server layer shares. */
const isServerHelper = (t: Target): boolean =>
  t.kind === 'file' && /^server\/[a-z-]+\.ts$/.test(t.path) && t.path !== 'server/index.ts';
/** The wire contract, shared with the server (error codes, message types). */
const isProtocol = (t: Target): boolean => isIn(t, 'client/protocol');
/** The platform's narrow interfaces, not its Node adapters (`node-*.ts`). */
const isPlatformInterface = (t: Target): boolean =>
  isIn(t, 'server/platform') && !/\/node-[^/]*$/.test((t as { path: string }).path);
const SERVER_LAYERS = [
  'platform',
  'raft',
  'storage',
  'mvcc',
  'lease',
  'watch',
  'apply',
  'auth',
  'replica',
  'member',
  'transport',
  'api',
  'cli',
] as const;
const isServerLayer = (t: Target, ...layers: (typeof SERVER_LAYERS)[number][]): boolean =>
  layers.some((l) => isIn(t, `server/${l}`));

const LAYER_RULES: readonly LayerRule[] = [
  {
    folder: 'server/platform',
    says: 'node:fs (adapters only): the Node adapters (node-*.ts) are the platform files that touch the disk',
    allows: (t, file) => !(t.kind === 'node' && /^node:fs/.test(t.name)) || /\/node-[^/]*\.ts$/.test(file),
  },
  {
    folder: 'server/storage',
    says:
      'platform interfaces: WAL and snapshots go through the Disk interface (node:fs only through ' +
      "server/platform), plus raft's types for the entries it stores",
    allows: (t) =>
      isIn(t, 'server/storage') ||
      isPlatformInterface(t) ||
      (t.kind === 'file' && t.path === 'server/raft/types.ts') ||
      isServerHelper(t) ||
      isProtocol(t),
  },
  {
    folder: 'server/replica',
    says: 'raft, storage, apply, platform interfaces: it talks to the world only through its ports',
    allows: (t) =>
      isServerLayer(t, 'replica', 'raft', 'storage', 'apply') ||
      isPlatformInterface(t) ||
      isServerHelper(t) ||
      isProtocol(t),
  },
  {
    folder: 'server/member',
    says: 'everything below it; never cli/',
    allows: (t) => !isServerLayer(t, 'cli') && !isIn(t, 'recipes') && !isIn(t, 'console'),
  },
  {
    folder: 'server/transport',
    says: "ws: peer messages only (raft's message types), no storage, state machine, replica or member",
    allows: (t) =>
      t.kind !== 'file' ||
      isServerLayer(t, 'transport', 'platform') ||
      t.path === 'server/raft/types.ts' ||
      isServerHelper(t),
  },
  {
    folder: 'server/api',
    says: '`ClientBackend`, client/protocol: never replica, storage, mvcc or any other layer below the member',
    allows: (t) =>
      t.kind !== 'file' ||
      isIn(t, 'server/api') ||
      isPlatformInterface(t) ||
      isServerHelper(t) ||
      isProtocol(t),
  },
  {
    folder: 'client',
    says: 'the SDK knows only the protocol: nothing of the server, the recipes or the console',
    allows: (t) => t.kind !== 'file' || isIn(t, 'client'),
  },
  {
    folder: 'client/protocol',
    says: 'the wire contract, importing nothing else (only the protobuf runtime)',
    allows: (t) => isProtocol(t) || (t.kind === 'package' && /^@bufbuild\/protobuf(\/|$)/.test(t.name)),
  },
];

/** Every import of `rule.folder` under `rootDir` that the rule does not allow, as "file imports spec". */
function violations(rootDir: string, rule: LayerRule): string[] {
  const out: string[] = [];
  for (const file of tsFiles(join(rootDir, rule.folder))) {
    const rel = relative(rootDir, file).split(sep).join('/');
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (!rule.allows(targetOf(rootDir, file, spec), rel)) out.push(`${rel} imports ${spec}`);
    }
  }
  return out;
}

/** Writes `files` (path → source) under a fresh temporary root; the caller removes it. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'concord-arch-'));
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  return dir;
}

/** One import each rule must refuse, and one it must accept, in the folder it governs. */
const DELIBERATE: Readonly<Record<string, { bad: [string, string]; good: [string, string] }>> = {
  'server/platform': {
    bad: ['server/platform/clock.ts', "import { readFileSync } from 'node:fs';"],
    good: ['server/platform/node-disk.ts', "import { openSync } from 'node:fs';"],
  },
  'server/storage': {
    bad: ['server/storage/wal/wal.ts', "import { openSync } from 'node:fs';"],
    good: ['server/storage/wal/wal.ts', "import type { Disk } from '../../platform/disk.js';"],
  },
  'server/replica': {
    bad: ['server/replica/replica.ts', "import { PeerTransport } from '../transport/index.js';"],
    good: ['server/replica/replica.ts', "import { RaftNode } from '../raft/index.js';"],
  },
  'server/member': {
    bad: ['server/member/backend.ts', "import { memberIdOf } from '../cli/config.js';"],
    good: ['server/member/backend.ts', "import { Replica } from '../replica/index.js';"],
  },
  'server/transport': {
    bad: ['server/transport/inbound.ts', "import { Replica } from '../replica/index.js';"],
    good: ['server/transport/inbound.ts', "import type { Message } from '../raft/types.js';"],
  },
  'server/api': {
    bad: ['server/api/dispatch.ts', "import { MvccStore } from '../mvcc/index.js';"],
    good: ['server/api/dispatch.ts', "import type { ClientBackend } from './backend.js';"],
  },
  client: {
    bad: ['client/client.ts', "import { startMember } from '../server/index.js';"],
    good: ['client/client.ts', "import { ErrorCode } from './protocol/error-codes.js';"],
  },
  'client/protocol': {
    bad: ['client/protocol/index.ts', "import { Client } from '../client.js';"],
    good: ['client/protocol/index.ts', "import { create } from '@bufbuild/protobuf';"],
  },
};

describe('architecture', () => {
  for (const core of PURE_CORES) {
    context(`in ${core}`, () => {
      const files = tsFiles(join(root, core));
      it('imports no node: modules, ws, or I/O layers', () => {
        for (const file of files) {
          const rel = relative(root, file);
          for (const spec of importsOf(readFileSync(file, 'utf8'))) {
            expect(spec, `${rel} imports ${spec}`).to.not.match(
              /^node:|^(fs|net|http|https|timers|ws|child_process)$/,
            );
            expect(spec, `${rel} imports ${spec}`).to.not.match(
              /(storage|transport|api|cli|replica|member)\//,
            );
            expect(spec, `${rel} imports ${spec}`).to.not.match(/platform\/node-/);
          }
        }
      });
      it('reads no clock, timer or Math.random', () => {
        for (const file of files) {
          const code = codeOnly(readFileSync(file, 'utf8'));
          for (const banned of BANNED_GLOBALS) {
            expect(banned.test(code), `${relative(root, file)} uses ${banned.source}`).to.equal(false);
          }
        }
      });
    });
  }

  context('in recipes', () => {
    const files = tsFiles(join(root, 'recipes'));
    it('has source files to scan', () => {
      expect(files.length).to.be.greaterThan(0);
    });
    it('imports the client only through client/index.ts, and nothing of the server', () => {
      for (const file of files) {
        const rel = relative(root, file);
        for (const spec of importsOf(readFileSync(file, 'utf8'))) {
          expect(isAllowedRecipeImport(spec), `${rel} imports ${spec}`).to.equal(true);
        }
      }
    });
    it('rejects a client internal or a server import (self-test)', () => {
      expect(isAllowedRecipeImport('../client/index.js')).to.equal(true);
      expect(isAllowedRecipeImport('./lock.js')).to.equal(true);
      expect(isAllowedRecipeImport('nanoid')).to.equal(true);
      expect(isAllowedRecipeImport('../client/watch.js')).to.equal(false);
      expect(isAllowedRecipeImport('../client/protocol/index.js')).to.equal(false);
      expect(isAllowedRecipeImport('../server/index.js')).to.equal(false);
      expect(isAllowedRecipeImport('node:fs')).to.equal(false);
    });
  });

  context('folders import only what DESIGN.md §2 gives them', () => {
    for (const rule of LAYER_RULES) {
      it(`${rule.folder}: ${rule.says}`, () => {
        expect(tsFiles(join(root, rule.folder)), `${rule.folder} has sources`).to.not.be.empty;
        expect(violations(root, rule), `DESIGN.md §2, ${rule.folder} may import: ${rule.says}`).to.deep.equal(
          [],
        );
      });
    }

    it('catches a deliberate violation of each rule, and accepts an allowed import (self-test)', () => {
      expect(Object.keys(DELIBERATE)).to.have.members(LAYER_RULES.map((r) => r.folder));
      for (const rule of LAYER_RULES) {
        const { bad, good } = DELIBERATE[rule.folder]!;
        const badRoot = fixture({ [bad[0]]: `${bad[1]}\n` });
        const goodRoot = fixture({ [good[0]]: `${good[1]}\n` });
        try {
          expect(violations(badRoot, rule), `${rule.folder} refuses: ${bad[1]}`).to.have.length(1);
          expect(violations(goodRoot, rule), `${rule.folder} accepts: ${good[1]}`).to.deep.equal([]);
        } finally {
          rmSync(badRoot, { recursive: true, force: true });
          rmSync(goodRoot, { recursive: true, force: true });
        }
      }
    });
  });

  it('catches a banned import when one is present (self-test)', () => {
    expect(importsOf("import { readFile } from 'node:fs';")).to.deep.equal(['node:fs']);
    expect(BANNED_GLOBALS.some((re) => re.test(codeOnly('const t = Date.now();')))).to.equal(true);
    expect(BANNED_GLOBALS.some((re) => re.test(codeOnly('// Date.now is banned')))).to.equal(false);
  });

  it('keeps the raft core free of I/O (it has source files to scan)', () => {
    expect(tsFiles(join(root, 'server/raft')).length).to.be.greaterThan(0);
  });
});
