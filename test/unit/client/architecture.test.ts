/**
 * The SDK's dependency rule (DESIGN.md §2, STYLE.md §7): client/ imports only client/protocol's
 * door, ws (only in ws-transport.ts), p-retry and nanoid; no Node modules, nothing from server/;
 * and no clock, timer or randomness outside the injected defaults in options.ts, so the simulator
 * can run the real SDK on virtual time.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');
const clientDir = join(root, 'client');

function importsOf(source: string): string[] {
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...source.matchAll(re)].map((m) => (m[1] ?? m[2]) as string);
}

function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
}

/** Why an import of `spec` from `file` breaks the rule, or undefined. */
export function importViolation(file: string, spec: string): string | undefined {
  if (spec.startsWith('./')) {
    if (spec.startsWith('./protocol/') && spec !== './protocol/index.js')
      return 'reach protocol only through its index';
    return undefined;
  }
  if (spec === 'ws') return file === 'ws-transport.ts' ? undefined : 'only ws-transport.ts may import ws';
  if (spec === 'p-retry' || spec === 'nanoid') return undefined;
  return `imports ${spec}`;
}

const files = readdirSync(clientDir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'));

describe('client architecture', () => {
  it('has source files to check', () => {
    expect(files).to.include('index.ts');
  });

  it('imports only protocol, ws (in ws-transport.ts), p-retry and nanoid', () => {
    for (const file of files) {
      for (const spec of importsOf(readFileSync(join(clientDir, file), 'utf8'))) {
        expect(importViolation(file, spec), `${file}: ${spec}`).to.equal(undefined);
      }
    }
  });

  it('reads no clock, timer or Math.random outside the defaults in options.ts', () => {
    const banned = [
      /\bDate\.now\b/,
      /\bMath\.random\b/,
      /(?<![.\w])setTimeout\b/,
      /\bsetInterval\b/,
      /\bperformance\.now\b/,
      /\bprocess\./,
    ];
    for (const file of files.filter((f) => f !== 'options.ts')) {
      const code = codeOnly(readFileSync(join(clientDir, file), 'utf8'));
      for (const re of banned) expect(re.test(code), `${file} uses ${re.source}`).to.equal(false);
    }
  });

  it('flags a forbidden import (self-test)', () => {
    expect(importViolation('core.ts', '../server/replica/index.js')).to.be.a('string');
    expect(importViolation('core.ts', 'node:net')).to.be.a('string');
    expect(importViolation('core.ts', 'ws')).to.be.a('string');
    expect(importViolation('ws-transport.ts', 'ws')).to.equal(undefined);
    expect(importViolation('kv.ts', './protocol/codec.js')).to.be.a('string');
  });
});
