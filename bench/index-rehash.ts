/**
 * `npm run bench -- index-rehash [--keys 2097152] [--order sorted|random] [--rounds 3]` (issue 14):
 * the longest single insert into the store's key index as the key count grows, and what lookups
 * cost, for the index as a single JS `Map` and as `ShardedKeyMap` (bench/sharded-key-map.ts, a candidate not adopted: docs/performance.md).
 *
 * A V8 `Map` grows by doubling: the insert that fills it allocates a table twice the size and
 * rehashes every entry, so one put pays for all the keys (hundreds of ms at a million keys).
 * Keys are the store's binary strings, 24 bytes (`/bench/key/` + 13 digits), inserted in key order
 * (as a load or a restore does) or shuffled. The variants run interleaved, `--rounds` times each,
 * and the table prints the worst round's longest insert and the median round's times.
 */
import { performance } from 'node:perf_hooks';
import { ShardedKeyMap } from './sharded-key-map.js';
import { ArgReader } from './args.js';
import { xorshift } from './stats.js';

const USAGE = 'usage: npm run bench -- index-rehash [--keys N] [--order sorted|random] [--rounds N]';

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

function makeKeys(n: number, order: 'sorted' | 'random'): string[] {
  const keys: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) keys[i] = `/bench/key/${String(i).padStart(13, '0')}`;
  if (order === 'random') {
    const rnd = xorshift(7);
    for (let i = n - 1; i > 0; i--) {
      const j = rnd() % (i + 1);
      const t = keys[i] as string;
      keys[i] = keys[j] as string;
      keys[j] = t;
    }
  }
  return keys;
}

function round(make: () => KeyMapLike, keys: readonly string[], probe: readonly string[]): Round {
  const m = make();
  let maxInsertMs = 0;
  let maxAt = 0;
  let slowInserts = 0;
  const t0 = performance.now();
  let prev = t0;
  for (let i = 0; i < keys.length; i++) {
    m.set(keys[i] as string, i);
    const now = performance.now();
    const d = now - prev;
    prev = now;
    if (d > maxInsertMs) {
      maxInsertMs = d;
      maxAt = i + 1;
    }
    if (d >= 10) slowInserts++;
  }
  const insertNsPerOp = ((performance.now() - t0) * 1e6) / keys.length;
  let found = 0;
  const g0 = performance.now();
  for (const k of keys) if (m.get(k) !== undefined) found++;
  const getInOrderNsPerOp = ((performance.now() - g0) * 1e6) / keys.length;
  const r0 = performance.now();
  for (const k of probe) if (m.get(k) !== undefined) found++;
  const getRandomNsPerOp = ((performance.now() - r0) * 1e6) / probe.length;
  if (found !== keys.length + probe.length) throw new Error(`index-rehash: lost keys (${found})`);
  return { maxInsertMs, maxAt, slowInserts, insertNsPerOp, getInOrderNsPerOp, getRandomNsPerOp };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

export async function run(argv: string[]): Promise<void> {
  let n = 2 ** 21;
  let order: 'sorted' | 'random' = 'sorted';
  let rounds = 3;
  const r = new ArgReader(argv, USAGE);
  for (let flag = r.flag(); flag !== undefined; flag = r.flag()) {
    if (flag === '--keys') n = r.integer(flag);
    else if (flag === '--order') {
      const v = r.value(flag);
      if (v !== 'sorted' && v !== 'random') throw new Error(USAGE);
      order = v;
    } else if (flag === '--rounds') rounds = r.integer(flag);
    else throw r.unknown(flag);
  }
  const keys = makeKeys(n, order);
  const rnd = xorshift(11);
  const probe = Array.from({ length: Math.min(n, 1_000_000) }, () => keys[rnd() % n] as string);
  const variants: [string, () => KeyMapLike][] = [
    ['Map', () => new Map<string, unknown>()],
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
