/**
 * Every `concord serve` flag: its type, default and help, in the spirit of etcd's flags. The same
 * table drives argv parsing, CONCORD_* environment variables, the config file and `--help`.
 */

export type FlagType = 'string' | 'int' | 'bool' | 'urls' | 'enum';

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly default: string;
  readonly help: string;
  readonly values?: readonly string[];
}

export const SERVE_FLAGS: readonly FlagSpec[] = [
  { name: 'name', type: 'string', default: 'default', help: 'human-readable name of this member' },
  {
    name: 'data-dir',
    type: 'string',
    default: '',
    help: 'data directory, locked by this member while it runs (default: ./<name>.concord)',
  },
  {
    name: 'listen-client-urls',
    type: 'urls',
    default: 'http://127.0.0.1:2379',
    help: 'URLs to listen on for client traffic',
  },
  {
    name: 'advertise-client-urls',
    type: 'urls',
    default: '',
    help: 'client URLs advertised to the cluster (default: the listen URLs)',
  },
  {
    name: 'listen-peer-urls',
    type: 'urls',
    default: 'http://127.0.0.1:2380',
    help: 'URLs to listen on for peer traffic',
  },
  {
    name: 'initial-advertise-peer-urls',
    type: 'urls',
    default: '',
    help: 'peer URLs advertised to the cluster (default: the listen URLs)',
  },
  {
    name: 'initial-cluster',
    type: 'string',
    default: '',
    help: 'initial cluster: name=peerURL,… (default: <name>=<advertised peer URL>)',
  },
  {
    name: 'initial-cluster-state',
    type: 'enum',
    default: 'new',
    values: ['new', 'existing'],
    help: 'new: bootstrap a cluster; existing: join one',
  },
  {
    name: 'initial-cluster-id',
    type: 'string',
    default: '',
    help: 'existing only: id of the cluster to join (cluster_id of the member add answer; default: derived from --initial-cluster without this member)',
  },
  {
    name: 'initial-cluster-token',
    type: 'string',
    default: 'concord-cluster',
    help: 'token that makes cluster and member ids unique',
  },
  {
    name: 'heartbeat-interval',
    type: 'int',
    default: '100',
    help: 'time between leader heartbeats, in ms (one Raft tick)',
  },
  {
    name: 'election-timeout',
    type: 'int',
    default: '1000',
    help: 'election timeout in ms (a multiple of the heartbeat interval, at least 5×)',
  },
  { name: 'snapshot-count', type: 'int', default: '10000', help: 'applied entries between snapshots' },
  {
    name: 'snapshot-catchup-entries',
    type: 'int',
    default: '50000',
    help: 'entries kept after a snapshot so slightly lagging followers catch up without one',
  },
  {
    name: 'max-snapshots',
    type: 'int',
    default: '2',
    help: 'snapshot files kept (each a full copy of the state; at least 2 keeps an older one if the newest is torn)',
  },
  {
    name: 'quota-backend-bytes',
    type: 'int',
    default: String(2 * 1024 ** 3),
    help: 'space quota of keys, values and history; past it writes fail with NO_SPACE',
  },
  {
    name: 'heap-alarm-percent',
    type: 'int',
    default: '85',
    help: "raise NOSPACE when this much of the V8 heap's old generation is live; 0 disables",
  },
  {
    name: 'max-request-bytes',
    type: 'int',
    default: String(1.5 * 1024 * 1024),
    help: 'largest client request accepted, in bytes',
  },
  {
    name: 'auto-compaction-mode',
    type: 'enum',
    default: 'periodic',
    values: ['periodic', 'revision'],
    help: 'auto-compaction by time (periodic) or by revision count',
  },
  {
    name: 'auto-compaction-retention',
    type: 'string',
    default: '0',
    help: 'history to keep: hours or a duration like 30m (periodic), or revisions (revision); 0 disables',
  },
  {
    name: 'request-timeout',
    type: 'int',
    default: '5000',
    help: 'how long a client request may wait for Raft, in ms',
  },
  {
    name: 'cert-file',
    type: 'string',
    default: '',
    help: 'client TLS certificate (enables https/wss on client URLs)',
  },
  { name: 'key-file', type: 'string', default: '', help: 'client TLS key' },
  { name: 'trusted-ca-file', type: 'string', default: '', help: 'CA to verify client certificates' },
  {
    name: 'client-cert-auth',
    type: 'bool',
    default: 'false',
    help: 'require client certificates signed by --trusted-ca-file',
  },
  { name: 'peer-cert-file', type: 'string', default: '', help: 'peer TLS certificate' },
  { name: 'peer-key-file', type: 'string', default: '', help: 'peer TLS key' },
  { name: 'peer-trusted-ca-file', type: 'string', default: '', help: 'CA to verify peer certificates' },
  {
    name: 'peer-client-cert-auth',
    type: 'bool',
    default: 'false',
    help: 'require peer certificates signed by --peer-trusted-ca-file',
  },
  {
    name: 'log-level',
    type: 'enum',
    default: 'info',
    values: ['debug', 'info', 'warn', 'error'],
    help: 'log level (JSON lines on stderr)',
  },
  {
    name: 'auth-token',
    type: 'string',
    default: 'simple',
    help: 'auth tokens: simple, or jwt,pub-key=PATH,priv-key=PATH,sign-method=RS256|ES256|…[,ttl=5m]',
  },
  {
    name: 'auth-token-ttl',
    type: 'int',
    default: '300',
    help: 'seconds a simple token lives after its last use',
  },
  {
    name: 'unsafe-no-fsync',
    type: 'bool',
    default: 'false',
    help: 'UNSAFE: skip fsync (tests and benchmarks only; loses data on a crash)',
  },
  {
    name: 'config-file',
    type: 'string',
    default: '',
    help: 'JSON file of flag values ({"name": "m1", "data-dir": "…"}); flags and env override it',
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
    const def = f.default === '' ? '' : ` (default ${f.default})`;
    const values = f.values === undefined ? '' : ` [${f.values.join('|')}]`;
    lines.push(`  --${f.name}${values}\n      ${f.help}${def}`);
  }
  return lines.join('\n');
}
