/**
 * The member's request path (server/member/request-path.ts and everything it imports for its
 * values) runs in the simulator on virtual time, so it must not reach the network, the disk or
 * real time: no transport, no storage engine, no Node platform, no direct timer or clock global.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');

/** Relative imports that load code (not `import type`), resolved to .ts paths. */
function valueImports(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of source.matchAll(/(?:import|export)\s(?!type\s)[^'"]*?from\s*['"]([^'"]+)['"]/g)) {
    const spec = m[1]!;
    out.push(spec.startsWith('.') ? join(dirname(file), spec).replace(/\.js$/, '.ts') : spec);
  }
  return out;
}

/** Every source file the request path loads, and every package or node: module it names. */
function closure(entry: string): { files: string[]; external: Map<string, string> } {
  const files = new Set<string>();
  const external = new Map<string, string>();
  const stack = [entry];
  while (stack.length > 0) {
    const file = stack.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const spec of valueImports(file)) {
      if (spec.startsWith(root)) stack.push(spec);
      else external.set(`${relative(root, file)} → ${spec}`, spec);
    }
  }
  return { files: [...files].map((f) => relative(root, f)), external };
}

/** Comments and string contents removed, so prose that names a global does not count. */
function codeOnly(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:\\.|[^'\\])*'|"(?:\\.|[^"\\])*"|`(?:\\.|[^`\\])*`/g, "''");
}

/** Real time and real scheduling; `timers.setTimeout` (the port) is fine, a bare global is not. */
const REAL_TIME = [
  /\bDate\.now\b/,
  /\bnew Date\(\s*\)/,
  /(?<![.\w])setTimeout\b/,
  /(?<![.\w])setInterval\b/,
  /(?<![.\w])setImmediate\b/,
  /\bperformance\.now\b/,
  /\bMath\.random\b/,
  /\bprocess\.hrtime\b/,
];

/** Modules that mean a socket, a disk or the member's composition root. */
const FORBIDDEN = [
  /^server\/transport\//,
  /^server\/storage\/(?!wal\/record\.ts$)/,
  /^server\/platform\/node-/,
  /^server\/api\/(?!backend\.ts$|metrics\.ts$|version\.ts$)/,
  /^server\/member\/(member|start-member|leader-forward|shutdown|listen-error)\.ts$/,
];

/**
 * node: modules (and the one package) the path may load, and why: member ids and the backup file's SHA-256 trailer are
 * hashes (crypto's createHash: deterministic, no I/O; nothing random is drawn from it); the
 * package's own version is read by functions the request path does not call on a request, or
 * calls once (status reads the package.json version a first time).
 */
const ALLOWED_NODE: Readonly<Record<string, readonly string[]>> = {
  'server/member/member-ids.ts': ['node:crypto'],
  'server/member/snapshot-backup.ts': ['node:crypto'],
  'server/api/version.ts': ['node:fs', 'node:path', 'node:url'],
  // The wire codecs read the protobuf descriptors' scalar types: pure values, no I/O, no time.
  'client/protocol/proto-codec.ts': ['@bufbuild/protobuf'],
};

describe('the member request path loads no network, disk or real time', () => {
  const { files, external } = closure(join(root, 'server', 'member', 'request-path.ts'));

  it('includes the backend and the services (the scan sees the real path)', () => {
    for (const f of [
      'server/member/backend.ts',
      'server/member/member-services.ts',
      'server/member/watch-pump.ts',
      'server/member/lease-driver.ts',
    ])
      expect(files).to.include(f);
  });

  it('imports no transport, storage engine, Node platform or composition root', () => {
    for (const f of files)
      for (const re of FORBIDDEN) expect(f, `the request path loads ${f}`).to.not.match(re);
  });

  it('imports no package and only the node: modules listed', () => {
    for (const [where, spec] of external) {
      const file = where.split(' → ')[0]!;
      expect(ALLOWED_NODE[file] ?? [], `${where}`).to.include(spec);
    }
  });

  it('uses no clock or timer global (only the Clock and Timers ports)', () => {
    for (const f of files) {
      const code = codeOnly(readFileSync(join(root, f), 'utf8'));
      for (const re of REAL_TIME) expect(code, `${f} uses ${re.source}`).to.not.match(re);
    }
  });
});
