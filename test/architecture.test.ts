/**
 * Enforces the dependency rules of DESIGN.md §2 by scanning the TypeScript sources: the pure
 * cores import nothing with I/O and never read the clock or Math.random.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
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
            expect(spec, `${rel} imports ${spec}`).to.not.match(/(storage|transport|api|cli|replica)\//);
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

  it('catches a banned import when one is present (self-test)', () => {
    expect(importsOf("import { readFile } from 'node:fs';")).to.deep.equal(['node:fs']);
    expect(BANNED_GLOBALS.some((re) => re.test(codeOnly('const t = Date.now();')))).to.equal(true);
    expect(BANNED_GLOBALS.some((re) => re.test(codeOnly('// Date.now is banned')))).to.equal(false);
  });

  it('keeps the raft core free of I/O (it has source files to scan)', () => {
    expect(tsFiles(join(root, 'server/raft')).length).to.be.greaterThan(0);
  });
});
