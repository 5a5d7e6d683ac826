/**
 * Turns flags, CONCORD_* environment variables and an optional JSON config file into a validated
 * member configuration. Precedence: flag > environment > config file > default. Any invalid value
 * fails fast with an error naming the flag.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseTokenSpec, type TokenSpec } from '../auth/token-spec.js';
import { envName, SERVE_FLAGS, type FlagSpec } from './flags.js';

export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`--${flag}: ${message}`);
  }
}

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly trustedCaFile: string;
  readonly clientCertAuth: boolean;
}

export interface InitialMember {
  readonly name: string;
  readonly id: number;
  readonly peerUrls: readonly string[];
}

export interface AutoCompaction {
  readonly mode: 'periodic' | 'revision';
  /** Periodic: milliseconds of history to keep; revision: revisions to keep. 0 disables. */
  readonly retention: number;
}

export interface MemberConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly memberId: number;
  readonly clusterId: number;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly advertisePeerUrls: readonly string[];
  readonly initialCluster: readonly InitialMember[];
  readonly initialClusterState: 'new' | 'existing';
  readonly initialClusterToken: string;
  readonly heartbeatIntervalMs: number;
  readonly electionTimeoutMs: number;
  readonly snapshotCount: number;
  readonly snapshotCatchUpEntries: number;
  /** Snapshot files kept in the data directory (etcd's --max-snapshots). */
  readonly maxSnapshots: number;
  readonly quotaBackendBytes: number;
  /** Percent of the heap's old generation past which the member raises NOSPACE (0: never). */
  readonly heapAlarmPercent: number;
  readonly maxRequestBytes: number;
  readonly autoCompaction: AutoCompaction;
  readonly requestTimeoutMs: number;
  readonly clientTls: TlsFiles | undefined;
  readonly peerTls: TlsFiles | undefined;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  readonly unsafeNoFsync: boolean;
  /** `--auth-token`, parsed (docs/auth.md). */
  readonly authToken: TokenSpec;
  /** `--auth-token-ttl`: simple tokens live this long after their last use. */
  readonly authTokenTtlSec: number;
}

type RawValues = Map<string, string>;

/** Parses `--flag value`, `--flag=value` and bare boolean `--flag`. */
export function parseArgv(argv: readonly string[]): RawValues {
  const out: RawValues = new Map();
  const known = new Map(SERVE_FLAGS.map((f) => [f.name, f]));
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new InvalidConfigError(arg, 'unexpected argument (flags start with --)');
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = known.get(name);
    if (spec === undefined) throw new InvalidConfigError(name, 'unknown flag (see concord serve --help)');
    if (eq >= 0) out.set(name, arg.slice(eq + 1));
    else if (spec.type === 'bool' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--')))
      out.set(name, 'true');
    else {
      const value = argv[++i];
      if (value === undefined) throw new InvalidConfigError(name, 'missing value');
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
    throw new InvalidConfigError('config-file', `cannot read ${path}: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new InvalidConfigError('config-file', 'must hold a JSON object');
  const out: RawValues = new Map();
  const known = new Set(SERVE_FLAGS.map((f) => f.name));
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!known.has(k)) throw new InvalidConfigError(k, `unknown key in ${path}`);
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new InvalidConfigError(k, 'must be a string, number or boolean');
    out.set(k, String(v));
  }
  return out;
}

function parseUrls(flag: string, value: string): string[] {
  const urls = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (urls.length === 0) throw new InvalidConfigError(flag, 'needs at least one URL');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new InvalidConfigError(flag, `'${u}' is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new InvalidConfigError(flag, `'${u}': scheme must be http or https`);
    if (parsed.port === '') throw new InvalidConfigError(flag, `'${u}': a port is required`);
  }
  return urls;
}

function parseInt10(flag: string, value: string, min: number): number {
  if (!/^\d+$/.test(value)) throw new InvalidConfigError(flag, `'${value}' is not a non-negative integer`);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidConfigError(flag, `must be an integer ≥ ${min}`);
  return n;
}

function parsePercent(flag: string, value: string): number {
  const n = parseInt10(flag, value, 0);
  if (n > 100) throw new InvalidConfigError(flag, 'must be a percentage from 0 to 100');
  return n;
}

function parseBool(flag: string, value: string): boolean {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new InvalidConfigError(flag, `'${value}' is not true or false`);
}

/** A stable 48-bit id (fits a JS number exactly) from a hash of the given parts. */
/**
 * The member id of a member advertising `peerUrls` in the cluster made with `token`: what every
 * member computes from `--initial-cluster`, and what memberAdd gives a new member.
 */
export function memberIdOf(token: string, peerUrls: readonly string[]): number {
  return stableId(token, ...[...peerUrls].sort());
}

/** The cluster id: derived from the token and the ids of the members the cluster was created with. */
export function clusterIdOf(token: string, memberIds: readonly number[]): number {
  return stableId(token, ...[...memberIds].sort((a, b) => a - b).map(String));
}

export function stableId(...parts: string[]): number {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest();
  const id = digest.readUIntBE(0, 6);
  return id === 0 ? 1 : id;
}

/**
 * A new cluster's id comes from all of `--initial-cluster`. A member joining an existing cluster
 * must use that cluster's id: `--initial-cluster-id` when given (the cluster_id of the member add
 * answer), otherwise the id of a cluster created with the other members of `--initial-cluster`
 * (right as long as the cluster's membership has not changed since it was created).
 */
function clusterIdFor(
  state: 'new' | 'existing',
  flag: string,
  token: string,
  ids: readonly number[],
  selfId: number,
): number {
  if (flag !== '') {
    if (state !== 'existing')
      throw new InvalidConfigError(
        'initial-cluster-id',
        'is only used with --initial-cluster-state existing',
      );
    return parseInt10('initial-cluster-id', flag, 1);
  }
  if (state === 'new') return clusterIdOf(token, ids);
  const others = ids.filter((id) => id !== selfId);
  if (others.length === 0)
    throw new InvalidConfigError('initial-cluster', 'must list the existing members as well as this one');
  return clusterIdOf(token, others);
}

function parseRetention(mode: 'periodic' | 'revision', value: string): number {
  if (mode === 'revision') return parseInt10('auto-compaction-retention', value, 0);
  const m = /^(\d+(?:\.\d+)?)(h|m|s)?$/.exec(value);
  if (m === null)
    throw new InvalidConfigError(
      'auto-compaction-retention',
      `'${value}' is not hours or a duration like 30m`,
    );
  const n = Number(m[1]);
  const unit = m[2] ?? 'h';
  return Math.round(n * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000));
}

function tls(
  get: (f: string) => string,
  prefix: '' | 'peer-',
  flagOf: (f: string) => string,
): TlsFiles | undefined {
  const certFile = get(`${prefix}cert-file`);
  const keyFile = get(`${prefix}key-file`);
  const trustedCaFile = get(`${prefix}trusted-ca-file`);
  const clientCertAuth = parseBool(flagOf(`${prefix}client-cert-auth`), get(`${prefix}client-cert-auth`));
  if (certFile === '' && keyFile === '') {
    if (clientCertAuth)
      throw new InvalidConfigError(
        `${prefix}client-cert-auth`,
        `needs --${prefix}cert-file and --${prefix}key-file`,
      );
    return undefined;
  }
  if (certFile === '')
    throw new InvalidConfigError(`${prefix}cert-file`, `required with --${prefix}key-file`);
  if (keyFile === '') throw new InvalidConfigError(`${prefix}key-file`, `required with --${prefix}cert-file`);
  if (clientCertAuth && trustedCaFile === '')
    throw new InvalidConfigError(`${prefix}trusted-ca-file`, `required with --${prefix}client-cert-auth`);
  return { certFile, keyFile, trustedCaFile, clientCertAuth };
}

export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv = {}): MemberConfig {
  const flags = parseArgv(argv);
  const envValues = fromEnv(env);
  const configPath = flags.get('config-file') ?? envValues.get('config-file');
  const fileValues =
    configPath !== undefined && configPath !== '' ? fromFile(configPath) : new Map<string, string>();
  const specs = new Map<string, FlagSpec>(SERVE_FLAGS.map((f) => [f.name, f]));
  const get = (name: string): string => {
    const spec = specs.get(name);
    if (spec === undefined) throw new Error(`internal: unknown flag ${name}`);
    const v = flags.get(name) ?? envValues.get(name) ?? fileValues.get(name) ?? spec.default;
    if (spec.type === 'enum' && !spec.values!.includes(v))
      throw new InvalidConfigError(name, `'${v}' is not one of ${spec.values!.join(', ')}`);
    return v;
  };

  const name = get('name');
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
    throw new InvalidConfigError('name', 'use 1-64 letters, digits, dot, dash or underscore');
  const listenClientUrls = parseUrls('listen-client-urls', get('listen-client-urls'));
  const listenPeerUrls = parseUrls('listen-peer-urls', get('listen-peer-urls'));
  const advClient = get('advertise-client-urls');
  const advertiseClientUrls =
    advClient === '' ? listenClientUrls : parseUrls('advertise-client-urls', advClient);
  const advPeer = get('initial-advertise-peer-urls');
  const advertisePeerUrls =
    advPeer === '' ? listenPeerUrls : parseUrls('initial-advertise-peer-urls', advPeer);
  const token = get('initial-cluster-token');
  if (token === '') throw new InvalidConfigError('initial-cluster-token', 'must not be empty');

  const clusterText = get('initial-cluster') || `${name}=${advertisePeerUrls.join(',')}`;
  const byName = new Map<string, string[]>();
  for (const part of clusterText.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new InvalidConfigError('initial-cluster', `'${part}' is not name=URL`);
    const memberName = part.slice(0, eq).trim();
    const urls = parseUrls('initial-cluster', part.slice(eq + 1));
    byName.set(memberName, [...(byName.get(memberName) ?? []), ...urls]);
  }
  const initialCluster: InitialMember[] = [...byName].map(([n, urls]) => ({
    name: n,
    peerUrls: urls,
    id: memberIdOf(token, urls),
  }));
  const self = initialCluster.find((m) => m.name === name);
  if (self === undefined)
    throw new InvalidConfigError('initial-cluster', `does not name this member ('${name}')`);
  const advertisedSorted = [...advertisePeerUrls].sort().join(',');
  if ([...self.peerUrls].sort().join(',') !== advertisedSorted) {
    throw new InvalidConfigError(
      'initial-cluster',
      `lists ${self.peerUrls.join(',')} for '${name}', but it advertises ${advertisePeerUrls.join(',')}`,
    );
  }
  const ids = new Set(initialCluster.map((m) => m.id));
  if (ids.size !== initialCluster.length)
    throw new InvalidConfigError('initial-cluster', 'two members share the same peer URLs');

  const initialClusterState = get('initial-cluster-state') as 'new' | 'existing';
  const clusterId = clusterIdFor(initialClusterState, get('initial-cluster-id'), token, [...ids], self.id);

  const heartbeatIntervalMs = parseInt10('heartbeat-interval', get('heartbeat-interval'), 1);
  const electionTimeoutMs = parseInt10('election-timeout', get('election-timeout'), 1);
  if (electionTimeoutMs < 5 * heartbeatIntervalMs) {
    throw new InvalidConfigError(
      'election-timeout',
      `must be at least 5 × --heartbeat-interval (${5 * heartbeatIntervalMs} ms)`,
    );
  }
  const mode = get('auto-compaction-mode') as 'periodic' | 'revision';
  const flagOf = (f: string): string => f;

  return {
    name,
    dataDir: get('data-dir') || `${name}.concord`,
    memberId: self.id,
    clusterId,
    listenClientUrls,
    advertiseClientUrls,
    listenPeerUrls,
    advertisePeerUrls,
    initialCluster,
    initialClusterState,
    initialClusterToken: token,
    heartbeatIntervalMs,
    electionTimeoutMs,
    snapshotCount: parseInt10('snapshot-count', get('snapshot-count'), 1),
    snapshotCatchUpEntries: parseInt10('snapshot-catchup-entries', get('snapshot-catchup-entries'), 0),
    maxSnapshots: parseInt10('max-snapshots', get('max-snapshots'), 1),
    quotaBackendBytes: parseInt10('quota-backend-bytes', get('quota-backend-bytes'), 1024 * 1024),
    heapAlarmPercent: parsePercent('heap-alarm-percent', get('heap-alarm-percent')),
    maxRequestBytes: parseInt10('max-request-bytes', get('max-request-bytes'), 1024),
    autoCompaction: { mode, retention: parseRetention(mode, get('auto-compaction-retention')) },
    requestTimeoutMs: parseInt10('request-timeout', get('request-timeout'), 1),
    clientTls: tls(get, '', flagOf),
    peerTls: tls(get, 'peer-', flagOf),
    logLevel: get('log-level') as MemberConfig['logLevel'],
    unsafeNoFsync: parseBool('unsafe-no-fsync', get('unsafe-no-fsync')),
    authToken: parseAuthToken(get('auth-token')),
    authTokenTtlSec: parseInt10('auth-token-ttl', get('auth-token-ttl'), 1),
  };
}

function parseAuthToken(text: string): TokenSpec {
  try {
    return parseTokenSpec(text);
  } catch (err) {
    throw new InvalidConfigError('auth-token', (err as Error).message);
  }
}
