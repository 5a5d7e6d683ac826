/**
 * The injected bugs (Raft's `InjectedBugs`, `ReplicaInjectedBugs`, `StateMachineInjectedBugs`) are
 * for the simulator's self-tests only: no flag, CONCORD_* variable, config-file key or
 * MemberOptions may reach them. The names are read from the interfaces themselves, so a bug added
 * later is covered without touching this test.
 */
import { expect } from 'chai';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidConfigError, loadConfig } from '../../../server/cli/config.js';
import { envName, SERVE_FLAGS } from '../../../server/cli/flags.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');

const DECLARATIONS = [
  'server/raft/config.ts',
  'server/replica/replica-config.ts',
  'server/apply/injected-bugs.ts',
];

/** Every field of every `…InjectedBugs` interface. */
function injectedBugNames(): string[] {
  const names: string[] = [];
  for (const file of DECLARATIONS) {
    const source = readFileSync(join(root, file), 'utf8');
    for (const m of source.matchAll(/export interface \w*InjectedBugs \{([\s\S]*?)\n\}/g)) {
      for (const f of (m[1] as string).matchAll(/readonly (\w+)\?:/g)) names.push(f[1] as string);
    }
  }
  return names;
}

const kebab = (name: string): string => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every key of a plain object tree. */
function keysDeep(value: unknown, out: string[] = []): string[] {
  if (typeof value !== 'object' || value === null) return out;
  for (const [k, v] of Object.entries(value)) {
    out.push(k);
    keysDeep(v, out);
  }
  return out;
}

describe('injected bugs', () => {
  const names = injectedBugNames();
  const words = ['injectedBugs', ...names];

  it('are all found in their interfaces (the checks below are not vacuous)', () => {
    expect(names).to.include.members([
      'commitPreviousTermByCount',
      'sendBeforePersist',
      'applyBeforePersist',
      'skipTxnSecondWatchEvent',
      'expireLeaseWithoutRevision',
    ]);
  });

  it('have no concord serve flag, and loadConfig refuses one spelled like them', () => {
    const flagNames = new Set(SERVE_FLAGS.map((f) => f.name));
    for (const word of words) {
      expect(flagNames.has(kebab(word)), kebab(word)).to.equal(false);
      expect(() => loadConfig([`--${kebab(word)}`]), kebab(word)).to.throw(
        InvalidConfigError,
        /unknown flag/,
      );
    }
  });

  it('cannot be set through CONCORD_* variables or the config file', () => {
    const env: NodeJS.ProcessEnv = {};
    for (const word of words) env[envName(kebab(word))] = 'true';
    const config = loadConfig([], env);
    const lowered = words.map((w) => w.toLowerCase());
    for (const key of keysDeep(config)) expect(lowered, key).to.not.include(key.toLowerCase());
    expect(keysDeep(config).some((k) => /bug/i.test(k))).to.equal(false);

    const dir = mkdtempSync(join(tmpdir(), 'concord-bugs-'));
    try {
      for (const word of words) {
        const file = join(dir, `${word}.json`);
        writeFileSync(file, JSON.stringify({ [kebab(word)]: true }));
        expect(() => loadConfig([`--config-file=${file}`]), word).to.throw(InvalidConfigError, /unknown key/);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('are named by no code between a user and the Replica or StateMachine (cli, member, api)', () => {
    const offenders: string[] = [];
    for (const dir of ['server/cli', 'server/member', 'server/api', 'server/index.ts']) {
      const path = join(root, dir);
      const files = statSync(path).isDirectory() ? tsFiles(path) : [path];
      for (const file of files) {
        // Comments may explain that the bugs are unreachable; code may not name them.
        const source = readFileSync(file, 'utf8')
          .replace(/\/\*[\s\S]*?\*\//g, '')
          .replace(/\/\/.*$/gm, '');
        for (const word of words) {
          if (new RegExp(`\\b${word}\\b`).test(source)) offenders.push(`${relative(root, file)}: ${word}`);
        }
      }
    }
    expect(offenders).to.deep.equal([]);
  });
});
