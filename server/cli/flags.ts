/**
 * Every `concord serve` flag: the member config field it sets (server/member/config.ts, where the
 * defaults and the validation live), how its text is read, and its help, in the spirit of etcd's
 * flags. The same table drives argv parsing, CONCORD_* environment variables, the config file and
 * `--help`. A flag is the field's name in kebab case (`heartbeatInterval` is `--heartbeat-interval`).
 */
import {
  AUTO_COMPACTION_MODES,
  INITIAL_CLUSTER_STATES,
  LOG_LEVELS,
  MEMBER_DEFAULTS,
  TLS_VERSIONS,
  type MemberConfigField,
} from '../member/config.js';

/**
 * How a flag's text becomes the field's value: int and bool as such, urls and list a
 * comma-separated list (of URLs, checked as URLs by the member; of any text).
 */
export type FlagType = 'string' | 'int' | 'bool' | 'urls' | 'list' | 'enum';

export interface FlagSpec {
  readonly name: string;
  /** The `MemberConfig` field the flag sets; undefined for `--config-file`, which only the CLI reads. */
  readonly field: MemberConfigField | undefined;
  readonly type: FlagType;
  readonly help: string;
  readonly values?: readonly string[];
}

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'name', field: 'name', type: 'string', help: 'human-readable name of this member' },
  {
    name: 'data-dir',
    field: 'dataDir',
    type: 'string',
    help: 'data directory, locked by this member while it runs (default: ./<name>.concord)',
  },
  {
    name: 'listen-client-urls',
    field: 'listenClientUrls',
    type: 'urls',
    help: 'URLs to listen on for client traffic',
  },
  {
    name: 'advertise-client-urls',
    field: 'advertiseClientUrls',
    type: 'urls',
    help: 'client URLs advertised to the cluster (default: the listen URLs)',
  },
  {
    name: 'listen-peer-urls',
    field: 'listenPeerUrls',
    type: 'urls',
    help: 'URLs to listen on for peer traffic',
  },
  {
    name: 'initial-advertise-peer-urls',
    field: 'initialAdvertisePeerUrls',
    type: 'urls',
    help: 'peer URLs advertised to the cluster (default: the listen URLs)',
  },
  {
    name: 'initial-cluster',
    field: 'initialCluster',
    type: 'string',
    help: 'initial cluster: name=peerURL,… (default: <name>=<advertised peer URL>)',
  },
  {
    name: 'initial-cluster-state',
    field: 'initialClusterState',
    type: 'enum',
    values: INITIAL_CLUSTER_STATES,
    help: 'new: bootstrap a cluster; existing: join one',
  },
  {
    name: 'initial-cluster-id',
    field: 'initialClusterId',
    type: 'int',
    help: 'existing only: id of the cluster to join (cluster_id of the member add answer; default: derived from --initial-cluster without this member)',
  },
  {
    name: 'initial-cluster-token',
    field: 'initialClusterToken',
    type: 'string',
    help: 'token that makes cluster and member ids unique',
  },
  {
    name: 'heartbeat-interval',
    field: 'heartbeatInterval',
    type: 'int',
    help: 'time between leader heartbeats, in ms (one Raft tick)',
  },
  {
    name: 'election-timeout',
    field: 'electionTimeout',
    type: 'int',
    help: 'election timeout in ms (a multiple of the heartbeat interval, at least 5×)',
  },
  {
    name: 'snapshot-count',
    field: 'snapshotCount',
    type: 'int',
    help: 'applied entries between snapshots, at least (a snapshot also waits for log weighing a tenth of the last one)',
  },
  {
    name: 'snapshot-catchup-entries',
    field: 'snapshotCatchupEntries',
    type: 'int',
    help: 'entries kept after a snapshot so slightly lagging followers catch up without one',
  },
  {
    name: 'max-snapshots',
    field: 'maxSnapshots',
    type: 'int',
    help: 'snapshot files kept (each a full copy of the state; at least 2 keeps an older one if the newest is torn)',
  },
  {
    name: 'quota-backend-bytes',
    field: 'quotaBackendBytes',
    type: 'int',
    help: 'space quota of keys, values and history; past it writes fail with NO_SPACE',
  },
  {
    name: 'heap-alarm-percent',
    field: 'heapAlarmPercent',
    type: 'int',
    help: "raise NOSPACE when this much of the V8 heap's old generation is live; 0 disables",
  },
  {
    name: 'max-request-bytes',
    field: 'maxRequestBytes',
    type: 'int',
    help: 'largest client request accepted, in bytes',
  },
  {
    name: 'auto-compaction-mode',
    field: 'autoCompactionMode',
    type: 'enum',
    values: AUTO_COMPACTION_MODES,
    help: 'auto-compaction by time (periodic) or by revision count',
  },
  {
    name: 'auto-compaction-retention',
    field: 'autoCompactionRetention',
    type: 'string',
    help: 'history to keep: hours or a duration like 30m (periodic), or revisions (revision); 0 disables',
  },
  {
    name: 'request-timeout',
    field: 'requestTimeout',
    type: 'int',
    help: 'how long a client request may wait for Raft, in ms',
  },
  {
    name: 'cert-file',
    field: 'certFile',
    type: 'string',
    help: 'client TLS certificate (enables https/wss on client URLs)',
  },
  { name: 'key-file', field: 'keyFile', type: 'string', help: 'client TLS key' },
  {
    name: 'trusted-ca-file',
    field: 'trustedCaFile',
    type: 'string',
    help: 'CA to verify client certificates',
  },
  {
    name: 'client-cert-auth',
    field: 'clientCertAuth',
    type: 'bool',
    help: 'require client certificates signed by --trusted-ca-file',
  },
  { name: 'peer-cert-file', field: 'peerCertFile', type: 'string', help: 'peer TLS certificate' },
  { name: 'peer-key-file', field: 'peerKeyFile', type: 'string', help: 'peer TLS key' },
  {
    name: 'peer-trusted-ca-file',
    field: 'peerTrustedCaFile',
    type: 'string',
    help: 'CA to verify peer certificates',
  },
  {
    name: 'peer-client-cert-auth',
    field: 'peerClientCertAuth',
    type: 'bool',
    help: 'require peer certificates signed by --peer-trusted-ca-file',
  },
  {
    name: 'client-crl-file',
    field: 'clientCrlFile',
    type: 'string',
    help: 'PEM CRL(s): clients presenting a revoked certificate are refused (needs --client-cert-auth; re-read on change)',
  },
  {
    name: 'peer-crl-file',
    field: 'peerCrlFile',
    type: 'string',
    help: 'PEM CRL(s): peers presenting a revoked certificate are refused, inbound and dialled (needs --peer-client-cert-auth; re-read on change)',
  },
  {
    name: 'peer-cert-allowed-cn',
    field: 'peerCertAllowedCn',
    type: 'string',
    help: 'peer certificates must carry this CommonName (needs --peer-client-cert-auth)',
  },
  {
    name: 'peer-cert-allowed-hostname',
    field: 'peerCertAllowedHostname',
    type: 'string',
    help: 'peer certificates must be valid for this host name or IP (needs --peer-client-cert-auth; not with --peer-cert-allowed-cn)',
  },
  {
    name: 'cipher-suites',
    field: 'cipherSuites',
    type: 'list',
    help: "TLS 1.2 cipher suites of the client and peer ports, by Go's names (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,…; default: Node's)",
  },
  {
    name: 'tls-min-version',
    field: 'tlsMinVersion',
    type: 'enum',
    values: TLS_VERSIONS,
    help: 'lowest TLS version of the client and peer ports',
  },
  {
    name: 'tls-max-version',
    field: 'tlsMaxVersion',
    type: 'enum',
    values: TLS_VERSIONS,
    help: 'highest TLS version of the client and peer ports (TLS1.2 makes --cipher-suites cover every connection)',
  },
  {
    name: 'log-level',
    field: 'logLevel',
    type: 'enum',
    values: LOG_LEVELS,
    help: 'log level (JSON lines on stderr)',
  },
  {
    name: 'experimental-initial-corrupt-check',
    field: 'experimentalInitialCorruptCheck',
    type: 'bool',
    help: "at start, compare this member's HashKV with its peers' and refuse to serve on a mismatch",
  },
  {
    name: 'corrupt-check-time',
    field: 'corruptCheckTime',
    type: 'string',
    help: 'how often the leader compares HashKV with its peers and raises CORRUPT on a mismatch (e.g. 5m, 30s, 500ms; a bare number is ms; 0: never)',
  },
  {
    name: 'auth-token',
    field: 'authToken',
    type: 'string',
    help: 'auth tokens: simple, or jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256|…[,ttl=5m]',
  },
  {
    name: 'auth-token-ttl',
    field: 'authTokenTtl',
    type: 'int',
    help: 'seconds a simple token lives after its last use',
  },
  {
    name: 'console-writes',
    field: 'consoleWrites',
    type: 'bool',
    help: 'let the web console at /ui put and delete keys (with a confirmation; permissions still apply)',
  },
  {
    name: 'cors',
    field: 'cors',
    type: 'list',
    help: "browser page origins (http(s)://host[:port], comma-separated) allowed to use the client port besides the cluster's own URLs and the same origin; * allows every origin (etcd's default; unsafe on a shared machine)",
  },
  {
    name: 'host-whitelist',
    field: 'hostWhitelist',
    type: 'list',
    help: 'host names accepted in the Host header of cleartext client requests (comma-separated; a guard against DNS rebinding); * accepts every name',
  },
  {
    name: 'strict-reconfig-check',
    field: 'strictReconfigCheck',
    type: 'bool',
    help: 'refuse membership changes that could cost the quorum (members not connected for 5 s)',
  },
  {
    name: 'unsafe-no-fsync',
    field: 'unsafeNoFsync',
    type: 'bool',
    help: 'UNSAFE: skip fsync (tests and benchmarks only; loses data on a crash)',
  },
  {
    name: 'config-file',
    field: undefined,
    type: 'string',
    help: 'JSON file of flag values ({"name": "m1", "data-dir": "…", "listen-client-urls": ["…"]}); flags and env override it',
  },
];

export function envName(flag: string): string {
  return `CONCORD_${flag.toUpperCase().replace(/-/g, '_')}`;
}

export function helpText(): string {
  const lines = [
    'usage: concord serve [flags]',
    '',
    'flags (each also settable as CONCORD_<FLAG> in the environment):',
  ];
  for (const f of SERVE_FLAGS) {
    const def = defaultText(f);
    const values = f.values === undefined ? '' : ` [${f.values.join('|')}]`;
    lines.push(`  --${f.name}${values}\n      ${f.help}${def === undefined ? '' : ` (default ${def})`}`);
  }
  return lines.join('\n');
}

/** The member's default for a flag's field, as flag text; undefined when derived from other fields. */
function defaultText(f: FlagSpec): string | undefined {
  if (f.field === undefined || !Object.hasOwn(MEMBER_DEFAULTS, f.field)) return undefined;
  const value: unknown = MEMBER_DEFAULTS[f.field as keyof typeof MEMBER_DEFAULTS];
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.join(',');
  return String(value);
}

/** The flag that sets `field` (every field has one: test/unit/cli/flags.test.ts). */
export function flagOfField(field: string): string {
  return SERVE_FLAGS.find((f) => f.field === field)?.name ?? field;
}
