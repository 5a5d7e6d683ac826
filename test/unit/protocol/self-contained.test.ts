/**
 * client/protocol is shared by the server and the SDK (and so by browsers): it must import nothing
 * outside its folder but @bufbuild/protobuf (the runtime of its generated code, as
 * test/architecture.test.ts allows) and use no Node-only globals. DESIGN.md §2.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');
const folder = join(root, 'client', 'protocol');

function importsOf(source: string): string[] {
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...source.matchAll(re)].map((m) => (m[1] ?? m[2]) as string);
}

/** Drops comments and string contents so that prose mentioning Buffer does not count. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
}

const NODE_ONLY = [
  /\bBuffer\b/,
  /\bprocess\./,
  /\brequire\(/,
  /\b__dirname\b/,
  /\bsetTimeout\b/,
  /\bDate\.now\b/,
  /\bMath\.random\b/,
];

describe('client/protocol', () => {
  const files = readdirSync(folder).filter((f) => f.endsWith('.ts'));

  it('has source files to check', () => {
    expect(files.length).to.be.greaterThan(5);
  });

  it('imports only files of its own folder (gen/ included), and @bufbuild/protobuf', () => {
    for (const file of files) {
      for (const spec of importsOf(readFileSync(join(folder, file), 'utf8'))) {
        expect(spec, `${file} imports ${spec}`).to.match(
          /^(\.\/[a-z0-9-]+\.js|\.\/gen\/[a-z0-9/]+_(pb|codec)\.js|@bufbuild\/protobuf)$/,
        );
      }
    }
  });

  it('uses no Node-only globals, clocks or randomness', () => {
    for (const file of files) {
      const code = codeOnly(readFileSync(join(folder, file), 'utf8'));
      for (const banned of NODE_ONLY)
        expect(banned.test(code), `${file} uses ${banned.source}`).to.equal(false);
    }
  });

  it('catches a forbidden import and global (self-test)', () => {
    expect(importsOf("import { x } from '../../server/assert.js';")).to.deep.equal([
      '../../server/assert.js',
    ]);
    expect(NODE_ONLY.some((re) => re.test(codeOnly('const b = Buffer.from(x);')))).to.equal(true);
  });
});
