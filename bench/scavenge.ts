/**
 * `npm run bench -- scavenge [--keys 4194304] [--steps 5] [--value-bytes 256] [--garbage-mb 800]`
 * (issue 14): what one young-generation GC (a scavenge) costs as the store grows.
 *
 * A member allocates tens of KB of short-lived objects a put (requests, frames, promises), so it
 * scavenges many times a second under load. V8 11 (node 20) starts every scavenge by walking the
 * header of every old-generation page (256 KiB each) to find the ones that point into the young
 * generation (`RememberedSet<OLD_TO_NEW>::IterateMemoryChunks` in `ScavengerCollector::
 * CollectGarbage`), so a scavenge costs a constant plus a step per page of the *old* generation:
 * the store's size. This bench fills one `MvccStore` with `--keys` puts of `--value-bytes` values
 * in `--steps` equal steps and, after each, allocates `--garbage-mb` of short-lived objects (as a
 * request path does) while timing every scavenge: the pages of the old generation, the scavenges,
 * their median and longest pause, and scavenge time per 100 MB allocated. docs/performance.md
 * ("Every scavenge walks the old generation") has the numbers and what they mean for a leader.
 */
import { constants, performance, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { ArgReader } from './args.js';
import { MvccStore } from '../server/mvcc/index.js';

const USAGE = 'usage: npm run bench -- scavenge [--keys N] [--steps N] [--value-bytes N] [--garbage-mb N]';
const MB = 1e6;
/** V8's regular page (MemoryChunk) size. */
const PAGE_BYTES = 256 * 1024;

interface ScavengeArgs {
  readonly keys: number;
  readonly steps: number;
  readonly valueBytes: number;
  readonly garbageMb: number;
}

function parse(argv: readonly string[]): ScavengeArgs {
  let keys = 4_194_304;
  let steps = 5;
  let valueBytes = 256;
  let garbageMb = 800;
  const r = new ArgReader(argv, USAGE);
  for (let flag = r.flag(); flag !== undefined; flag = r.flag()) {
    if (flag === '--keys') keys = r.integer(flag);
    else if (flag === '--steps') steps = r.integer(flag);
    else if (flag === '--value-bytes') valueBytes = r.integer(flag);
    else if (flag === '--garbage-mb') garbageMb = r.integer(flag);
    else throw r.unknown(flag);
  }
  if (steps < 1 || garbageMb < 1) throw new Error(USAGE);
  return { keys, steps, valueBytes, garbageMb };
}

/** Old-generation bytes V8 holds pages for (every space but the young ones). */
function oldGenerationCommittedBytes(): number {
  let bytes = 0;
  for (const s of getHeapSpaceStatistics())
    if (!s.space_name.startsWith('new_')) bytes += s.physical_space_size;
  return bytes;
}

/** Small objects that die young, about `mb` MB of them, in rounds of a request's size. */
function allocateGarbage(mb: number): number {
  let kept = 0;
  // ~40 B a property bag + ~30 B a string: about 100 B an element with the array's slot.
  const rounds = Math.ceil((mb * MB) / (1000 * 100));
  for (let r = 0; r < rounds; r++) {
    const batch: { n: number; s: string }[] = [];
    for (let j = 0; j < 1000; j++) batch.push({ n: j, s: `req/${r}/${j}` });
    kept += batch.length;
  }
  return kept;
}

export async function run(argv: string[]): Promise<void> {
  const a = parse(argv);
  const pauses: number[] = [];
  let counting = false;
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind;
      if (counting && kind === constants.NODE_PERFORMANCE_GC_MINOR) pauses.push(e.duration);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  // Entries are delivered after the GC, from a later task: wait one turn before reading them.
  const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

  const store = new MvccStore({ quotaBytes: 64 * 1024 ** 3 });
  const enc = new TextEncoder();
  const value = new Uint8Array(a.valueBytes).fill(0x76);
  console.log(
    `scavenge: ${a.keys.toLocaleString('en-US')} keys of ${a.valueBytes}-byte values in ${a.steps} steps; ` +
      `${a.garbageMb} MB of short-lived objects after each`,
  );
  console.log(
    '| keys | old generation (MiB) | its pages | scavenges | p50 pause (ms) | max pause (ms) | scavenge ms per 100 MB |',
  );
  console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  let loaded = 0;
  for (let step = 0; step <= a.steps; step++) {
    const target = Math.round((a.keys * step) / a.steps);
    for (; loaded < target; loaded++) {
      store.put({ key: enc.encode(`/bench/key/${String(loaded).padStart(13, '0')}`), value });
    }
    // Warm up (the load's own garbage and promotions settle), then measure.
    allocateGarbage(a.garbageMb / 4);
    await settle();
    pauses.length = 0;
    counting = true;
    const t0 = performance.now();
    allocateGarbage(a.garbageMb);
    const ms = performance.now() - t0;
    await settle();
    counting = false;
    const sorted = [...pauses].sort((x, y) => x - y);
    const total = sorted.reduce((s, x) => s + x, 0);
    const oldBytes = oldGenerationCommittedBytes();
    console.log(
      `| ${loaded.toLocaleString('en-US')} | ${(oldBytes / 2 ** 20).toFixed(0)} | ${Math.round(oldBytes / PAGE_BYTES)} | ` +
        `${sorted.length} | ${(sorted[sorted.length >> 1] ?? 0).toFixed(2)} | ${(sorted.at(-1) ?? 0).toFixed(1)} | ` +
        `${((total / a.garbageMb) * 100).toFixed(0)} (of ${ms.toFixed(0)} ms) |`,
    );
  }
  observer.disconnect();
  if (store.range({ key: enc.encode('/bench/key/0000000000000') }).count !== (a.keys > 0 ? 1 : 0)) {
    throw new Error('scavenge: the store lost its first key');
  }
}
