/**
 * `npm run bench -- index-rehash [--keys 2097152] [--order sorted|random] [--rounds 3]
 *   [--store [--value-bytes 256] [--json]]` (issue 14): the longest single insert into the store's
 * key index as the key count grows, and what lookups cost.
 *
 * A V8 `Map` grows by doubling: the insert that fills it allocates a table twice the size and
 * rehashes every entry, so one put pays for all the keys (hundreds of ms at a million keys, seconds
 * at four). Keys are the store's binary strings, 24 bytes (`/bench/key/` + 13 digits), inserted in
 * key order (as a load or a restore does) or shuffled.
 *
 * Without `--store`: the bare index, as the store's `TreeIndex` (tree-index.ts, the index since
 * issue 14), a single JS `Map` (the index before) and `ShardedKeyMap` (bench/sharded-key-map.ts,
 * the alternative measured and not adopted). The variants run interleaved, `--rounds` times each;
 * the table prints the worst round's longest insert and the median round's times.
 *
 * With `--store`: the whole `MvccStore` (one process, one build): puts of `--value-bytes` values,
 * each timed, then point reads, a full scan, a snapshot and a restore from it, with the CPU time of
 * each phase and the GC pauses seen. To compare two builds, run this file from each build's dist,
 * alternating (docs/performance.md, "The key index's rehash stall"); `--json` prints one line.
 */
import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { ShardedKeyMap } from './sharded-key-map.js';
import { ArgReader } from './args.js';
import { xorshift } from './stats.js';
import { MvccStore } from '../server/mvcc/index.js';
import { TreeIndex } from '../server/mvcc/tree-index.js';

const USAGE =
  'usage: npm run bench -- index-rehash [--keys N] [--order sorted|random] [--rounds N] [--store [--value-bytes N] [--json]]';

interface KeyMapLike {
  get(key: string): unknown;
  set(key: string, value: unknown): unknown;
  readonly size: number;
}

interface Round {
  /** longest single insert, ms, and the key count it happened at */
  readonly maxInsertMs: number;
  readonly maxAt: number;
  /** inserts that took ≥ 10 ms */
  readonly slowInserts: number;
  readonly insertNsPerOp: number;
  readonly getInOrderNsPerOp: number;
  readonly getRandomNsPerOp: number;
}

const keyText = (i: number): string => `/bench/key/${String(i).padStart(13, '0')}`;

/** Key numbers 0..n-1 in key order or shuffled (the same shuffle every run). */
function makeOrder(n: number, order: 'sorted' | 'random'): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  if (order === 'random') {
    const rnd = xorshift(7);
    for (let i = n - 1; i > 0; i--) {
      const j = rnd() % (i + 1);
      const t = out[i] as number;
      out[i] = out[j] as number;
      out[j] = t;
    }
  }
  return out;
}

/** Runs `body(i)` for i in 0..n-1, timing each call: the longest, the count it ended at, the slow ones. */
function timeEach(
  n: number,
  body: (i: number) => void,
): { maxMs: number; maxAt: number; slow10: number; slow50: number } {
  let maxMs = 0;
  let maxAt = 0;
  let slow10 = 0;
  let slow50 = 0;
  let prev = performance.now();
  for (let i = 0; i < n; i++) {
    body(i);
    const now = performance.now();
    const d = now - prev;
    prev = now;
    if (d > maxMs) {
      maxMs = d;
      maxAt = i + 1;
    }
    if (d >= 10) slow10++;
    if (d >= 50) slow50++;
  }
  return { maxMs, maxAt, slow10, slow50 };
}

function round(make: () => KeyMapLike, keys: readonly string[], probe: readonly string[]): Round {
  const m = make();
  const t0 = performance.now();
  const longest = timeEach(keys.length, (i) => m.set(keys[i] as string, i));
  const insertNsPerOp = ((performance.now() - t0) * 1e6) / keys.length;
  let found = 0;
  const g0 = performance.now();
  for (const k of keys) if (m.get(k) !== undefined) found++;
  const getInOrderNsPerOp = ((performance.now() - g0) * 1e6) / keys.length;
  const r0 = performance.now();
  for (const k of probe) if (m.get(k) !== undefined) found++;
  const getRandomNsPerOp = ((performance.now() - r0) * 1e6) / probe.length;
  if (found !== keys.length + probe.length) throw new Error(`index-rehash: lost keys (${found})`);
  return {
    maxInsertMs: longest.maxMs,
    maxAt: longest.maxAt,
    slowInserts: longest.slow10,
    insertNsPerOp,
    getInOrderNsPerOp,
    getRandomNsPerOp,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

async function bareIndex(n: number, order: 'sorted' | 'random', rounds: number): Promise<void> {
  // Flat one-byte strings, as the store's keys are (a template literal makes a cons string, which
  // every compare or hash would flatten first).
  const keys = Array.from(makeOrder(n, order), (i) => Buffer.from(keyText(i), 'latin1').toString('latin1'));
  const rnd = xorshift(11);
  const probe = Array.from({ length: Math.min(n, 1_000_000) }, () => keys[rnd() % n] as string);
  const variants: [string, () => KeyMapLike][] = [
    ['Map', () => new Map<string, unknown>()],
    ['TreeIndex', () => new TreeIndex<unknown>()],
    ['ShardedKeyMap', () => new ShardedKeyMap<unknown>()],
  ];
  const results = new Map<string, Round[]>(variants.map(([name]) => [name, []]));
  for (let i = 0; i < rounds; i++) {
    for (const [name, make] of variants) {
      const res = round(make, keys, probe);
      results.get(name)!.push(res);
      console.error(
        `  ${name} round ${i + 1}: longest insert ${res.maxInsertMs.toFixed(1)} ms at ${res.maxAt} keys, ` +
          `${res.slowInserts} ≥ 10 ms, insert ${res.insertNsPerOp.toFixed(0)} ns, ` +
          `get in order ${res.getInOrderNsPerOp.toFixed(0)} ns, get random ${res.getRandomNsPerOp.toFixed(0)} ns`,
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const rows = variants.map(([name]) => {
    const rs = results.get(name)!;
    const worst = rs.reduce((a, b) => (b.maxInsertMs > a.maxInsertMs ? b : a));
    return {
      name,
      maxInsertMs: worst.maxInsertMs,
      maxAt: worst.maxAt,
      slow: Math.max(...rs.map((x) => x.slowInserts)),
      insert: median(rs.map((x) => x.insertNsPerOp)),
      getInOrder: median(rs.map((x) => x.getInOrderNsPerOp)),
      getRandom: median(rs.map((x) => x.getRandomNsPerOp)),
    };
  });
  const base = rows[0]!;
  console.log(`\n${n} keys, ${order} order, ${rounds} rounds (ratios: variant / Map)\n`);
  console.log(
    '| index | longest insert (ms) | at keys | inserts ≥ 10 ms | insert ns | get in order ns | get random ns |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const x of rows) {
    const ratio = (a: number, b: number): string => (x === base ? '' : ` (${(a / b).toFixed(2)}×)`);
    console.log(
      `| ${x.name} | ${x.maxInsertMs.toFixed(1)}${ratio(x.maxInsertMs, base.maxInsertMs)} | ${x.maxAt} | ${x.slow} | ` +
        `${x.insert.toFixed(0)}${ratio(x.insert, base.insert)} | ${x.getInOrder.toFixed(0)}${ratio(x.getInOrder, base.getInOrder)} | ` +
        `${x.getRandom.toFixed(0)}${ratio(x.getRandom, base.getRandom)} |`,
    );
  }
}

/** Wall and CPU milliseconds of `body`, with the GC pauses (not forced) seen meanwhile. */
async function phase<T>(
  body: () => T,
): Promise<{ value: T; ms: number; cpuMs: number; gcMs: number; gcMaxMs: number }> {
  const pauses: number[] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries() as PerformanceEntry[]) {
      const flags = ((e as { detail?: unknown }).detail as { flags?: number } | null)?.flags ?? 0;
      if ((flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0) pauses.push(e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = body();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  await new Promise((resolve) => setTimeout(resolve, 50));
  obs.disconnect();
  return {
    value,
    ms,
    cpuMs: (c.user + c.system) / 1000,
    gcMs: pauses.reduce((a, b) => a + b, 0),
    gcMaxMs: pauses.reduce((a, b) => Math.max(a, b), 0),
  };
}

async function wholeStore(
  n: number,
  order: 'sorted' | 'random',
  valueBytes: number,
  json: boolean,
): Promise<void> {
  const enc = new TextEncoder();
  const ids = makeOrder(n, order);
  const value = new Uint8Array(valueBytes).fill(0x61);
  const store = new MvccStore({ quotaBytes: 64 * 1024 ** 3 });
  const load = await phase(() =>
    timeEach(n, (i) => store.put({ key: enc.encode(keyText(ids[i] as number)), value })),
  );
  const { maxMs: maxPutMs, maxAt, slow10, slow50 } = load.value;
  const rnd = xorshift(11);
  const probes = Math.min(n, 1_000_000);
  const probeKeys = Array.from({ length: probes }, () => enc.encode(keyText(rnd() % n)));
  const get = await phase(() => {
    let found = 0;
    for (const key of probeKeys) found += store.range({ key }).count;
    return found;
  });
  if (get.value !== probes) throw new Error('index-rehash: lost keys');
  const scan = await phase(() => {
    let count = 0;
    store.forEachLive(() => count++);
    return count;
  });
  const snap = await phase(() => store.snapshot());
  const restored = new MvccStore({ quotaBytes: 64 * 1024 ** 3 });
  const restore = await phase(() => restored.restore(snap.value));
  if (restored.hash() !== store.hash()) throw new Error('index-rehash: the restored store differs');
  const out = {
    keys: n,
    order,
    valueBytes,
    maxPutMs: +maxPutMs.toFixed(1),
    maxAt,
    slow10,
    slow50,
    putUs: +((load.ms * 1000) / n).toFixed(2),
    putCpuUs: +((load.cpuMs * 1000) / n).toFixed(2),
    loadGcMaxMs: +load.gcMaxMs.toFixed(1),
    getUs: +((get.ms * 1000) / probes).toFixed(3),
    scanNsPerKey: +((scan.ms * 1e6) / n).toFixed(0),
    snapshotMs: Math.round(snap.ms),
    snapshotCpuMs: Math.round(snap.cpuMs),
    snapshotGcMs: Math.round(snap.gcMs),
    restoreMs: Math.round(restore.ms),
    restoreCpuMs: Math.round(restore.cpuMs),
    restoreGcMs: Math.round(restore.gcMs),
    snapshotMB: +(snap.value.length / 1e6).toFixed(1),
  };
  if (json) console.log(JSON.stringify(out));
  else for (const [k, v] of Object.entries(out)) console.log(`  ${k.padEnd(16)} ${v}`);
}

export async function run(argv: string[]): Promise<void> {
  let n = 2 ** 21;
  let order: 'sorted' | 'random' = 'sorted';
  let rounds = 3;
  let storeMode = false;
  let valueBytes = 256;
  let json = false;
  const r = new ArgReader(argv, USAGE);
  for (let flag = r.flag(); flag !== undefined; flag = r.flag()) {
    if (flag === '--keys') n = r.integer(flag);
    else if (flag === '--order') {
      const v = r.value(flag);
      if (v !== 'sorted' && v !== 'random') throw new Error(USAGE);
      order = v;
    } else if (flag === '--rounds') rounds = r.integer(flag);
    else if (flag === '--store') storeMode = true;
    else if (flag === '--value-bytes') valueBytes = r.integer(flag);
    else if (flag === '--json') json = true;
    else throw r.unknown(flag);
  }
  if (storeMode) await wholeStore(n, order, valueBytes, json);
  else await bareIndex(n, order, rounds);
}
