/**
 * The configuration of one member, in the spirit of etcd's `embed.Config`: one typed, documented
 * object that `startMember(config)` takes as it is, its defaults, and its validation. `concord
 * serve` only maps argv, CONCORD_* variables and a config file onto this object
 * (server/cli/config.ts); an embedding program writes it directly. Each field is the `concord
 * serve` flag of the same name in camelCase (`heartbeatInterval` is `--heartbeat-interval`), so
 * operators and embedders share one vocabulary and one set of defaults.
 *
 * `resolveMemberConfig` checks every field (types included: a JavaScript caller or a spread object
 * escapes the compiler) and fills in the defaults and the derived values (member and cluster ids,
 * the initial membership). A mistake throws `InvalidConfigError` naming the field, before anything
 * is created or bound.
 *
 * Kept free of the member's runtime (no `ws` types) so that a consumer's compiler reading
 * `concord/server`'s declarations needs nothing else.
 */
import {
  BROWSER_ACCESS_DEFAULTS,
  BrowserAccessConfigError,
  resolveBrowserAccess,
} from '../api/browser-access.js';
import { parseTokenSpec, type TokenSpec } from '../auth/token-spec.js';
import { clusterIdOf, memberIdOf } from './member-ids.js';
import { CipherSuiteError, opensslCipherList } from './cipher-suites.js';

export const INITIAL_CLUSTER_STATES = ['new', 'existing'] as const;
export const AUTO_COMPACTION_MODES = ['periodic', 'revision'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const TLS_VERSIONS = ['TLS1.2', 'TLS1.3'] as const;

/** `new` bootstraps a cluster; `existing` joins a running one (after a member add). */
export type InitialClusterState = (typeof INITIAL_CLUSTER_STATES)[number];
export type AutoCompactionMode = (typeof AUTO_COMPACTION_MODES)[number];
export type LogLevel = (typeof LOG_LEVELS)[number];
export type TlsVersion = (typeof TLS_VERSIONS)[number];

/** One member of the initial cluster, as the `name=peerURL` pairs of `--initial-cluster`. */
export interface InitialClusterMember {
  readonly name: string;
  readonly peerUrls: readonly string[];
}

/**
 * What a member is started with. Every field is optional; an omitted field takes the default
 * documented on it (`MEMBER_DEFAULTS` holds the fixed ones). URLs are `http://host:port` or
 * `https://host:port`; port 0 on a listen URL lets the kernel pick one (the member's handle
 * reports the bound URLs). Durations are milliseconds unless the field says otherwise.
 */
export interface MemberConfig {
  /** Human-readable name of this member: 1–64 letters, digits, `.`, `-` or `_`. Default `default`. */
  readonly name?: string;
  /** Data directory, locked by this member while it runs. Default `./<name>.concord`. */
  readonly dataDir?: string;
  /** URLs to listen on for client traffic. Default `['http://127.0.0.1:2379']`. */
  readonly listenClientUrls?: readonly string[];
  /** Client URLs advertised to the cluster. Default: `listenClientUrls` (with port 0, the bound ones). */
  readonly advertiseClientUrls?: readonly string[];
  /** URLs to listen on for peer traffic. Default `['http://127.0.0.1:2380']`. */
  readonly listenPeerUrls?: readonly string[];
  /** Peer URLs advertised to the cluster (they derive the member id). Default: `listenPeerUrls`. */
  readonly initialAdvertisePeerUrls?: readonly string[];
  /**
   * The members the cluster starts with (or, joining, the existing members plus this one): etcd's
   * `name=peerURL,name=peerURL` text, or the same as a list. It must name this member with its
   * advertised peer URLs. Default: this member alone.
   */
  readonly initialCluster?: string | readonly InitialClusterMember[];
  /** `new` bootstraps a cluster; `existing` joins a running one with an empty data directory. Default `new`. */
  readonly initialClusterState?: InitialClusterState;
  /**
   * Joining only: the id of the cluster to join (the `cluster_id` of the member add answer).
   * Default: derived from `initialCluster` without this member, right while the cluster still has
   * the members it was created with.
   */
  readonly initialClusterId?: number;
  /** Makes cluster and member ids unique to this cluster. Default `concord-cluster`. */
  readonly initialClusterToken?: string;
  /** Time between leader heartbeats in ms: one Raft tick. Default 100. */
  readonly heartbeatInterval?: number;
  /** Election timeout in ms, at least 5 × `heartbeatInterval`. Default 1000. */
  readonly electionTimeout?: number;
  /**
   * Applied entries between snapshots, at least (at least 1). Default 10 000. A snapshot also waits
   * until the log since the newest one weighs a tenth of its size (docs/storage.md, "Snapshot policy").
   */
  readonly snapshotCount?: number;
  /** Entries kept after a snapshot so that slightly lagging followers catch up without one. Default 50 000. */
  readonly snapshotCatchupEntries?: number;
  /** Snapshot files kept in the data directory (at least 1). Default 2. */
  readonly maxSnapshots?: number;
  /** Space quota of keys, values and history in bytes (at least 1 MiB); past it writes fail with NO_SPACE. Default 2 GiB. */
  readonly quotaBackendBytes?: number;
  /** Percent (0–100) of the V8 old generation live after a full GC past which NOSPACE is raised; 0 disables. Default 85. */
  readonly heapAlarmPercent?: number;
  /** Largest client request accepted, in bytes (at least 1024). Default 1.5 MiB. */
  readonly maxRequestBytes?: number;
  /** Auto-compaction by time (`periodic`) or by revision count (`revision`). Default `periodic`. */
  readonly autoCompactionMode?: AutoCompactionMode;
  /**
   * History kept by auto-compaction; 0 disables it. Periodic: hours as a number, or a text such as
   * `'30m'`, `'1.5h'`, `'90s'`; revision: a count of revisions. Default 0.
   */
  readonly autoCompactionRetention?: number | string;
  /** How long a client request may wait for Raft, in ms. Default 5000. */
  readonly requestTimeout?: number;
  /** Client TLS certificate (with `keyFile`): serve https/wss on the client URLs. */
  readonly certFile?: string;
  /** Client TLS key (with `certFile`). */
  readonly keyFile?: string;
  /** CA that verifies client certificates (required with `clientCertAuth`). */
  readonly trustedCaFile?: string;
  /** Require client certificates signed by `trustedCaFile`. Default false. */
  readonly clientCertAuth?: boolean;
  /** Peer TLS certificate (with `peerKeyFile`; it needs serverAuth and clientAuth usages). */
  readonly peerCertFile?: string;
  /** Peer TLS key (with `peerCertFile`). */
  readonly peerKeyFile?: string;
  /** CA that verifies peer certificates (required with `peerClientCertAuth`). */
  readonly peerTrustedCaFile?: string;
  /** Require peer certificates signed by `peerTrustedCaFile`. Default false. */
  readonly peerClientCertAuth?: boolean;
  /**
   * PEM certificate revocation list(s) for client certificates (etcd's `--client-crl-file`): a
   * client presenting a revoked certificate is refused at the TLS handshake. Needs
   * `clientCertAuth`. Re-read when the file changes (docs/security.md).
   */
  readonly clientCrlFile?: string;
  /** The same for peer certificates, on inbound peer connections and on this member's dials. */
  readonly peerCrlFile?: string;
  /**
   * A peer certificate must carry this CommonName (etcd's `--peer-cert-allowed-cn`), checked on
   * inbound peer connections and on this member's dials. Needs `peerClientCertAuth`; not with
   * `peerCertAllowedHostname`.
   */
  readonly peerCertAllowedCn?: string;
  /** A peer certificate must be valid for this host name or IP (its SANs), as `peerCertAllowedCn`. */
  readonly peerCertAllowedHostname?: string;
  /**
   * TLS 1.2 cipher suites allowed on the client and peer ports, by etcd's (Go's) names such as
   * `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256` (cipher-suites.ts lists them). TLS 1.3 suites are not
   * configurable, as in etcd. Default: Node's list.
   */
  readonly cipherSuites?: readonly string[];
  /** Lowest TLS version accepted or offered, `TLS1.2` or `TLS1.3` (etcd 3.5's flag). Default `TLS1.2`. */
  readonly tlsMinVersion?: TlsVersion;
  /** Highest TLS version accepted or offered, `TLS1.2` or `TLS1.3`. Default `TLS1.3`. */
  readonly tlsMaxVersion?: TlsVersion;
  /** Log level of the JSON log lines. Default `info`. */
  readonly logLevel?: LogLevel;
  /** UNSAFE: skip fsync (tests and benchmarks only; a crash loses acknowledged writes). Default false. */
  readonly unsafeNoFsync?: boolean;
  /** At start, compare HashKV with the peers and refuse to serve on a mismatch (etcd's flag). Default false. */
  readonly experimentalInitialCorruptCheck?: boolean;
  /**
   * How often the leader compares HashKV with its peers, raising CORRUPT on a mismatch: ms as a
   * number, or a duration text such as `'5m'`, `'30s'`, `'500ms'` (a bare number text is ms); 0
   * disables. Default 0.
   */
  readonly corruptCheckTime?: number | string;
  /**
   * Auth tokens (docs/auth.md), as etcd's `--auth-token`: `simple`, or
   * `jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256|…[,ttl=5m]`. Default `simple`.
   */
  readonly authToken?: string;
  /** Seconds a simple token lives after its last use. Default 300 (etcd's). */
  readonly authTokenTtl?: number;
  /** Let the web console at /ui offer put and delete (still subject to permissions). Default false. */
  readonly consoleWrites?: boolean;
  /**
   * etcd's `--cors`: browser page origins (`http(s)://host[:port]`) allowed to use the client port
   * besides the cluster's own client URLs and the same origin; `['*']`: every origin (etcd's
   * default, not Concord's). A page on another origin is refused on the gateway and WebSocket
   * (docs/security.md). Default none.
   */
  readonly cors?: readonly string[];
  /**
   * etcd's `--host-whitelist`: host names accepted in the Host header of cleartext client requests
   * (a guard against DNS rebinding); `['*']`: every name. Default `['*']`.
   */
  readonly hostWhitelist?: readonly string[];
  /**
   * etcd's `--strict-reconfig-check`: the leader refuses a membership change that could cost the
   * quorum (UNHEALTHY_CLUSTER, NOT_ENOUGH_STARTED_MEMBERS; docs/operations.md). Default true.
   */
  readonly strictReconfigCheck?: boolean;
}

export type MemberConfigField = keyof MemberConfig;

/** @deprecated The former name of `MemberConfig`. */
export type MemberOptions = MemberConfig;

type DefaultedField =
  | 'name'
  | 'listenClientUrls'
  | 'listenPeerUrls'
  | 'initialClusterState'
  | 'initialClusterToken'
  | 'heartbeatInterval'
  | 'electionTimeout'
  | 'snapshotCount'
  | 'snapshotCatchupEntries'
  | 'maxSnapshots'
  | 'quotaBackendBytes'
  | 'heapAlarmPercent'
  | 'maxRequestBytes'
  | 'autoCompactionMode'
  | 'autoCompactionRetention'
  | 'requestTimeout'
  | 'clientCertAuth'
  | 'peerClientCertAuth'
  | 'tlsMinVersion'
  | 'tlsMaxVersion'
  | 'logLevel'
  | 'unsafeNoFsync'
  | 'experimentalInitialCorruptCheck'
  | 'corruptCheckTime'
  | 'authToken'
  | 'authTokenTtl'
  | 'consoleWrites'
  | 'cors'
  | 'hostWhitelist'
  | 'strictReconfigCheck';

/** The fixed defaults (the others are derived from fields: see each field's comment). */
export const MEMBER_DEFAULTS: Readonly<Required<Pick<MemberConfig, DefaultedField>>> = Object.freeze({
  name: 'default',
  listenClientUrls: Object.freeze(['http://127.0.0.1:2379']),
  listenPeerUrls: Object.freeze(['http://127.0.0.1:2380']),
  initialClusterState: 'new',
  initialClusterToken: 'concord-cluster',
  heartbeatInterval: 100,
  electionTimeout: 1000,
  snapshotCount: 10_000,
  snapshotCatchupEntries: 50_000,
  maxSnapshots: 2,
  quotaBackendBytes: 2 * 1024 ** 3,
  heapAlarmPercent: 85,
  maxRequestBytes: 1.5 * 1024 * 1024,
  autoCompactionMode: 'periodic',
  autoCompactionRetention: 0,
  requestTimeout: 5000,
  clientCertAuth: false,
  peerClientCertAuth: false,
  tlsMinVersion: 'TLS1.2',
  tlsMaxVersion: 'TLS1.3',
  logLevel: 'info',
  unsafeNoFsync: false,
  experimentalInitialCorruptCheck: false,
  corruptCheckTime: 0,
  authToken: 'simple',
  authTokenTtl: 300,
  consoleWrites: false,
  cors: Object.freeze([...BROWSER_ACCESS_DEFAULTS.corsOrigins]),
  hostWhitelist: Object.freeze([...BROWSER_ACCESS_DEFAULTS.hostWhitelist]),
  strictReconfigCheck: true,
});

/** Every field, checked by the compiler against `MemberConfig` both ways (an unknown key is refused). */
const FIELDS: Readonly<Record<MemberConfigField, true>> = {
  name: true,
  dataDir: true,
  listenClientUrls: true,
  advertiseClientUrls: true,
  listenPeerUrls: true,
  initialAdvertisePeerUrls: true,
  initialCluster: true,
  initialClusterState: true,
  initialClusterId: true,
  initialClusterToken: true,
  heartbeatInterval: true,
  electionTimeout: true,
  snapshotCount: true,
  snapshotCatchupEntries: true,
  maxSnapshots: true,
  quotaBackendBytes: true,
  heapAlarmPercent: true,
  maxRequestBytes: true,
  autoCompactionMode: true,
  autoCompactionRetention: true,
  requestTimeout: true,
  certFile: true,
  keyFile: true,
  trustedCaFile: true,
  clientCertAuth: true,
  peerCertFile: true,
  peerKeyFile: true,
  peerTrustedCaFile: true,
  peerClientCertAuth: true,
  clientCrlFile: true,
  peerCrlFile: true,
  peerCertAllowedCn: true,
  peerCertAllowedHostname: true,
  cipherSuites: true,
  tlsMinVersion: true,
  tlsMaxVersion: true,
  logLevel: true,
  unsafeNoFsync: true,
  experimentalInitialCorruptCheck: true,
  corruptCheckTime: true,
  authToken: true,
  authTokenTtl: true,
  consoleWrites: true,
  cors: true,
  hostWhitelist: true,
  strictReconfigCheck: true,
};

/** The fields of `MemberConfig`, in declaration order. */
export const MEMBER_CONFIG_FIELDS: readonly MemberConfigField[] = Object.keys(FIELDS) as MemberConfigField[];

/** A reference to a field inside an error's reason, spelled by whoever shows the error. */
export interface FieldRef {
  readonly field: MemberConfigField;
}

/**
 * A field that is missing, of the wrong type, out of range or inconsistent with another. `field`
 * is the `MemberConfig` key (or `config` for the object as a whole); the reason may name other
 * fields, which `describe` spells as its caller wishes (`concord serve` spells them as flags).
 */
export class InvalidConfigError extends Error {
  override readonly name: string = 'InvalidConfigError';
  /** What is wrong, with other fields named as the config names them. */
  readonly reason: string;

  constructor(
    readonly field: MemberConfigField | 'config',
    reason: string | readonly (string | FieldRef)[],
    options?: ErrorOptions,
  ) {
    const parts = typeof reason === 'string' ? [reason] : reason;
    const text = render(parts, (f) => f);
    super(`${field}: ${text}`, options);
    this.reason = text;
    this.parts = parts;
  }

  private readonly parts: readonly (string | FieldRef)[];

  /** The reason with each field it mentions spelled by `nameOf`. */
  describe(nameOf: (field: MemberConfigField) => string): string {
    return render(this.parts, nameOf);
  }
}

function render(parts: readonly (string | FieldRef)[], nameOf: (field: MemberConfigField) => string): string {
  return parts.map((p) => (typeof p === 'string' ? p : nameOf(p.field))).join('');
}

/** Builds a reason that names fields: why`must be at least 5 × ${ref('heartbeatInterval')}`. */
function why(
  strings: TemplateStringsArray,
  ...values: (string | number | FieldRef)[]
): (string | FieldRef)[] {
  const out: (string | FieldRef)[] = [];
  strings.forEach((s, i) => {
    out.push(s);
    if (i < values.length) {
      const v = values[i]!;
      out.push(typeof v === 'object' ? v : String(v));
    }
  });
  return out;
}

const ref = (field: MemberConfigField): FieldRef => ({ field });

/** Client or peer TLS material, by file. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** '' when none is given (then peers or clients are not verified against a CA of ours). */
  readonly trustedCaFile: string;
  readonly clientCertAuth: boolean;
  /** PEM CRL file checked against the other side's certificate; '' when none. */
  readonly crlFile: string;
  /** Peer side only: the CommonName a peer's certificate must carry; '' when any. */
  readonly allowedCn: string;
  /** Peer side only: the host name or IP a peer's certificate must be valid for; '' when any. */
  readonly allowedHostname: string;
  /** OpenSSL cipher list for TLS 1.2 (from `cipherSuites`); '' leaves Node's default. */
  readonly ciphers: string;
  readonly minVersion: NodeTlsVersion;
  readonly maxVersion: NodeTlsVersion;
}

/** TLS versions as Node's `minVersion` / `maxVersion` spell them. */
export type NodeTlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface InitialMember {
  readonly name: string;
  readonly id: number;
  readonly peerUrls: readonly string[];
}

export interface AutoCompaction {
  readonly mode: AutoCompactionMode;
  /** Periodic: milliseconds of history to keep; revision: revisions to keep. 0 disables. */
  readonly retention: number;
}

/** A validated `MemberConfig` with every default filled in and the ids derived: what the member runs on. */
export interface ResolvedMemberConfig {
  readonly name: string;
  readonly dataDir: string;
  readonly memberId: number;
  readonly clusterId: number;
  readonly listenClientUrls: readonly string[];
  readonly advertiseClientUrls: readonly string[];
  readonly listenPeerUrls: readonly string[];
  readonly advertisePeerUrls: readonly string[];
  readonly initialCluster: readonly InitialMember[];
  readonly initialClusterState: InitialClusterState;
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
  readonly logLevel: LogLevel;
  readonly unsafeNoFsync: boolean;
  /** Compare HashKV with the peers at start and refuse to serve on a mismatch (corruption-check.ts). */
  readonly initialCorruptCheck: boolean;
  /** Interval of the leader's periodic HashKV comparison, ms (0: none). */
  readonly corruptCheckTimeMs: number;
  /** `authToken`, parsed (server/auth/token-spec.ts). */
  readonly authToken: TokenSpec;
  /** `authTokenTtl`: simple tokens live this long after their last use, seconds. */
  readonly authTokenTtlSec: number;
  /** The web console offers put and delete (docs/console.md). */
  readonly consoleWrites: boolean;
  /** Browser origins allowed besides the cluster's and the same origin (normalised; `*`: all). */
  readonly cors: readonly string[];
  /** Host names accepted in cleartext requests' Host header (normalised; `*`: all). */
  readonly hostWhitelist: readonly string[];
  /** Refuse membership changes that could cost the quorum (membership-backend.ts). */
  readonly strictReconfigCheck: boolean;
}

/** Validates `config` and fills in its defaults; throws `InvalidConfigError` naming the first bad field. */
export function resolveMemberConfig(config: MemberConfig): ResolvedMemberConfig {
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new InvalidConfigError('config', 'must be an object of MemberConfig fields');
  for (const key of Object.keys(config)) {
    if (!Object.hasOwn(FIELDS, key))
      throw new InvalidConfigError(key as MemberConfigField, 'is not a member configuration field');
  }
  const c = new Fields(config);
  const name = c.text('name', MEMBER_DEFAULTS.name);
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(name))
    throw new InvalidConfigError('name', 'use 1-64 letters, digits, dot, dash or underscore');
  const dataDir = c.optionalText('dataDir') ?? `${name}.concord`;
  const listenClientUrls = c.urls('listenClientUrls', MEMBER_DEFAULTS.listenClientUrls);
  const listenPeerUrls = c.urls('listenPeerUrls', MEMBER_DEFAULTS.listenPeerUrls);
  const advertiseClientUrls = c.urls('advertiseClientUrls', listenClientUrls);
  const advertisePeerUrls = c.urls('initialAdvertisePeerUrls', listenPeerUrls);
  const token = c.text('initialClusterToken', MEMBER_DEFAULTS.initialClusterToken);
  if (token === '') throw new InvalidConfigError('initialClusterToken', 'must not be empty');

  const initialCluster = initialClusterOf(config.initialCluster, name, advertisePeerUrls, token);
  const self = initialCluster.find((m) => m.name === name);
  if (self === undefined)
    throw new InvalidConfigError('initialCluster', `does not name this member ('${name}')`);
  const advertisedSorted = [...advertisePeerUrls].sort().join(',');
  if ([...self.peerUrls].sort().join(',') !== advertisedSorted) {
    throw new InvalidConfigError(
      'initialCluster',
      `lists ${self.peerUrls.join(',')} for '${name}', but it advertises ${advertisePeerUrls.join(',')}`,
    );
  }
  const ids = new Set(initialCluster.map((m) => m.id));
  if (ids.size !== initialCluster.length)
    throw new InvalidConfigError('initialCluster', 'two members share the same peer URLs');

  const initialClusterState = c.oneOf(
    'initialClusterState',
    INITIAL_CLUSTER_STATES,
    MEMBER_DEFAULTS.initialClusterState,
  );
  const clusterId = clusterIdFor(c, initialClusterState, token, [...ids], self.id);

  const heartbeatIntervalMs = c.integer('heartbeatInterval', MEMBER_DEFAULTS.heartbeatInterval, 1);
  const electionTimeoutMs = c.integer('electionTimeout', MEMBER_DEFAULTS.electionTimeout, 1);
  if (electionTimeoutMs < 5 * heartbeatIntervalMs) {
    throw new InvalidConfigError(
      'electionTimeout',
      why`must be at least 5 × ${ref('heartbeatInterval')} (${5 * heartbeatIntervalMs} ms)`,
    );
  }
  const mode = c.oneOf('autoCompactionMode', AUTO_COMPACTION_MODES, MEMBER_DEFAULTS.autoCompactionMode);
  const policy = tlsPolicyOf(c, config.cipherSuites);

  return {
    name,
    dataDir,
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
    snapshotCount: c.integer('snapshotCount', MEMBER_DEFAULTS.snapshotCount, 1),
    snapshotCatchUpEntries: c.integer('snapshotCatchupEntries', MEMBER_DEFAULTS.snapshotCatchupEntries, 0),
    maxSnapshots: c.integer('maxSnapshots', MEMBER_DEFAULTS.maxSnapshots, 1),
    quotaBackendBytes: c.integer('quotaBackendBytes', MEMBER_DEFAULTS.quotaBackendBytes, 1024 * 1024),
    heapAlarmPercent: c.integer('heapAlarmPercent', MEMBER_DEFAULTS.heapAlarmPercent, 0, 100),
    maxRequestBytes: c.integer('maxRequestBytes', MEMBER_DEFAULTS.maxRequestBytes, 1024),
    autoCompaction: { mode, retention: retentionOf(mode, config.autoCompactionRetention) },
    requestTimeoutMs: c.integer('requestTimeout', MEMBER_DEFAULTS.requestTimeout, 1),
    clientTls: tlsOf(c, policy, {
      cert: 'certFile',
      key: 'keyFile',
      ca: 'trustedCaFile',
      auth: 'clientCertAuth',
      crl: 'clientCrlFile',
    }),
    peerTls: tlsOf(c, policy, {
      cert: 'peerCertFile',
      key: 'peerKeyFile',
      ca: 'peerTrustedCaFile',
      auth: 'peerClientCertAuth',
      crl: 'peerCrlFile',
      allowedCn: 'peerCertAllowedCn',
      allowedHostname: 'peerCertAllowedHostname',
    }),
    logLevel: c.oneOf('logLevel', LOG_LEVELS, MEMBER_DEFAULTS.logLevel),
    unsafeNoFsync: c.flag('unsafeNoFsync', MEMBER_DEFAULTS.unsafeNoFsync),
    initialCorruptCheck: c.flag(
      'experimentalInitialCorruptCheck',
      MEMBER_DEFAULTS.experimentalInitialCorruptCheck,
    ),
    corruptCheckTimeMs: durationMsOf('corruptCheckTime', config.corruptCheckTime),
    authToken: tokenSpecOf(c.text('authToken', MEMBER_DEFAULTS.authToken)),
    authTokenTtlSec: c.integer('authTokenTtl', MEMBER_DEFAULTS.authTokenTtl, 1),
    consoleWrites: c.flag('consoleWrites', MEMBER_DEFAULTS.consoleWrites),
    ...browserAccessOf(
      c.texts('cors', MEMBER_DEFAULTS.cors),
      c.texts('hostWhitelist', MEMBER_DEFAULTS.hostWhitelist),
    ),
    strictReconfigCheck: c.flag('strictReconfigCheck', MEMBER_DEFAULTS.strictReconfigCheck),
  };
}

function browserAccessOf(
  cors: readonly string[],
  hostWhitelist: readonly string[],
): { cors: readonly string[]; hostWhitelist: readonly string[] } {
  try {
    const resolved = resolveBrowserAccess({ corsOrigins: cors, hostWhitelist });
    return { cors: resolved.corsOrigins, hostWhitelist: resolved.hostWhitelist };
  } catch (err) {
    if (!(err instanceof BrowserAccessConfigError)) throw err;
    throw new InvalidConfigError(err.field === 'corsOrigins' ? 'cors' : 'hostWhitelist', err.message);
  }
}

function tokenSpecOf(text: string): TokenSpec {
  try {
    return parseTokenSpec(text);
  } catch (err) {
    throw new InvalidConfigError('authToken', (err as Error).message);
  }
}

/** Typed reads of the fields, each refusing a value of the wrong type or range by the field's name. */
class Fields {
  constructor(private readonly config: MemberConfig) {}

  private raw(field: MemberConfigField): unknown {
    return this.config[field];
  }

  optionalText(field: MemberConfigField): string | undefined {
    const v = this.raw(field);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new InvalidConfigError(field, `must be a string, not ${shown(v)}`);
    if (v === '') throw new InvalidConfigError(field, 'must not be empty (leave it out for the default)');
    return v;
  }

  text(field: MemberConfigField, fallback: string): string {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'string') throw new InvalidConfigError(field, `must be a string, not ${shown(v)}`);
    return v;
  }

  integer(field: MemberConfigField, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
      throw new InvalidConfigError(field, `must be an integer, not ${shown(v)}`);
    if (v < min || v > max)
      throw new InvalidConfigError(
        field,
        max === Number.MAX_SAFE_INTEGER ? `must be an integer ≥ ${min}` : `must be from ${min} to ${max}`,
      );
    return v;
  }

  isSet(field: MemberConfigField): boolean {
    return this.raw(field) !== undefined;
  }

  optionalInteger(field: MemberConfigField): number | undefined {
    return this.raw(field) === undefined ? undefined : this.integer(field, 0, 1);
  }

  flag(field: MemberConfigField, fallback: boolean): boolean {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new InvalidConfigError(field, `must be true or false, not ${shown(v)}`);
    return v;
  }

  oneOf<T extends string>(field: MemberConfigField, values: readonly T[], fallback: T): T {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v))
      throw new InvalidConfigError(field, `${shown(v)} is not one of ${values.join(', ')}`);
    return v as T;
  }

  texts(field: MemberConfigField, fallback: readonly string[]): readonly string[] {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.some((u) => typeof u !== 'string'))
      throw new InvalidConfigError(field, `must be a list of strings, not ${shown(v)}`);
    return v as string[];
  }

  urls(field: MemberConfigField, fallback: readonly string[]): readonly string[] {
    const v = this.raw(field);
    if (v === undefined) return fallback;
    if (!Array.isArray(v) || v.some((u) => typeof u !== 'string'))
      throw new InvalidConfigError(field, `must be a list of URLs, not ${shown(v)}`);
    return checkUrls(field, v as string[]);
  }
}

/** A value as an error shows it. */
function shown(v: unknown): string {
  if (typeof v === 'string') return `'${v}'`;
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return typeof v === 'number' || typeof v === 'boolean' ? `${typeof v} ${String(v)}` : typeof v;
}

function checkUrls(field: MemberConfigField, urls: readonly string[]): readonly string[] {
  if (urls.length === 0) throw new InvalidConfigError(field, 'needs at least one URL');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      throw new InvalidConfigError(field, `'${u}' is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new InvalidConfigError(field, `'${u}': scheme must be http or https`);
    if (parsed.port === '') throw new InvalidConfigError(field, `'${u}': a port is required`);
  }
  return [...urls];
}

/** The initial members with their ids, from etcd's `name=URL,…` text or a list (default: this member alone). */
function initialClusterOf(
  value: unknown,
  name: string,
  advertisePeerUrls: readonly string[],
  token: string,
): InitialMember[] {
  const byName = new Map<string, string[]>();
  if (value === undefined) {
    byName.set(name, [...advertisePeerUrls]);
  } else if (value === '') {
    throw new InvalidConfigError('initialCluster', 'must not be empty (leave it out for this member alone)');
  } else if (typeof value === 'string') {
    for (const part of value.split(',')) {
      const eq = part.indexOf('=');
      if (eq <= 0) throw new InvalidConfigError('initialCluster', `'${part}' is not name=URL`);
      const memberName = part.slice(0, eq).trim();
      const urls = part
        .slice(eq + 1)
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      checkUrls('initialCluster', urls);
      byName.set(memberName, [...(byName.get(memberName) ?? []), ...urls]);
    }
  } else if (Array.isArray(value)) {
    if (value.length === 0) throw new InvalidConfigError('initialCluster', 'needs at least one member');
    for (const m of value as unknown[]) {
      const entry = m as Partial<InitialClusterMember> | null;
      if (
        typeof entry !== 'object' ||
        entry === null ||
        typeof entry.name !== 'string' ||
        entry.name === '' ||
        !Array.isArray(entry.peerUrls) ||
        entry.peerUrls.some((u) => typeof u !== 'string')
      )
        throw new InvalidConfigError('initialCluster', 'each member must be { name, peerUrls: [URL, …] }');
      if (byName.has(entry.name))
        throw new InvalidConfigError('initialCluster', `names '${entry.name}' twice`);
      byName.set(entry.name, [...checkUrls('initialCluster', entry.peerUrls)]);
    }
  } else {
    throw new InvalidConfigError(
      'initialCluster',
      `must be 'name=URL,…' text or a list of members, not ${shown(value)}`,
    );
  }
  return [...byName].map(([n, urls]) => ({ name: n, peerUrls: urls, id: memberIdOf(token, urls) }));
}

/**
 * A new cluster's id comes from all of the initial cluster. A member joining an existing cluster
 * must use that cluster's id: `initialClusterId` when given (the cluster_id of the member add
 * answer), otherwise the id of a cluster created with the other initial members (right as long
 * as the cluster's membership has not changed since it was created).
 */
function clusterIdFor(
  c: Fields,
  state: InitialClusterState,
  token: string,
  ids: readonly number[],
  selfId: number,
): number {
  const given = c.optionalInteger('initialClusterId');
  if (given !== undefined) {
    if (state !== 'existing')
      throw new InvalidConfigError(
        'initialClusterId',
        why`is only used with ${ref('initialClusterState')} existing`,
      );
    return given;
  }
  if (state === 'new') return clusterIdOf(token, ids);
  const others = ids.filter((id) => id !== selfId);
  if (others.length === 0)
    throw new InvalidConfigError('initialCluster', 'must list the existing members as well as this one');
  return clusterIdOf(token, others);
}

/** A duration in ms: a number of ms, or a text like `500ms`, `30s`, `5m`, `1h` (a bare number text: ms). */
function durationMsOf(field: MemberConfigField, value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new InvalidConfigError(field, `${shown(value)} is not a number of ms ≥ 0`);
    return value;
  }
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value) : null;
  if (m === null)
    throw new InvalidConfigError(field, `${shown(value)} is not a duration like 500ms, 30s or 5m`);
  const unit = m[2] ?? 'ms';
  const scale = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  const ms = Math.round(Number(m[1]) * scale);
  if (!Number.isSafeInteger(ms)) throw new InvalidConfigError(field, `${shown(value)} is too long`);
  return ms;
}

function retentionOf(mode: AutoCompactionMode, value: unknown): number {
  const field = 'autoCompactionRetention';
  if (value === undefined) return 0;
  if (mode === 'revision') {
    const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
      throw new InvalidConfigError(field, `${shown(value)} is not a count of revisions`);
    return n;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new InvalidConfigError(field, `${shown(value)} is not a number of hours ≥ 0`);
    return Math.round(value * 3_600_000);
  }
  const m = typeof value === 'string' ? /^(\d+(?:\.\d+)?)(h|m|s)?$/.exec(value) : null;
  if (m === null) throw new InvalidConfigError(field, `${shown(value)} is not hours or a duration like 30m`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'h';
  return Math.round(n * (unit === 'h' ? 3_600_000 : unit === 'm' ? 60_000 : 1000));
}

interface TlsFields {
  readonly cert: MemberConfigField;
  readonly key: MemberConfigField;
  readonly ca: MemberConfigField;
  readonly auth: MemberConfigField;
  readonly crl: MemberConfigField;
  readonly allowedCn?: MemberConfigField;
  readonly allowedHostname?: MemberConfigField;
}

/** The TLS settings shared by the client and peer ports. */
interface TlsPolicy {
  readonly ciphers: string;
  readonly minVersion: NodeTlsVersion;
  readonly maxVersion: NodeTlsVersion;
}

function tlsPolicyOf(c: Fields, cipherSuites: unknown): TlsPolicy {
  const min = c.oneOf('tlsMinVersion', TLS_VERSIONS, MEMBER_DEFAULTS.tlsMinVersion);
  const max = c.oneOf('tlsMaxVersion', TLS_VERSIONS, MEMBER_DEFAULTS.tlsMaxVersion);
  if (min === 'TLS1.3' && max === 'TLS1.2')
    throw new InvalidConfigError('tlsMaxVersion', why`must not be below ${ref('tlsMinVersion')}`);
  let ciphers = '';
  // An empty list (`--cipher-suites=`) is no restriction, as the flag left out.
  if (cipherSuites !== undefined && !(Array.isArray(cipherSuites) && cipherSuites.length === 0)) {
    if (!Array.isArray(cipherSuites) || cipherSuites.some((n) => typeof n !== 'string'))
      throw new InvalidConfigError(
        'cipherSuites',
        `must be a list of cipher suite names, not ${shown(cipherSuites)}`,
      );
    try {
      ciphers = opensslCipherList(cipherSuites as string[]);
    } catch (err) {
      if (err instanceof CipherSuiteError) throw new InvalidConfigError('cipherSuites', err.message);
      throw err;
    }
    // etcd 3.5 refuses this too: TLS 1.3 suites are not configurable, so the list would do nothing.
    if (min === 'TLS1.3')
      throw new InvalidConfigError('cipherSuites', why`cannot be set when ${ref('tlsMinVersion')} is TLS1.3`);
  }
  return { ciphers, minVersion: nodeVersion(min), maxVersion: nodeVersion(max) };
}

function nodeVersion(v: TlsVersion): NodeTlsVersion {
  return v === 'TLS1.2' ? 'TLSv1.2' : 'TLSv1.3';
}

function tlsOf(c: Fields, policy: TlsPolicy, f: TlsFields): TlsFiles | undefined {
  const certFile = c.optionalText(f.cert);
  const keyFile = c.optionalText(f.key);
  const trustedCaFile = c.optionalText(f.ca) ?? '';
  const clientCertAuth = c.flag(f.auth, false);
  const crlFile = c.optionalText(f.crl) ?? '';
  const allowedCn = f.allowedCn === undefined ? '' : (c.optionalText(f.allowedCn) ?? '');
  const allowedHostname = f.allowedHostname === undefined ? '' : (c.optionalText(f.allowedHostname) ?? '');
  if (certFile === undefined && keyFile === undefined) {
    if (clientCertAuth) throw new InvalidConfigError(f.auth, why`needs ${ref(f.cert)} and ${ref(f.key)}`);
    for (const field of [f.crl, f.allowedCn, f.allowedHostname]) {
      if (field !== undefined && c.isSet(field))
        throw new InvalidConfigError(field, why`needs ${ref(f.cert)} and ${ref(f.key)}`);
    }
    return undefined;
  }
  if (certFile === undefined) throw new InvalidConfigError(f.cert, why`required with ${ref(f.key)}`);
  if (keyFile === undefined) throw new InvalidConfigError(f.key, why`required with ${ref(f.cert)}`);
  if (clientCertAuth && trustedCaFile === '')
    throw new InvalidConfigError(f.ca, why`required with ${ref(f.auth)}`);
  // Without verified certificates on the listener, a CRL or a name check would accept anyone
  // who simply presents no certificate (or an unverified one): refuse the illusion.
  for (const field of [f.crl, f.allowedCn, f.allowedHostname]) {
    if (field !== undefined && c.isSet(field) && !clientCertAuth)
      throw new InvalidConfigError(field, why`needs ${ref(f.auth)}`);
  }
  if (allowedCn !== '' && allowedHostname !== '' && f.allowedHostname !== undefined)
    throw new InvalidConfigError(
      f.allowedHostname,
      why`cannot be used with ${ref(f.allowedCn!)} (etcd's rule)`,
    );
  return { certFile, keyFile, trustedCaFile, clientCertAuth, crlFile, allowedCn, allowedHostname, ...policy };
}
