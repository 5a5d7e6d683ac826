/**
 * Pure parts of `npm run bench -- scale` (bench/scale.ts): its options, the plan of chunks and
 * the tables. No I/O here, so test/unit/bench/ can check them exactly.
 */
import { ArgReader } from './args.js';
import { fmt, ratio, TARGETS, type TargetName } from './stats.js';

const UNITS: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `1GiB`, `256MiB`, `64m`, `1.5GiB`, `1048576` → bytes (binary units only, a whole number). */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined)
    throw new Error(`not a size: '${text}' (use e.g. 1GiB, 256MiB, 64KiB or a number of bytes)`);
  const bytes = Math.round(Number(m[1]) * unit);
  if (!(bytes > 0) || !Number.isSafeInteger(bytes)) throw new Error(`not a positive size: '${text}'`);
  return bytes;
}

/** Sizes of the chunks that load `totalKeys` keys, `chunkKeys` at a time (the last one shorter). */
export function chunkPlan(totalKeys: number, chunkKeys: number): number[] {
  if (!(Number.isSafeInteger(totalKeys) && totalKeys > 0 && Number.isSafeInteger(chunkKeys) && chunkKeys > 0))
    throw new RangeError(`chunkPlan: positive integers needed, got ${totalKeys}, ${chunkKeys}`);
  const out: number[] = [];
  for (let done = 0; done < totalKeys; done += chunkKeys) out.push(Math.min(chunkKeys, totalKeys - done));
  return out;
}

export interface ScaleArgs {
  targets: TargetName[];
  /** bytes of values to load (the number of keys is bytes / valueBytes, rounded up) */
  bytes: number;
  chunkKeys: number;
  valueBytes: number;
  inFlight: number;
  snapshotCount: number;
  /** `--quota-backend-bytes` of both targets */
  quotaBytes: number;
  /**
   * Concord's `--max-old-space-size`, MiB; absent: `concord serve` sizes its member's heap from
   * the quota (docs/operations.md, "Memory")
   */
  heapMiB: number | undefined;
  /** keys written while one follower is down */
  catchUpKeys: number;
  size: number;
  /** Concord only: more node/V8 flags for each member (`--node-flag --trace-gc`, repeatable) */
  nodeFlags: string[];
  /** each member's whole output to `<dir>/<target>-<member>.log` (with `--trace-gc`: its GC log) */
  logDir: string | undefined;
  /** only the load: no restart, no catch-up (quicker runs while measuring the load itself) */
  loadOnly: boolean;
  /** log every put at least this slow, with its wall-clock start and end (`slow put` lines) */
  slowPutMs: number | undefined;
  /**
   * write the stalls (GC pauses, event-loop stalls, slow fsyncs, large removals) of at least this
   * many ms of the bench process and, Concord only, of each member (bench/stall-trace.ts)
   */
  traceStallsMs: number | undefined;
  /** Concord only: the members' `--log-level` (default warn; info adds the snapshot lines) */
  memberLogLevel: 'debug' | 'info' | 'warn' | 'error' | undefined;
}

export const SCALE_USAGE = `usage: npm run bench -- scale [--vs | --target concord|etcd] [--bytes 1GiB] [--chunk-keys 200000]
         [--value-bytes 256] [--in-flight 64] [--snapshot-count 10000] [--quota-bytes 8GiB]
         [--heap-mib N] [--catch-up-keys 30000] [--size 3]
         [--node-flag FLAG]... [--log-dir DIR] [--load-only]
         [--slow-put-ms MS] [--trace-stalls MS] [--member-log-level debug|info|warn|error]`;

function logLevel(text: string): 'debug' | 'info' | 'warn' | 'error' {
  if (text === 'debug' || text === 'info' || text === 'warn' || text === 'error') return text;
  throw new Error(`--member-log-level: debug, info, warn or error, not '${text}'\n${SCALE_USAGE}`);
}

export function parseScaleArgs(argv: readonly string[]): ScaleArgs {
  const a: ScaleArgs = {
    targets: [...TARGETS],
    bytes: 2 ** 30,
    chunkKeys: 200_000,
    valueBytes: 256,
    inFlight: 64,
    snapshotCount: 10_000,
    quotaBytes: 8 * 2 ** 30,
    heapMiB: undefined,
    catchUpKeys: 30_000,
    size: 3,
    nodeFlags: [],
    logDir: undefined,
    loadOnly: false,
    slowPutMs: undefined,
    traceStallsMs: undefined,
    memberLogLevel: undefined,
  };
  const r = new ArgReader(argv, SCALE_USAGE);
  for (let flag = r.flag(); flag !== undefined; flag = r.flag()) {
    if (flag === '--vs') a.targets = [...TARGETS];
    else if (flag === '--target') a.targets = [r.target(flag)];
    else if (flag === '--bytes') a.bytes = parseSize(r.value(flag));
    else if (flag === '--chunk-keys') a.chunkKeys = r.integer(flag);
    else if (flag === '--value-bytes') a.valueBytes = r.integer(flag);
    else if (flag === '--in-flight') a.inFlight = r.integer(flag);
    else if (flag === '--snapshot-count') a.snapshotCount = r.integer(flag);
    else if (flag === '--quota-bytes') a.quotaBytes = parseSize(r.value(flag));
    else if (flag === '--heap-mib') a.heapMiB = r.integer(flag);
    else if (flag === '--catch-up-keys') a.catchUpKeys = r.integer(flag);
    else if (flag === '--size') a.size = r.integer(flag);
    else if (flag === '--node-flag') a.nodeFlags.push(r.value(flag));
    else if (flag === '--log-dir') a.logDir = r.value(flag);
    else if (flag === '--load-only') a.loadOnly = true;
    else if (flag === '--slow-put-ms') a.slowPutMs = r.integer(flag);
    else if (flag === '--trace-stalls') a.traceStallsMs = r.integer(flag);
    else if (flag === '--member-log-level') a.memberLogLevel = logLevel(r.value(flag));
    else throw r.unknown(flag);
  }
  return a;
}

/** One chunk of the load as one target saw it. */
export interface ChunkRow {
  /** keys loaded so far, this chunk included */
  readonly keys: number;
  /** MiB of values loaded so far */
  readonly valueMiB: number;
  readonly seconds: number;
  /** acknowledged puts per second over the chunk */
  readonly opsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** the longest put of the chunk, a failed one included (with its time to fail) */
  readonly maxMs: number;
  readonly errors: number;
  /** snapshots the leader took since it started (NaN if its metrics do not say) */
  readonly snapshots: number;
  /** the largest member VmRSS at the end of the chunk, MiB */
  readonly maxRssMiB: number;
  /** seconds the leader's thread was paused by GC during the chunk (NaN if unknown) */
  readonly leaderGcSec: number;
  /** Concord: an upper bound (a histogram bucket's) of the leader's longest GC pause, ms */
  readonly leaderGcMaxMs: number;
}

/** Everything the scale run measured on one target. */
export interface ScaleResult {
  readonly target: TargetName;
  readonly chunks: ChunkRow[];
  /** why the load stopped early, if it did */
  readonly aborted?: string;
  /** VmRSS of each member after the load, MiB */
  readonly rssMiB: Record<string, number>;
  /** each member's data directory after the load, MiB allocated on disk */
  readonly dataDirMiB: Record<string, number>;
  /** SIGTERM of all members until all exited, ms (not a target row: a graceful stop's cost) */
  readonly stopMs: number;
  /** start of all members until a linearizable read succeeds, ms */
  readonly restartMs: number;
  /** VmRSS of each member right after the restart, MiB */
  readonly rssAfterRestartMiB: Record<string, number>;
  /** keys written while a follower was down */
  readonly catchUpKeys: number;
  /** start of that follower until its revision equals the leader's, ms */
  readonly catchUpMs: number;
}

const cell = (n: number): string => fmt(n);
/** counts (errors, snapshots) as whole numbers */
const count = (n: number): string => (Number.isNaN(n) ? '–' : Math.round(n).toLocaleString('en-US'));
const ratioCell = (c: number, e: number): string => {
  const r = ratio(c, e);
  return Number.isNaN(r) ? '–' : r.toFixed(2);
};

/** The per-chunk table: both targets side by side, ratio Concord/etcd per column. */
export function chunkTable(results: readonly ScaleResult[]): string {
  const c = results.find((r) => r.target === 'concord');
  const e = results.find((r) => r.target === 'etcd');
  const n = Math.max(c?.chunks.length ?? 0, e?.chunks.length ?? 0);
  const lines = [
    '| keys | values MiB | ops/s C | ops/s E | C/E | p99 ms C | p99 ms E | C/E | max ms C | max ms E | C/E | max RSS MiB C | max RSS MiB E | C/E | errors C/E | snapshots C/E |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (let i = 0; i < n; i++) {
    const a = c?.chunks[i];
    const b = e?.chunks[i];
    const g = (row: ChunkRow | undefined, k: keyof ChunkRow): number => (row === undefined ? NaN : row[k]);
    const keys = a?.keys ?? b?.keys ?? NaN;
    const mib = a?.valueMiB ?? b?.valueMiB ?? NaN;
    const col = (k: keyof ChunkRow): string[] => [cell(g(a, k)), cell(g(b, k)), ratioCell(g(a, k), g(b, k))];
    lines.push(
      `| ${keys.toLocaleString('en-US')} | ${fmt(mib)} | ${[
        ...col('opsPerSec'),
        ...col('p99Ms'),
        ...col('maxMs'),
        ...col('maxRssMiB'),
        `${count(g(a, 'errors'))} / ${count(g(b, 'errors'))}`,
        `${count(g(a, 'snapshots'))} / ${count(g(b, 'snapshots'))}`,
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}

/** The after-load table: memory, disk, restart, catch-up and the worst put, with ratios. */
export function summaryTable(results: readonly ScaleResult[]): string {
  const c = results.find((r) => r.target === 'concord');
  const e = results.find((r) => r.target === 'etcd');
  const rows: [string, number, number][] = [];
  const members = [...new Set([...Object.keys(c?.rssMiB ?? {}), ...Object.keys(e?.rssMiB ?? {})])].sort();
  const maxOf = (o: Record<string, number> | undefined): number => {
    const v = Object.values(o ?? {}).filter((x) => !Number.isNaN(x));
    return v.length === 0 ? NaN : Math.max(...v);
  };
  const sumOf = (vs: readonly number[]): number => vs.reduce((s, v) => s + v, 0);
  for (const m of members) rows.push([`RSS ${m} (MiB)`, c?.rssMiB[m] ?? NaN, e?.rssMiB[m] ?? NaN]);
  rows.push(['max member RSS (MiB)', maxOf(c?.rssMiB), maxOf(e?.rssMiB)]);
  for (const m of members)
    rows.push([`data dir ${m} (MiB)`, c?.dataDirMiB[m] ?? NaN, e?.dataDirMiB[m] ?? NaN]);
  rows.push(['full-cluster restart (ms)', c?.restartMs ?? NaN, e?.restartMs ?? NaN]);
  rows.push([
    'max member RSS after restart (MiB)',
    maxOf(c?.rssAfterRestartMiB),
    maxOf(e?.rssAfterRestartMiB),
  ]);
  const keys = c?.catchUpKeys ?? e?.catchUpKeys ?? 0;
  rows.push([
    `follower catch-up after ${keys.toLocaleString('en-US')} keys (ms)`,
    c?.catchUpMs ?? NaN,
    e?.catchUpMs ?? NaN,
  ]);
  const worst = (r: ScaleResult | undefined): number =>
    r === undefined || r.chunks.length === 0 ? NaN : Math.max(...r.chunks.map((x) => x.maxMs));
  rows.push(['max put latency, all chunks (ms)', worst(c), worst(e)]);
  const errs = (r: ScaleResult | undefined): number =>
    r === undefined ? NaN : sumOf(r.chunks.map((x) => x.errors));
  rows.push(['failed puts, all chunks', errs(c), errs(e)]);
  const secs = (r: ScaleResult | undefined): number =>
    r === undefined ? NaN : sumOf(r.chunks.map((x) => x.seconds));
  rows.push(['load time (s)', secs(c), secs(e)]);
  const lines = ['| after the load | Concord | etcd | C/E |', '| --- | ---: | ---: | ---: |'];
  for (const [label, a, b] of rows) {
    const f = label.startsWith('failed') ? count : cell;
    lines.push(`| ${label} | ${f(a)} | ${f(b)} | ${ratioCell(a, b)} |`);
  }
  return lines.join('\n');
}

/** A member's GC pauses so far, from its /metrics (Concord's histogram; etcd's Go GC summary). */
export interface GcTotals {
  readonly seconds: number;
  /** Concord only: cumulative pause counts per bucket bound (seconds; +Inf as Infinity) */
  readonly buckets: ReadonlyMap<number, number>;
}

/** The GC totals in a member's /metrics text (NaN seconds when it has none). */
export function parseGcTotals(target: TargetName, metrics: string): GcTotals {
  const sum = target === 'concord' ? 'concord_server_gc_pause_seconds_sum' : 'go_gc_duration_seconds_sum';
  const buckets = new Map<number, number>();
  let seconds = NaN;
  for (const line of metrics.split('\n')) {
    if (line.startsWith(`${sum} `)) seconds = Number(line.slice(sum.length + 1));
    const b = /^concord_server_gc_pause_seconds_bucket\{le="([^"]+)"\} (\S+)$/.exec(line);
    if (b !== null) buckets.set(b[1] === '+Inf' ? Infinity : Number(b[1]), Number(b[2]));
  }
  return { seconds, buckets };
}

/**
 * The GC pause time between two readings, and an upper bound of the longest pause in between (the
 * smallest bucket bound that holds every pause; NaN for etcd, whose metrics do not say).
 */
export function gcBetween(a: GcTotals | undefined, b: GcTotals | undefined): { sec: number; maxMs: number } {
  if (a === undefined || b === undefined) return { sec: NaN, maxMs: NaN };
  const total = (b.buckets.get(Infinity) ?? NaN) - (a.buckets.get(Infinity) ?? NaN);
  let maxMs = total === 0 ? 0 : NaN;
  if (total > 0)
    for (const bound of [...b.buckets.keys()].sort((x, y) => x - y))
      if ((b.buckets.get(bound) ?? 0) - (a.buckets.get(bound) ?? 0) >= total) {
        maxMs = bound * 1000;
        break;
      }
  return { sec: b.seconds - a.seconds, maxMs };
}
