/**
 * `npm run bench -- memory [--keys 100000,500000] [--value-bytes 256] [--leases 100000]`
 *
 * Bytes of memory per key, per extra revision of an existing key, and per lease, on the apply
 * StateMachine directly (no Raft, no disk), after a full GC. Commands go through the binary codec
 * (`applyEntry`), as on a member. Three numbers per line:
 * - heap: `heapUsed` (V8 objects: KeyValue, Map entries, strings, arrays; since the keys and values
 *   are held as latin1 strings, their bytes too: docs/storage.md, "Memory representation");
 * - ext: `external` (ArrayBuffer backing stores: the history's accounting arrays, the lessor's
 *   deadline heaps, and their malloc overhead);
 * - rss: resident set size (what the quota must really fit in; noisier: freed pages come back late).
 * "logical" is what etcd counts per key: key bytes + value bytes. The components table measures
 * each kind of object alone (N of them), to show where the per-key overhead goes.
 * Memory is never asserted; the numbers are for docs/performance.md.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { StateMachine, encodeCommand } from '../server/apply/index.js';
import { StoredKeyValue } from '../server/mvcc/kv-types.js';
import { bytesToLatin1 } from '../server/mvcc/latin1.js';

interface Args {
  keys: number[];
  valueBytes: number;
  leases: number;
}

function parse(args: string[]): Args {
  const out: Args = { keys: [100_000, 500_000], valueBytes: 256, leases: 100_000 };
  for (let i = 0; i < args.length; i += 2) {
    const v = args[i + 1] ?? '';
    if (args[i] === '--keys') out.keys = v.split(',').map(Number);
    else if (args[i] === '--value-bytes') out.valueBytes = Number(v);
    else if (args[i] === '--leases') out.leases = Number(v);
    else throw new Error(`bench memory: unknown option ${args[i]}`);
  }
  if (out.keys.some((k) => !(k > 0)) || !(out.valueBytes >= 0) || !(out.leases > 0))
    throw new Error('bench memory: bad options');
  return out;
}

/** A full GC even without `--expose-gc` on the command line. */
function gcFn(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
const gc = gcFn();

interface Mem {
  heap: number;
  ext: number;
  rss: number;
}

function measure(): Mem {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, ext: m.external, rss: m.rss };
}

function per(label: string, before: Mem, after: Mem, n: number, logical?: number): void {
  const f = (x: number): string => (x / n).toFixed(0).padStart(6);
  const heap = (after.heap - before.heap) / n;
  const ext = (after.ext - before.ext) / n;
  const ratio = logical === undefined ? '' : `   total/logical ${((heap + ext) / logical).toFixed(2)}×`;
  console.log(
    `  ${label.padEnd(34)} heap ${f(after.heap - before.heap)}  ext ${f(after.ext - before.ext)}  ` +
      `heap+ext ${f(after.heap - before.heap + after.ext - before.ext)}  rss ${f(after.rss - before.rss)} B${ratio}`,
  );
}

const enc = new TextEncoder();
const keyOf = (i: number): Uint8Array => enc.encode(`bench/${String(i).padStart(8, '0')}`);

function loadKeys(sm: StateMachine, n: number, valueBytes: number, lease = 0): void {
  const value = new Uint8Array(valueBytes).fill(0x61);
  let index = sm.appliedIndex;
  for (let i = 0; i < n; i++) {
    const data = encodeCommand({ type: 'put', request: { key: keyOf(i), value, lease } });
    const r = sm.applyEntry(++index, data);
    if (r.status !== 'ok') throw new Error(`bench memory: put failed: ${JSON.stringify(r)}`);
  }
}

function keysSection(a: Args): void {
  const logical = keyOf(0).length + a.valueBytes;
  console.log(`keys (key ${keyOf(0).length} B + value ${a.valueBytes} B = ${logical} B logical per key)`);
  for (const n of a.keys) {
    const base = measure();
    let sm: StateMachine | undefined = new StateMachine();
    loadKeys(sm, n, a.valueBytes);
    const loaded = measure();
    per(`per key, ${n.toLocaleString('en-US')} keys`, base, loaded, n, logical);
    // Every key once more: one extra revision each (history record + KeyValue + value).
    loadKeys(sm, n, a.valueBytes);
    const rewritten = measure();
    per(`per extra revision of a key`, loaded, rewritten, n, a.valueBytes);
    // Compact to the newest revision: the old revisions go.
    sm.apply(sm.appliedIndex + 1, { type: 'compact', revision: sm.store.currentRevision });
    while (sm.store.compactionPending) sm.store.dropCompactedBatch(1_000_000);
    const compacted = measure();
    per(`per key after compaction`, base, compacted, n, logical);
    // Used after the last measure: V8 may collect a local it knows is dead (liveness analysis).
    if (sm.store.currentRevision !== 2 * n + 1) throw new Error('bench memory: revisions lost');
    sm = undefined;
  }
}

function leasesSection(a: Args): void {
  const n = a.leases;
  console.log(`leases (${n.toLocaleString('en-US')}, on a primary lessor: deadlines queued)`);
  const base = measure();
  let sm: StateMachine | undefined = new StateMachine();
  sm.lessor.promote(0);
  let index = 0;
  for (let i = 1; i <= n; i++)
    sm.applyEntry(++index, encodeCommand({ type: 'leaseGrant', id: i, ttlSec: 60 }));
  const granted = measure();
  per('per lease, no key', base, granted, n);
  const value = new Uint8Array(a.valueBytes).fill(0x61);
  for (let i = 1; i <= n; i++) {
    const r = sm.applyEntry(
      ++index,
      encodeCommand({ type: 'put', request: { key: keyOf(i), value, lease: i } }),
    );
    if (r.status !== 'ok') throw new Error('bench memory: put with lease failed');
  }
  const attached = measure();
  per('per lease-attached key (key + attach)', granted, attached, n);
  // Used after the last measure: V8 may collect a local it knows is dead (liveness analysis).
  if (sm.lessor.size !== n) throw new Error('bench memory: leases lost');
  sm = undefined;
}

/** N of each kind of object alone: the price list behind the per-key number. */
function componentsSection(n: number, valueBytes: number): void {
  console.log(`components (${n.toLocaleString('en-US')} of each, alone)`);
  const keep: unknown[] = [];
  const one = (label: string, make: (i: number) => unknown): void => {
    keep.length = 0;
    const before = measure();
    for (let i = 0; i < n; i++) keep.push(make(i));
    const after = measure();
    // The holding array's own slots (~4 B each with pointer compression) are included.
    per(label, before, after, n);
  };
  const src = new Uint8Array(valueBytes).fill(0x61);
  one(`Uint8Array(${valueBytes}) own buffer (slice)`, () => src.slice());
  const slab = new Uint8Array(valueBytes * n);
  one(`Uint8Array view on a shared slab`, (i) => slab.subarray(i * valueBytes, (i + 1) * valueBytes));
  one(`Uint8Array(14) own buffer (key)`, (i) => keyOf(i));
  one(`value latin1 string (${valueBytes} chars)`, () => bytesToLatin1(src));
  one('key binary string (14 chars)', (i) => `bench/${String(i).padStart(8, '0')}`.split('').join(''));
  one('StoredKeyValue (held)', (i) => new StoredKeyValue('k', i, i, 1, 'v', 0));
  one('KeyValue literal (6 fields)', (i) => ({
    key: src,
    createRevision: i,
    modRevision: i,
    version: 1,
    value: src,
    lease: 0,
  }));
  one('Set (empty)', () => new Set<string>());
  one('object {id, atMs}', (i) => ({ atMs: i, id: i }));
  one('[x] (1-element array)', (i) => [i]);
  keep.length = 0;
}

export async function run(args: string[]): Promise<void> {
  const a = parse(args);
  console.log(`memory: node ${process.version}, after full GC; bytes per item`);
  keysSection(a);
  leasesSection(a);
  componentsSection(100_000, a.valueBytes);
  await Promise.resolve();
}
