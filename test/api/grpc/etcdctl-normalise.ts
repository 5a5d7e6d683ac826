/**
 * Turns what etcdctl prints against one cluster into text that can be compared with what it prints
 * against another: the values that differ between two healthy clusters by nature (member, cluster
 * and lease ids, ports, revisions counted from a start point, raft terms and indexes, hashes, db
 * sizes, durations, timestamps, temporary paths) become labels, the same value always the same
 * label within one run. Everything else (wording, fields present or absent, counts, order) is kept,
 * so a difference that survives normalising is one a client could see.
 */

/** Integers in JSON that a double cannot hold exactly (uint64 ids) are read as strings. */
function parseJsonExact(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

const REVISION_FIELDS = new Set(['revision', 'create_revision', 'mod_revision', 'compact_revision']);
const ID_FIELDS = new Set(['cluster_id', 'member_id', 'ID', 'id', 'leader', 'memberID', 'lease']);
const TERM_FIELDS = new Set(['raft_term', 'raftTerm']);
const INDEX_FIELDS = new Set(['raftIndex', 'raftAppliedIndex', 'raft_index']);
const SIZE_FIELDS = new Set(['dbSize', 'dbSizeInUse']);
/** Arrays whose order is the members' id order, which is random (ids hash the ports). */
const UNORDERED_ARRAYS = new Set(['members']);

export class OutputNormaliser {
  /** Every id seen (member, cluster, lease), by value, to its label. */
  private readonly ids = new Map<bigint, string>();
  private readonly addresses = new Map<string, string>();
  private readonly hashes = new Map<string, string>();
  private leases = 0;
  private strangers = 0;
  private strangeAddresses = 0;
  /** Revisions are written relative to this one. */
  baseRevision = 0;

  constructor(private readonly paths: readonly string[] = []) {}

  nameId(id: bigint | string, label: string): void {
    this.ids.set(BigInt(id), `<${label}>`);
  }

  nameAddress(hostPort: string, label: string): void {
    this.addresses.set(hostPort, `<${label}>`);
  }

  /** A lease id seen for the first time gets the next lease label. */
  nameLease(id: bigint | string): string {
    const v = BigInt(id);
    const known = this.ids.get(v);
    if (known !== undefined) return known;
    const label = `<lease${++this.leases}>`;
    this.ids.set(v, label);
    return label;
  }

  leaseHex(hex: string): string {
    return this.nameLease(BigInt(`0x${hex}`));
  }

  rev(n: number | string): string {
    const v = Number(n);
    return v === 0 ? '0' : `r${v - this.baseRevision >= 0 ? '+' : ''}${v - this.baseRevision}`;
  }

  hash(h: string | number): string {
    const key = String(h);
    let label = this.hashes.get(key);
    if (label === undefined) {
      label = `<hash${this.hashes.size + 1}>`;
      this.hashes.set(key, label);
    }
    return label;
  }

  private id(v: unknown, field: string): unknown {
    if (typeof v !== 'number' && typeof v !== 'string') return v;
    if (!/^\d+$/.test(String(v))) return v;
    const n = BigInt(String(v));
    if (n === 0n) return v;
    const known = this.ids.get(n);
    if (known !== undefined) return known;
    if (field === 'ID' || field === 'lease') return this.nameLease(n);
    const label = `<id${++this.strangers}>`;
    this.ids.set(n, label);
    return label;
  }

  private walk(v: unknown, field: string): unknown {
    if (Array.isArray(v)) {
      const items = v.map((x) => this.walk(x, field));
      return UNORDERED_ARRAYS.has(field)
        ? items.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
        : items;
    }
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = this.walk(x, k);
      return out;
    }
    if (REVISION_FIELDS.has(field) && (typeof v === 'number' || typeof v === 'string')) return this.rev(v);
    // Which member answers a balanced request is the client's choice, not the server's.
    if (field === 'member_id') return '<member>';
    if (ID_FIELDS.has(field)) return this.id(v, field);
    if (TERM_FIELDS.has(field)) return '<term>';
    if (INDEX_FIELDS.has(field)) return '<index>';
    if (SIZE_FIELDS.has(field)) return '<size>';
    if (field === 'hash') return this.hash(v as string);
    if (field === 'took') return '<duration>';
    if (field === 'version' && typeof v === 'string') return '<server-version>';
    return v;
  }

  /** A JSON document (etcdctl -w json) with its varying fields labelled, re-serialised compactly. */
  json(text: string): string {
    return JSON.stringify(this.walk(parseJsonExact(text), ''));
  }

  /** Labels in free text: addresses, ids in hex (etcdctl's %x/%016x) or decimal, paths, times. */
  text(s: string): string {
    let out = s;
    for (const p of this.paths) out = out.split(p).join('<dir>');
    out = out.replace(/127\.0\.0\.1:\d+/g, (a) => {
      let label = this.addresses.get(a);
      if (label === undefined) {
        label = `<addr${++this.strangeAddresses}>`;
        this.addresses.set(a, label);
      }
      return label;
    });
    out = out.replace(/\b[0-9a-f]{8,16}\b/g, (tok) => this.ids.get(BigInt(`0x${tok}`)) ?? tok);
    out = out.replace(/\b\d{8,20}\b/g, (tok) => this.ids.get(BigInt(tok)) ?? tok);
    // %16x pads an id that has leading zero nibbles with spaces
    out = out.replace(/ +(<[a-z][\w:.-]*>)/g, ' $1');
    out = out.replace(/took = [0-9.]+[µnm]?s/g, 'took = <duration>');
    // endpoint hashkv (simple): endpoint, hash
    out = out.replace(
      /^(\S*<client:[^>]+>), (\d+)$/gm,
      (_, ep: string, h: string) => `${ep}, ${this.hash(h)}`,
    );
    // -w fields
    out = out.replace(
      /^"(Revision|CreateRevision|ModRevision|CompactRevision)" : (\d+)$/gm,
      (_, f: string, n: string) => `"${f}" : ${this.rev(n)}`,
    );
    out = out.replace(/^"RaftTerm" : \d+$/gm, '"RaftTerm" : <term>');
    out = out.replace(/^"MemberID" : \S+$/gm, '"MemberID" : <member>');
    out = out.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)/g, '<time>');
    return out;
  }

  /**
   * etcdctl's stderr: its client library logs retries as JSON lines with timestamps, callers and
   * target addresses; only the message and the error are kept.
   */
  stderr(s: string): string {
    const lines = s.split('\n').map((line) => {
      if (!line.startsWith('{')) return this.text(line);
      try {
        const entry = parseJsonExact(line) as { level?: string; msg?: string; error?: string };
        return this.text(
          `[log ${entry.level ?? ''}] ${entry.msg ?? ''}${entry.error === undefined ? '' : `: ${entry.error}`}`,
        );
      } catch {
        return this.text(line);
      }
    });
    return lines.join('\n');
  }

  /** stdout: each line that is a JSON document through `json`, the rest through `text`. */
  stdout(s: string): string {
    const trimmed = s.trim();
    if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && !trimmed.includes('\n')) {
      try {
        return this.text(this.json(trimmed)) + '\n';
      } catch {
        // not one document: line by line below
      }
    }
    return s
      .split('\n')
      .map((line) => {
        if (line.startsWith('{') || line.startsWith('[')) {
          try {
            return this.text(this.json(line));
          } catch {
            return this.text(line);
          }
        }
        return this.text(line);
      })
      .join('\n');
  }
}

/** What `etcdctl check perf` judged, without the verdicts themselves (those measure the machine). */
export interface CheckPerfVerdicts {
  /** One label per criterion judged, in the order printed. */
  readonly judged: readonly string[];
  /** Errors during the run: not the machine's doing, so kept as printed. */
  readonly errors: readonly string[];
  /** Every line that carries a verdict, as printed (for the test's log). */
  readonly said: readonly string[];
}

const CHECK_PERF_CRITERIA: readonly (readonly [RegExp, string])[] = [
  [/(PASS|FAIL): Throughput/, 'throughput: <verdict>'],
  [/PASS: Slowest request took|Slowest request took too long/, 'slowest request: <verdict>'],
  [/PASS: Stddev is|Stddev too high/, 'stddev: <verdict>'],
  [/(PASS|FAIL)$/, 'overall: <verdict>'],
];

/**
 * Reads `check perf`'s output: a progress bar drawn with carriage returns, then one verdict line
 * per criterion (a failed latency criterion's line does not start with FAIL), then the overall
 * PASS or FAIL. The bar redraws from its own goroutine, and a redraw can land after the bar's
 * final line break, leaving the first verdict on the bar's line (CI saw etcd's own run print no
 * line starting with its throughput verdict); so a criterion is looked for anywhere in a line.
 */
export function checkPerfVerdicts(stdout: string): CheckPerfVerdicts {
  const lines = stdout.split(/[\r\n]+/);
  return {
    judged: lines.flatMap((l) => CHECK_PERF_CRITERIA.filter(([re]) => re.test(l)).map(([, label]) => label)),
    errors: lines.flatMap((l) => /FAIL: (too many errors|ERROR).*/.exec(l)?.[0] ?? []),
    said: lines.filter((l) => /PASS|FAIL|Slowest|Stddev/.test(l)),
  };
}
