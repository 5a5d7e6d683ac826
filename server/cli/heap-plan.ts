/**
 * The V8 heap `concord serve` gives its member, decided at start from the space quota: the state
 * lives in the heap, so a heap smaller than the quota needs (mvcc/quota.ts, `heapBytesForQuota`)
 * would run out before the NOSPACE alarm fires. The member runs in a worker thread whose old
 * generation is sized by this plan (serve.ts), since a running isolate's limit cannot be raised.
 *
 * - An operator's `--max-old-space-size` (NODE_OPTIONS or node's command line) is kept as given
 *   (V8 applies it to every isolate anyway), with a warning when it is too small for the quota.
 * - Otherwise the heap is what the quota needs, never less than node's default, and never more
 *   than HEAP_MEMORY_FRACTION of the machine's memory (the rest is for what lives outside the
 *   heap: values' bytes, buffers, the OS' page cache). A quota the machine cannot hold gets a
 *   warning naming a quota that fits; the member's memory watchdog (member/heap-watchdog.ts) then
 *   raises NOSPACE before the smaller heap runs out.
 */
import {
  HEAP_BASE_BYTES,
  HEAP_BYTES_PER_QUOTA_BYTE,
  heapBytesForQuota,
  heapLimitWarning,
} from '../mvcc/quota.js';

/**
 * How far V8 lets the old generation grow past what the last full GC left alive before it collects
 * again, in percent (V8's `--heap-growing-percent`), unless the operator's node command line sets
 * it. V8's own policy grows a heap of 2 GB or more by up to 4× when the program promotes objects
 * faster than the collector marks them, which is the leader's case under writes: measured at 32 MiB
 * of values (docs/performance.md, "p99 and memory as the data grows"), the leader's heap reached
 * 2.8× its live size before each full GC (followers 1.2–1.4×), and RSS followed. A member's heap is
 * its database: it must stay near the live size, and the quota's heap plan assumes so. Each full GC
 * then marks the live heap once per half of it promoted, so its cost per write stays the same as
 * the data grows.
 */
export const HEAP_GROWING_PERCENT = 50;

/**
 * The V8 flag `concord serve` sets before its member's worker starts (serve.ts), or
 * undefined when the operator gave node `--heap-growing-percent` themselves (kept as given).
 */
export function heapGrowthFlag(operatorPercent: number | undefined): string | undefined {
  return operatorPercent === undefined ? `--heap-growing-percent=${HEAP_GROWING_PERCENT}` : undefined;
}

/**
 * Threads V8 may give to marking the old generation while the member's code runs (its
 * `--concurrent-marking-max-worker-num`; V8's default takes every thread of node's pool, 4), unless
 * the operator's node command line sets it. At 1 GiB of data a leader's full GC marks gigabytes:
 * with four markers beside it, the member's thread got a fifth of a 2-core machine for hundreds of
 * ms at a time and every put in flight waited (per-thread schedstat; docs/performance.md, "Four
 * markers beside the member's thread"). One marker keeps up (the heap stays near its live size)
 * and leaves the cores to the member. Read when an isolate's heap is set up, so it must be set
 * before the member's worker starts (serve.ts); the pool itself stays for the parallel phases.
 */
export const CONCURRENT_MARKING_WORKERS = 1;

/** The V8 flag `concord serve` sets before it starts its member, or undefined to keep the operator's. */
export function markingWorkersFlag(operatorGave: boolean): string | undefined {
  return operatorGave ? undefined : `--concurrent-marking-max-worker-num=${CONCURRENT_MARKING_WORKERS}`;
}

/**
 * The V8 flag that stops V8 from pacing a full GC's marking by wall time (its
 * `--incremental-marking-task`, on by default), or undefined when the operator's node command line
 * sets that flag either way. V8 11 (node 20) posts tasks that schedule the whole old generation to
 * be marked within 500 ms of wall time, whatever its size; what the concurrent marker has not marked
 * by then, the member's own thread marks at its next allocations, a few ms at a time, until the
 * cycle ends. With a store of gigabytes that schedule cannot be met, and the member's thread spent
 * most of its time marking through the leader's worst stalls at 1 GiB (docs/performance.md, "Every
 * scavenge walks the old generation"). Without the tasks, marking is paced by allocation alone and
 * the concurrent marker does the rest; the heap's limit still forces a cycle to finish in time.
 */
export function markingTaskFlag(operatorGave: boolean): string | undefined {
  return operatorGave ? undefined : '--no-incremental-marking-task';
}

/**
 * The member's young generation in MiB (its worker's `maxYoungGenerationSizeMb`; V8 makes it three
 * semi-spaces, so 48 is node's own 16 MiB semi-space, stated so the watchdog's arithmetic does not
 * depend on node's default), unless the operator's node command line sets `--max-semi-space-size`
 * (V8 then uses theirs). V8 11 (node 20) starts every scavenge by visiting the header of every
 * old-generation page, a step per 256 KiB of the store (~10 ms at 1 GiB of data), so a larger
 * semi-space (fewer scavenges for the same garbage) lowers a leader's GC time with a large store:
 * 32 MiB was the default while the leader promoted ~2.4 KB a put. Once it promoted a third less
 * (one abort signal per connection), 16 and 32 MiB gave the same worst puts at 1 GiB, 32 a third
 * less GC time, and 16 ~45 MiB less RSS for every member that has been busy, at any data size,
 * since V8 keeps grown semi-spaces committed (docs/performance.md, "The semi-space back to node's
 * default"). An operator with a store of gigabytes who wants the GC time back sets
 * `NODE_OPTIONS=--max-semi-space-size=32` (docs/operations.md, "Memory").
 */
export const YOUNG_GENERATION_MIB = 48;

/** The young generation `concord serve` gives its member, or undefined to keep the operator's flag. */
export function youngGenerationMiB(operatorSemiSpaceMiB: number | undefined): number | undefined {
  return operatorSemiSpaceMiB === undefined ? YOUNG_GENERATION_MIB : undefined;
}

/** The largest share of the machine's memory the member's heap is given on its own. */
export const HEAP_MEMORY_FRACTION = 0.75;

const MiB = 1024 * 1024;

export interface HeapPlanInput {
  readonly quotaBytes: number;
  /** Memory this process may use: the machine's, or its container's limit when lower. */
  readonly memoryBytes: number;
  /** The old-generation limit node gives an isolate when no flag sets one. */
  readonly defaultOldGenerationBytes: number;
  /** The `--max-old-space-size` (MiB) node was started with, if any. */
  readonly operatorOldSpaceMiB: number | undefined;
}

export interface HeapPlan {
  /** The member's old-generation limit in MiB (its worker's `maxOldGenerationSizeMb`). */
  readonly oldGenerationMiB: number;
  /**
   * operator: the operator's flag; quota: what the quota needs; memory: capped by the machine's
   * memory; default: node's default, which already suffices.
   */
  readonly source: 'operator' | 'quota' | 'memory' | 'default';
  /** Printed at start, one line each. */
  readonly warnings: readonly string[];
}

export function planHeap(input: HeapPlanInput): HeapPlan {
  const { quotaBytes, memoryBytes, operatorOldSpaceMiB } = input;
  if (operatorOldSpaceMiB !== undefined) {
    const warning = heapLimitWarning(quotaBytes, operatorOldSpaceMiB * MiB);
    return {
      oldGenerationMiB: operatorOldSpaceMiB,
      source: 'operator',
      warnings: warning === undefined ? [] : [warning],
    };
  }
  const needMiB = Math.ceil(heapBytesForQuota(quotaBytes) / MiB);
  const defaultMiB = Math.floor(input.defaultOldGenerationBytes / MiB);
  const capMiB = Math.floor((memoryBytes * HEAP_MEMORY_FRACTION) / MiB);
  if (needMiB <= defaultMiB) return { oldGenerationMiB: defaultMiB, source: 'default', warnings: [] };
  if (needMiB <= capMiB) return { oldGenerationMiB: needMiB, source: 'quota', warnings: [] };
  const oldGenerationMiB = Math.max(capMiB, defaultMiB);
  const fits = Math.floor((oldGenerationMiB * MiB - HEAP_BASE_BYTES) / HEAP_BYTES_PER_QUOTA_BYTE);
  const warning =
    `--quota-backend-bytes ${quotaBytes} needs about ${needMiB} MiB of V8 heap, more than this ` +
    `machine's ${Math.floor(memoryBytes / MiB)} MiB of memory can give (${HEAP_MEMORY_FRACTION * 100}%): ` +
    `the heap is limited to ${oldGenerationMiB} MiB and the NOSPACE alarm will fire when it is nearly ` +
    `full, before the quota is reached. Use a quota of at most ${Math.max(0, fits)} bytes, or a machine ` +
    `with at least ${Math.ceil(needMiB / HEAP_MEMORY_FRACTION)} MiB of memory`;
  return {
    oldGenerationMiB,
    source: oldGenerationMiB === defaultMiB ? 'default' : 'memory',
    warnings: [warning],
  };
}
