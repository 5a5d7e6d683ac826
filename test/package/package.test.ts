/**
 * The package a user installs: `npm pack` of a fresh copy of the sources must contain the built
 * code of every export and of the bin, the license, and no source map that points at a file it
 * does not ship; installed into a scratch project (offline, see scratch.ts), a strict NodeNext
 * TypeScript program using Client, acquireLock and startMember must compile against the shipped
 * declarations (with skipLibCheck off and without @types/ws) and run.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { promisify } from 'node:util';
import { packedFromSources, scratchProject, STRICT_CONSUMER_OPTIONS, type Packed } from './scratch.js';

const run = promisify(execFile);

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
}

function manifestOf(packed: Packed): PackageJson {
  return JSON.parse(packed.files.get('package.json')!.data.toString('utf8')) as PackageJson;
}

/** The consumer program: everything a first-day user does, in one strict module. */
const CONSUMER_PROGRAM = `
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, type KeyValue } from 'concord/client';
import { acquireLock, type LockHandle } from 'concord/recipes';
import { startMember, type MemberConfig, type MemberHandle } from 'concord/server';

const dataDir = await mkdtemp(join(tmpdir(), 'concord-consumer-'));
const config: MemberConfig = {
  name: 'consumer',
  dataDir,
  listenClientUrls: ['http://127.0.0.1:0'],
  listenPeerUrls: ['http://127.0.0.1:0'],
  logLevel: 'error',
};
const member: MemberHandle = await startMember(config);
const client = new Client({ endpoints: [...member.clientUrls], requestTimeoutMs: 5_000 });
await client.put('consumer/greeting', 'hello');
const greeting: string | undefined = await client.getText('consumer/greeting');
const lock: LockHandle = await acquireLock(client, 'consumer', { ttlSec: 5, timeoutMs: 10_000 });
const token: number = lock.token;
const held: KeyValue | undefined = (await client.getPrefix('concord/locks/')).kvs[0];
await lock.release();
const after = (await client.getPrefix('concord/locks/')).count;
await client.close();
await member.stop();
await rm(dataDir, { recursive: true, force: true });
console.log(JSON.stringify({ greeting, token, heldKey: held !== undefined, afterRelease: after }));
`;

describe('the npm package', function () {
  // Packing builds the shipped code (prepack) and installing packs the dependencies: seconds each.
  this.timeout(180_000);

  describe('npm pack from a fresh copy of the sources', () => {
    it('ships the built code and declarations of every export', async () => {
      const packed = await packedFromSources();
      const manifest = manifestOf(packed);
      const targets = Object.entries(manifest.exports ?? {})
        .filter(([subpath]) => subpath !== './package.json')
        .flatMap(([, target]) => (typeof target === 'string' ? [target] : Object.values(target)));
      expect(targets, 'export targets').to.include.members([
        './dist/client/index.js',
        './dist/client/index.d.ts',
        './dist/recipes/index.js',
        './dist/recipes/index.d.ts',
        './dist/server/index.js',
        './dist/server/index.d.ts',
      ]);
      const missing = targets.filter((t) => !packed.files.has(posix.normalize(t)));
      expect(missing, 'export targets missing from the tarball').to.deep.equal([]);
    });

    it('ships the bin as an executable Node script', async () => {
      const packed = await packedFromSources();
      const bin = manifestOf(packed).bin ?? {};
      expect(Object.keys(bin)).to.deep.equal(['concord']);
      const entry = packed.files.get(posix.normalize(bin['concord']!));
      expect(entry, `bin target ${bin['concord']} in the tarball`).to.not.equal(undefined);
      expect(entry!.data.toString('utf8').split('\n')[0]).to.equal('#!/usr/bin/env node');
      expect(entry!.mode & 0o111, `mode ${entry!.mode.toString(8)} has execute bits`).to.equal(0o111);
    });

    it('ships the Apache License 2.0 text that package.json names', async () => {
      const packed = await packedFromSources();
      expect(manifestOf(packed).license).to.equal('Apache-2.0');
      const license = packed.files.get('LICENSE')?.data.toString('utf8') ?? '';
      expect(license).to.match(/^\s*Apache License\s+Version 2\.0, January 2004/);
      expect(license).to.include('TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION');
      expect(license).to.include('END OF TERMS AND CONDITIONS');
    });

    it('ships no source map reference to a file it does not ship', async () => {
      const packed = await packedFromSources();
      const dangling: string[] = [];
      for (const [path, entry] of packed.files) {
        if (path.endsWith('.js')) {
          const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(entry.data.toString('utf8'))?.[1];
          if (url === undefined || url.startsWith('data:')) continue;
          const map = posix.join(posix.dirname(path), url);
          if (!packed.files.has(map)) dangling.push(`${path} → ${map}`);
        } else if (path.endsWith('.map')) {
          const map = JSON.parse(entry.data.toString('utf8')) as {
            sources?: string[];
            sourcesContent?: (string | null)[];
            sourceRoot?: string;
          };
          (map.sources ?? []).forEach((source, i) => {
            if (typeof map.sourcesContent?.[i] === 'string') return;
            const file = posix.join(posix.dirname(path), map.sourceRoot ?? '', source);
            if (!packed.files.has(file)) dangling.push(`${path} → ${file}`);
          });
        }
      }
      expect(dangling.slice(0, 5), `${dangling.length} dangling references`).to.deep.equal([]);
    });

    it('ships no tests, benchmarks, examples or build state', async () => {
      const packed = await packedFromSources();
      const unwanted = [...packed.files.keys()].filter((p) =>
        /^(dist\/)?(test|bench|examples)\/|\.tsbuildinfo$|(^|\/)node_modules\//.test(p),
      );
      expect(unwanted).to.deep.equal([]);
    });
  });

  describe('installed in a scratch project', () => {
    it('links the concord bin, which runs', async () => {
      const scratch = await scratchProject();
      const { version } = manifestOf(scratch.packed);
      const { stdout } = await run(join(scratch.dir, 'node_modules', '.bin', 'concord'), ['--version'], {
        cwd: scratch.dir,
      });
      expect(stdout).to.match(new RegExp(`^concord ${version.replace(/\./g, '\\.')}\\b`));
    });

    it('compiles a strict NodeNext program against concord/client, /recipes and /server without @types/ws, and runs it', async () => {
      const scratch = await scratchProject();
      writeFileSync(join(scratch.dir, 'consumer.ts'), CONSUMER_PROGRAM);
      writeFileSync(
        join(scratch.dir, 'tsconfig.consumer.json'),
        JSON.stringify({
          compilerOptions: { ...STRICT_CONSUMER_OPTIONS, outDir: 'out-consumer' },
          files: ['consumer.ts'],
        }),
      );
      const installed = JSON.parse(readFileSync(join(scratch.dir, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
        devDependencies: Record<string, string>;
      };
      expect(Object.keys({ ...installed.dependencies, ...installed.devDependencies })).to.not.include(
        '@types/ws',
      );
      const compiled = await scratch.compile('tsconfig.consumer.json');
      expect(compiled.output).to.equal('');
      expect(compiled.ok).to.equal(true);
      // TMPDIR: a data directory left by a failed run goes away with the scratch project.
      const tmp = join(scratch.dir, 'tmp');
      mkdirSync(tmp, { recursive: true });
      const { stdout } = await run(process.execPath, [join(scratch.dir, 'out-consumer', 'consumer.js')], {
        cwd: scratch.dir,
        env: { ...process.env, TMPDIR: tmp },
        timeout: 60_000,
      });
      const result = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
      expect(result['token']).to.be.a('number').above(0);
      expect(result).to.deep.include({ greeting: 'hello', heldKey: true, afterRelease: 0 });
    });
  });
});
