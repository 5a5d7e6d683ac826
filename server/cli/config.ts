/**
 * Maps flags, CONCORD_* environment variables and an optional JSON config file onto the member's
 * typed `MemberConfig` (server/member/config.ts), which holds the defaults and validates. This
 * file only reads text: precedence (flag > environment > config file > the member's default),
 * unknown flags, and values that are not of the flag's type. Every error names the flag, the
 * member's own errors included (their field becomes its flag).
 */
import { readFileSync } from 'node:fs';
import {
  InvalidConfigError,
  resolveMemberConfig,
  type MemberConfig,
  type MemberConfigField,
  type ResolvedMemberConfig,
} from '../member/config.js';
import { envName, flagOfField, SERVE_FLAGS, type FlagSpec } from './flags.js';

export { InvalidConfigError };

/** A bad flag, environment variable or config file key, named as the operator wrote it. */
export class InvalidFlagError extends InvalidConfigError {
  override readonly name: string = 'InvalidFlagError';
  constructor(
    /** The flag, without dashes (`heartbeat-interval`). */
    readonly flag: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(fieldOfFlag(flag) ?? 'config', reason, options);
    this.message = `--${flag}: ${reason}`;
  }
}

function fieldOfFlag(flag: string): MemberConfigField | undefined {
  return SERVE_FLAGS.find((f) => f.name === flag)?.field;
}

/** A member config error told in flags: `--election-timeout: must be at least 5 × --heartbeat-interval …`. */
export function asFlagError(e: InvalidConfigError): InvalidFlagError {
  if (e instanceof InvalidFlagError) return e;
  return new InvalidFlagError(
    flagOfField(e.field),
    e.describe((f) => `--${flagOfField(f)}`),
    { cause: e },
  );
}

/** What one source says about a flag: text from argv and the environment, JSON from the file. */
type RawValue = string | number | boolean | readonly string[];
type RawValues = Map<string, RawValue>;

/** Parses `--flag value`, `--flag=value` and bare boolean `--flag`. */
export function parseArgv(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const known = new Map(SERVE_FLAGS.map((f) => [f.name, f]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new InvalidFlagError(arg, 'unexpected argument (flags start with --)');
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = known.get(name);
    if (spec === undefined) throw new InvalidFlagError(name, 'unknown flag (see concord serve --help)');
    if (eq >= 0) out.set(name, arg.slice(eq + 1));
    else if (spec.type === 'bool' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')))
      out.set(name, 'true');
    else {
      const value = argv[++i];
      if (value === undefined) throw new InvalidFlagError(name, 'missing value');
      out.set(name, value);
    }
  }
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): RawValues {
  const out: RawValues = new Map();
  for (const f of SERVE_FLAGS) {
    const v = env[envName(f.name)];
    if (v !== undefined && v !== '') out.set(f.name, v);
  }
  return out;
}

function fromFile(path: string): RawValues {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new InvalidFlagError('config-file', `cannot read ${path}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidFlagError('config-file', 'must hold a JSON object');
  const out: RawValues = new Map();
  const known = new Map(SERVE_FLAGS.map((f) => [f.name, f]));
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const spec = known.get(k);
    if (spec === undefined || spec.field === undefined)
      throw new InvalidFlagError(k, `unknown key in ${path}`);
    const isList = Array.isArray(v) && v.every((u) => typeof u === 'string');
    if (isList && spec.type !== 'urls' && spec.type !== 'list')
      throw new InvalidFlagError(k, 'a list is only allowed for URLs and list flags');
    if (!isList && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new InvalidFlagError(k, 'must be a string, number or boolean');
    out.set(k, v as RawValue);
  }
  return out;
}

/**
 * A flag's raw value as the field's type. Empty text leaves a text or URL field unset (as an
 * empty CONCORD_* variable does); ranges and consistency are the member's to check.
 */
function valueOf(spec: FlagSpec, raw: RawValue): unknown {
  switch (spec.type) {
    case 'int':
      if (typeof raw === 'number') return raw;
      if (typeof raw === 'string' && /^\d+$/.test(raw)) return Number(raw);
      throw new InvalidFlagError(spec.name, `'${String(raw)}' is not a non-negative integer`);
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new InvalidFlagError(spec.name, `'${String(raw)}' is not true or false`);
    case 'enum':
      if (typeof raw !== 'string' || !spec.values!.includes(raw))
        throw new InvalidFlagError(spec.name, `'${String(raw)}' is not one of ${spec.values!.join(', ')}`);
      return raw;
    case 'urls': {
      const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : [String(raw)];
      const urls = list.map((s) => s.trim()).filter((s) => s !== '');
      if (urls.length === 0 && raw !== '') throw new InvalidFlagError(spec.name, 'needs at least one URL');
      return urls.length === 0 ? undefined : urls;
    }
    case 'list': {
      // An empty text is an empty list (`--cors=` allows no other origin), not "unset".
      const list = typeof raw === 'string' ? raw.split(',') : Array.isArray(raw) ? raw : [String(raw)];
      return list.map((s) => s.trim()).filter((s) => s !== '');
    }
    case 'string': {
      const text = String(raw);
      return text === '' ? undefined : text;
    }
  }
}

/** The member config that argv, the environment and the config file describe (not yet validated). */
export function memberConfigFromArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): MemberConfig {
  const flags = parseArgv(argv);
  const envValues = fromEnv(env);
  const configPath = flags.get('config-file') ?? envValues.get('config-file');
  const fileValues = configPath !== undefined && configPath !== '' ? fromFile(String(configPath)) : new Map();
  const config: Partial<Record<MemberConfigField, unknown>> = {};
  for (const spec of SERVE_FLAGS) {
    if (spec.field === undefined) continue;
    const raw = flags.get(spec.name) ?? envValues.get(spec.name) ?? fileValues.get(spec.name);
    if (raw === undefined) continue;
    const value = valueOf(spec, raw);
    if (value !== undefined) config[spec.field] = value;
  }
  // Each value has its flag's type; whether it is the field's is resolveMemberConfig's to check.
  return config as MemberConfig;
}

/** Validates a config read from flags, telling any mistake by its flag. */
export function resolveFlagConfig(config: MemberConfig): ResolvedMemberConfig {
  try {
    return resolveMemberConfig(config);
  } catch (e) {
    throw e instanceof InvalidConfigError ? asFlagError(e) : e;
  }
}

/** Flags, environment and config file to a validated member config (errors name the flag). */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ResolvedMemberConfig {
  return resolveFlagConfig(memberConfigFromArgs(argv, env));
}
