/** Argument parsing and failure formatting for vopr.ts (importable by tests without running the CLI). */
import { randomInt } from 'node:crypto';
import { availableParallelism } from 'node:os';
import {
  PROFILES,
  SIM_BUG_NAMES,
  SIM_DEFAULTS,
  simOptions,
  type ProfileName,
  type SimBugs,
  type SimOptions,
} from './options.js';
import type { RunResult } from './run.js';

export interface CliArgs {
  readonly seeds: number;
  readonly first: number;
  readonly nodes: 3 | 5 | 7 | undefined;
  readonly bugs: SimBugs;
  readonly safetyMs: number;
  readonly livenessMs: number;
  readonly profile: ProfileName;
  readonly storage: 'model' | 'real';
  /** Worker threads running seeds side by side (default: one per core, at most the seed count). */
  readonly workers: number;
  /** The simulated clients on the request path (default on; off: the cluster's own puts only). */
  readonly clients: boolean;
  /** The auth workload and its checker (default off). */
  readonly auth: boolean;
  /** `--auth race`: the auth workload with revocation races (SimOptions.authRaces). */
  readonly authRaces: boolean;
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseNodes(value: string): 3 | 5 | 7 {
  if (value === '3' || value === '5' || value === '7') return Number(value) as 3 | 5 | 7;
  throw new UsageError(`--nodes must be 3, 5 or 7, got ${value}`);
}

function parseCount(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`${flag} must be an integer >= ${min}, got ${value}`);
  return n;
}

function parseBugs(value: string): SimBugs {
  const bugs: Record<string, boolean> = {};
  for (const name of value.split(',')) {
    if (!(SIM_BUG_NAMES as readonly string[]).includes(name)) {
      throw new UsageError(`unknown bug ${name}; known: ${SIM_BUG_NAMES.join(', ')}`);
    }
    bugs[name] = true;
  }
  return bugs as SimBugs;
}

function parseStorage(value: string): 'model' | 'real' {
  if (value === 'model' || value === 'real') return value;
  throw new UsageError(`--storage must be model or real, got ${value}`);
}

function parseOnOff(flag: string, value: string): boolean {
  if (value === 'on' || value === 'off') return value === 'on';
  throw new UsageError(`${flag} must be on or off, got ${value}`);
}

function parseAuth(value: string): { auth: boolean; authRaces: boolean } {
  if (value === 'race') return { auth: true, authRaces: true };
  if (value === 'on' || value === 'off') return { auth: value === 'on', authRaces: false };
  throw new UsageError(`--auth must be on, off or race, got ${value}`);
}

function parseProfile(value: string): ProfileName {
  if (Object.hasOwn(PROFILES, value)) return value as ProfileName;
  throw new UsageError(`unknown profile ${value}; known: ${Object.keys(PROFILES).join(', ')}`);
}

export function parseArgs(argv: readonly string[]): CliArgs {
  let seeds: number | undefined;
  let first: number | undefined;
  let nodes: 3 | 5 | 7 | undefined;
  let bugs: SimBugs = {};
  let safetyMs: number = SIM_DEFAULTS.safetyMs;
  let livenessMs: number = SIM_DEFAULTS.livenessMs;
  let profile: ProfileName = 'swarm';
  let storage: 'model' | 'real' = 'model';
  let workers: number | undefined;
  let clients = true;
  let auth = { auth: false, authRaces: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    i++;
    if (flag === '--seeds') seeds = parseCount(flag, value, 1);
    else if (flag === '--seed')
      first = value === 'random' ? randomInt(0, 0xffffffff) : parseCount(flag, value, 0);
    else if (flag === '--nodes') nodes = parseNodes(value);
    else if (flag === '--bugs') bugs = parseBugs(value);
    else if (flag === '--safety-ms') safetyMs = parseCount(flag, value, 0);
    else if (flag === '--liveness-ms') livenessMs = parseCount(flag, value, 1);
    else if (flag === '--profile') profile = parseProfile(value);
    else if (flag === '--storage') storage = parseStorage(value);
    else if (flag === '--workers') workers = parseCount(flag, value, 1);
    else if (flag === '--clients') clients = parseOnOff(flag, value);
    else if (flag === '--auth') auth = parseAuth(value);
    else throw new UsageError(`unknown flag ${flag}`);
  }
  if (seeds === undefined && first === undefined) seeds = 100;
  const count = seeds ?? 1;
  workers ??= Math.min(availableParallelism(), count);
  return {
    seeds: count,
    first: first ?? 1,
    nodes,
    bugs,
    safetyMs,
    livenessMs,
    profile,
    storage,
    workers,
    clients,
    ...auth,
  };
}

export function nodesForSeed(seed: number, nodes: 3 | 5 | 7 | undefined): 3 | 5 | 7 {
  return nodes ?? ([3, 5, 7] as const)[seed % 3] ?? 5;
}

export function optionsFor(args: CliArgs, seed: number): SimOptions {
  return simOptions({
    seed,
    nodes: nodesForSeed(seed, args.nodes),
    bugs: args.bugs,
    safetyMs: args.safetyMs,
    livenessMs: args.livenessMs,
    profile: PROFILES[args.profile],
    profileName: args.profile,
    storage: args.storage,
    clients: args.clients,
    auth: args.auth,
    authRaces: args.authRaces,
  });
}

export function reproCommand(options: SimOptions): string {
  const parts = [`npm run sim -- --seed ${options.seed} --nodes ${options.nodes}`];
  const bugs = Object.entries(options.bugs)
    .filter(([, on]) => on === true)
    .map(([name]) => name);
  if (bugs.length > 0) parts.push(`--bugs ${bugs.join(',')}`);
  if (options.profileName === 'custom')
    parts.push(`# plus profile overrides ${JSON.stringify(options.profile)}`);
  else if (options.profileName !== 'swarm') parts.push(`--profile ${options.profileName}`);
  if (options.storage === 'real') parts.push('--storage real');
  if (!options.clients) parts.push('--clients off');
  if (options.auth) parts.push(options.authRaces ? '--auth race' : '--auth on');
  if (options.safetyMs !== SIM_DEFAULTS.safetyMs) parts.push(`--safety-ms ${options.safetyMs}`);
  if (options.livenessMs !== SIM_DEFAULTS.livenessMs) parts.push(`--liveness-ms ${options.livenessMs}`);
  return parts.join(' ');
}

export function formatFailure(result: RunResult, options: SimOptions): string {
  const v = result.violation;
  return [
    `FAIL seed=${result.seed} nodes=${result.nodes} events=${result.events} at=${result.simulatedMs.toFixed(3)}ms`,
    `violation: ${v?.message ?? '(none)'}`,
    `profile: ${result.profile}`,
    'members at the end:',
    ...result.finalState.split('\n').map((line) => `  ${line}`),
    `last ${result.trace.length} events:`,
    ...result.trace.map((line) => `  ${line}`),
    `reproduce: ${reproCommand(options)}`,
  ].join('\n');
}
