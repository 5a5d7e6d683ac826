/**
 * `npm run bench -- mvcc [--keys 100000,1000000] [--ops 100000] [--value-bytes 64]`
 *
 * Applies/s of the state machine (typed commands, and through the binary codec) for puts, txns
 * (compare version + put) and range reads (one key, and 100-key prefix scans), over stores of
 * 100k and 1M keys; memory per key after loading. Single-threaded and in-process: this measures
 * the apply path only, no Raft, no disk. Run node with --expose-gc for steadier memory numbers.
 * Range reads read the key and value bytes of every result, as encoding the response does (the
 * store holds them as strings and builds the bytes on read: docs/storage.md, "Memory
 * representation"). Per size, the GC pauses seen meanwhile (perf_hooks): count, total, longest.
 * Every timing also prints its CPU time (process.cpuUsage), the number to compare on a shared machine.
 */
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { StateMachine, encodeCommand, type Command } from '../server/apply/index.js';
import { prefixEnd, type RangeResponse } from '../server/mvcc/index.js';

interface Args {
  keys: number[];
  ops: number;
  valueBytes: number;
}

function parse(args: string[]): Args {
  const out: Args = { keys: [100_000, 1_000_000], ops: 100_000, valueBytes: 64 };
  for (let i = 0; i < args.length; i += 2) {
    const v = args[i + 1] ?? '';
    if (args[i] === '--keys') out.keys = v.split(',').map(Number);
    else if (args[i] === '--ops') out.ops = Number(v);
    else if (args[i] === '--value-bytes') out.valueBytes = Number(v);
    else throw new Error(`bench mvcc: unknown option ${args[i]}`);
  }
  if (out.keys.some((k) => !(k > 0)) || !(out.ops > 0) || !(out.valueBytes >= 0))
    throw new Error('bench mvcc: bad options');
  return out;
}

const enc = new TextEncoder();
const keyOf = (i: number): Uint8Array => enc.encode(`bench/${String(i).padStart(8, '0')}`);

/** A deterministic permutation step (LCG) so keys are not inserted in order. */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) g();
}

function usedBytes(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** CPU milliseconds (user + system) since `since` (process.cpuUsage()). */
function cpuMsSince(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
}

/**
 * Runs `body` n times; prints the rate by wall time and the CPU time per op (steadier than the
 * wall time on a shared machine: other processes' time is not counted).
 */
function timeIt(label: string, n: number, body: (i: number) => void): void {
  const c0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) body(i);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpuUs = (cpuMsSince(c0) * 1000) / n;
  console.log(
    `  ${label.padEnd(36)} ${Math.round((n / ms) * 1000)
      .toLocaleString('en-US')
      .padStart(
        12,
      )} /s   (${n.toLocaleString('en-US')} in ${ms.toFixed(0)} ms; CPU ${cpuUs.toFixed(2)} µs/op)`,
  );
}

/** Prints the wall and CPU time of one step. */
function timeOnce<T>(label: string, body: () => T, note = ''): T {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = body();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(
    `  ${label.padEnd(36)} ${ms.toFixed(0).padStart(12)} ms   (CPU ${cpuMsSince(c0).toFixed(0)} ms)${note}`,
  );
  return value;
}

/** What encoding a response reads: every key's and value's bytes. */
function consume(r: RangeResponse): number {
  let n = 0;
  for (const kv of r.kvs) n += kv.key.length + kv.value.length;
  return n;
}

/**
 * GC pauses while `body` runs, except those it forces with gc() to measure memory (entries arrive
 * asynchronously: awaited after it).
 */
async function withGcPauses(label: string, body: () => void): Promise<void> {
  const pauses: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as PerformanceEntry[]) {
      const flags = ((e as { detail?: unknown }).detail as { flags?: number } | null)?.flags ?? 0;
      if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0) pauses.push(e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  body();
  await new Promise((resolve) => setTimeout(resolve, 50));
  obs.disconnect();
  const total = pauses.reduce((a, b) => a + b, 0);
  const max = pauses.reduce((a, b) => Math.max(a, b), 0);
  console.log(
    `  GC during ${label}: ${pauses.length} pauses, ${total.toFixed(0)} ms in all, longest ${max.toFixed(1)} ms`,
  );
}

function benchSize(keys: number, args: Args): void {
  console.log(`\n${keys.toLocaleString('en-US')} keys, ${args.valueBytes}-byte values`);
  gc();
  const before = usedBytes();
  const sm = new StateMachine({ mvcc: { quotaBytes: 64 * 1024 * 1024 * 1024 } });
  const value = new Uint8Array(args.valueBytes).fill(7);
  const next = lcg(keys);
  let index = 0;
  timeIt('load: put (new keys, shuffled)', keys, () => {
    sm.apply(++index, { type: 'put', request: { key: keyOf(next() % keys), value } });
  });
  // Fill the gaps the shuffled load left, so the store holds exactly `keys` keys.
  for (let i = 0; i < keys; i++) {
    if (sm.store.indexedKeyCount >= keys) break;
    const key = keyOf(i);
    if (sm.range({ key, countOnly: true }).count === 0)
      sm.apply(++index, { type: 'put', request: { key, value } });
  }
  gc();
  const perKey = (usedBytes() - before) / sm.store.indexedKeyCount;
  console.log(
    `  memory per key (with history)         ${perKey.toFixed(0).padStart(12)} bytes  (heap + buffers, ${sm.store.indexedKeyCount.toLocaleString('en-US')} keys)`,
  );

  const rnd = lcg(42);
  const n = args.ops;
  // Keys for the measured ops are made up front, so the timings are the store's, not TextEncoder's.
  const opKeys = Array.from({ length: n }, () => keyOf(rnd() % keys));
  const randomKey = (i: number): Uint8Array => opKeys[i % n] as Uint8Array;
  timeIt('put (overwrite, typed)', n, (i) => {
    sm.apply(++index, { type: 'put', request: { key: randomKey(i), value } });
  });
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < n; i++)
    encoded.push(encodeCommand({ type: 'put', request: { key: keyOf(rnd() % keys), value } }));
  timeIt('put (overwrite, decode + apply)', n, (i) => {
    sm.applyEntry(++index, encoded[i] as Uint8Array);
  });
  timeIt('txn (compare version, put)', n, (i) => {
    const key = randomKey(i + 7);
    const cmd: Command = {
      type: 'txn',
      request: {
        compare: [{ key, target: 'version', result: 'greater', value: 0 }],
        success: [{ type: 'put', request: { key, value } }],
        failure: [],
      },
    };
    sm.apply(++index, cmd);
  });
  let read = 0;
  timeIt('range (one key, bytes read)', n, (i) => {
    read += consume(sm.range({ key: randomKey(i + 13) }));
  });
  const scans = Math.max(1, Math.floor(n / 20));
  timeIt('range (100-key prefix scan, bytes read)', scans, () => {
    const start = Math.floor((rnd() % keys) / 100) * 100;
    const prefix = enc.encode(`bench/${String(start).padStart(8, '0').slice(0, 6)}`);
    read += consume(sm.range({ key: prefix, rangeEnd: prefixEnd(prefix) }));
  });
  if (read === 0) throw new Error('bench mvcc: the ranges read nothing');
  // Watchers: 1,000 single-key watchers and 1,000 watchers over 10 distinct prefixes, drained
  // after every put as an API session would.
  const ids: number[] = [];
  for (let i = 0; i < 1000; i++) ids.push(sm.watchable.watch({ key: randomKey(i * 3) }));
  for (let i = 0; i < 1000; i++) {
    const prefix = enc.encode(`bench/0000${i % 10}`);
    ids.push(sm.watchable.watch({ key: prefix, rangeEnd: prefixEnd(prefix) }));
  }
  for (const id of ids) sm.watchable.take(id);
  timeIt('put with 2,000 watchers (drained)', n, (i) => {
    sm.apply(++index, { type: 'put', request: { key: randomKey(i), value } });
    for (const id of sm.watchable.pendingWatchIds()) sm.watchable.take(id);
  });
  for (const id of ids) sm.watchable.cancel(id);
  timeOnce('compact all history (in apply)', () =>
    sm.apply(++index, { type: 'compact', revision: sm.store.currentRevision }),
  );
  // The history itself goes in batches on the member's ticks (bench/compaction.ts): drop it all.
  timeOnce('drop the compacted history (batches)', () => {
    while (sm.store.dropCompactedBatch());
  });
  gc();
  const compacted = (usedBytes() - before) / sm.store.indexedKeyCount;
  console.log(`  memory per key (after compaction)     ${compacted.toFixed(0).padStart(12)} bytes`);
  const snap = timeOnce('snapshot', () => sm.snapshot());
  console.log(`  snapshot size                         ${(snap.length / 1e6).toFixed(1).padStart(12)} MB`);
  const restored = new StateMachine({ mvcc: { quotaBytes: 64 * 1024 * 1024 * 1024 } });
  timeOnce('restore from the snapshot', () => restored.restore(snap));
  if (restored.hash() !== sm.hash()) throw new Error('bench mvcc: the restored state differs');
}

export async function run(argv: string[]): Promise<void> {
  const args = parse(argv);
  console.log(`bench mvcc: node ${process.version}, ${args.ops.toLocaleString('en-US')} ops per measurement`);
  for (const keys of args.keys) {
    await withGcPauses(`${keys.toLocaleString('en-US')} keys`, () => benchSize(keys, args));
  }
}
