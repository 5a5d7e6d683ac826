/**
 * The simulator runs the production member, not a copy of it (issue #13): no file under test/sim
 * drives Raft's Ready loop itself (`ready()` / `advance()` on a RaftNode) or even names RaftNode,
 * and the simulator builds its members from server/replica's Replica and server/apply's
 * StateMachine.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const simDir = join(root, 'test', 'sim');

function tsFiles(dir: string): string[] {
  let out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out = out.concat(tsFiles(path));
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Removes comments and string contents, so prose about the old Ready loop does not trip the scan. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
}

/** `import { A, type B } from 'spec'` → the names imported from each module specifier. */
function namedImports(source: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const re = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(re)) {
    const names = (m[1] as string)
      .split(',')
      .map(
        (n) =>
          n
            .trim()
            .replace(/^type\s+/, '')
            .split(/\s+as\s+/)[0] as string,
      )
      .filter((n) => n.length > 0);
    out.set(m[2] as string, [...(out.get(m[2] as string) ?? []), ...names]);
  }
  return out;
}

const self = fileURLToPath(import.meta.url)
  .replace(/\.js$/, '.ts')
  .replace(`${join(root, 'dist')}`, root);
const sources = tsFiles(simDir)
  .filter((f) => f !== self)
  .map((f) => ({ file: relative(root, f), text: readFileSync(f, 'utf8') }));

describe('Simulator architecture (test/sim)', () => {
  it('finds the simulator sources', () => {
    expect(sources.map((s) => s.file)).to.include('test/sim/replica-node.ts');
  });

  it('has no Ready loop: nothing calls ready() or advance(), nothing names RaftNode', () => {
    const offenders: string[] = [];
    for (const { file, text } of sources) {
      const code = codeOnly(text);
      if (/\.ready\s*\(/.test(code)) offenders.push(`${file}: calls .ready(`);
      if (/\.advance\s*\(/.test(code)) offenders.push(`${file}: calls .advance(`);
      if (/\bRaftNode\b/.test(code)) offenders.push(`${file}: names RaftNode`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it("builds its members from server/replica's Replica and server/apply's StateMachine", () => {
    const replicaNode = sources.find((s) => s.file === 'test/sim/replica-node.ts');
    const imports = namedImports(replicaNode?.text ?? '');
    expect(imports.get('../../server/replica/index.js')).to.include('Replica');
    expect(imports.get('../../server/apply/index.js')).to.include('StateMachine');
    const code = codeOnly(replicaNode?.text ?? '');
    expect(code).to.match(/new Replica</);
    expect(code).to.match(/new StateMachine\(/);
  });
});
