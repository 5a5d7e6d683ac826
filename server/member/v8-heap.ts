/**
 * What a member knows of its V8 heap: the flags that size it, the old generation's limit and use,
 * and full garbage collections. Shared by `concord serve`, which sizes the heap at start
 * (cli/heap-plan.ts), and the member's memory watchdog (heap-watchdog.ts).
 *
 * V8 fails with "heap out of memory" when the *old generation* cannot hold what survives a full
 * GC. `heap_size_limit` is that generation's limit plus the young generation's reserve (three
 * semi-spaces: 48 MiB by default on 64-bit), which is negligible for a heap of gigabytes but a third
 * of a 128 MiB one, so the watchdog compares the old generation with its own limit.
 */
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { resourceLimits } from 'node:worker_threads';

const MiB = 1024 * 1024;

/** V8's largest semi-space on 64-bit when no flag sets it (`--max-semi-space-size`, MiB). */
const DEFAULT_MAX_SEMI_SPACE_MIB = 16;

/** A flag on node's or V8's command line: its name with dashes, and its value after `=`, if any. */
interface GivenFlag {
  readonly name: string;
  readonly value: string | undefined;
}

/** A flag's name as V8 matches it: without its leading dashes, underscores read as dashes. */
const flagName = (name: string): string => name.replace(/^--/, '').replace(/_/g, '-');

/** The flags the process was started with, in the order node and V8 read them: NODE_OPTIONS first. */
function givenFlags(nodeOptions: string | undefined, execArgv: readonly string[]): GivenFlag[] {
  const flags: GivenFlag[] = [];
  for (const arg of [...(nodeOptions ?? '').split(/\s+/), ...execArgv]) {
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const name = flagName(eq < 0 ? arg : arg.slice(0, eq));
    flags.push({ name, value: eq < 0 ? undefined : arg.slice(eq + 1) });
  }
  return flags;
}

/**
 * Every value given to a V8 flag (`--name=value`, dashes or underscores) as the process was
 * started, in the order node and V8 read them: NODE_OPTIONS first, then the command line (the
 * last one wins).
 */
export function v8FlagValues(
  name: string,
  nodeOptions: string | undefined,
  execArgv: readonly string[],
): string[] {
  const wanted = flagName(name);
  const values: string[] = [];
  for (const flag of givenFlags(nodeOptions, execArgv)) {
    if (flag.name === wanted && flag.value !== undefined) values.push(flag.value);
  }
  return values;
}

/**
 * Whether a V8 boolean flag is given at all as the process was started: `--name`, `--no-name` or
 * `--name=value`, dashes or underscores, in NODE_OPTIONS or on the command line.
 */
export function v8BoolFlagGiven(
  name: string,
  nodeOptions: string | undefined,
  execArgv: readonly string[],
): boolean {
  const wanted = flagName(name);
  return givenFlags(nodeOptions, execArgv).some((f) => f.name === wanted || f.name === `no-${wanted}`);
}

/**
 * The value in MiB of a V8 size flag (`--max-old-space-size=N`) as the process was started: the
 * last valid one (see `v8FlagValues`). Undefined when no valid value is given.
 */
export function v8FlagMiB(
  name: string,
  nodeOptions: string | undefined,
  execArgv: readonly string[],
): number | undefined {
  const valid = v8FlagValues(name, nodeOptions, execArgv).filter((t) => /^\d+$/.test(t) && Number(t) > 0);
  return valid.length === 0 ? undefined : Number(valid[valid.length - 1]);
}

/** The flag in this process (NODE_OPTIONS and `process.execArgv`; a worker inherits both). */
export function processV8FlagMiB(name: string): number | undefined {
  return v8FlagMiB(name, process.env['NODE_OPTIONS'], process.execArgv);
}

/** Whether this process was started with the flag (`--name=value`), whatever its value. */
export function processV8FlagGiven(name: string): boolean {
  return v8FlagValues(name, process.env['NODE_OPTIONS'], process.execArgv).length > 0;
}

/** Whether this process was started with the boolean flag, on or off (see `v8BoolFlagGiven`). */
export function processV8BoolFlagGiven(name: string): boolean {
  return v8BoolFlagGiven(name, process.env['NODE_OPTIONS'], process.execArgv);
}

/**
 * The young generation's share of `heap_size_limit`: 3 semi-spaces (V8's MaxReserved). A
 * `--max-semi-space-size` flag wins over a worker's `maxYoungGenerationSizeMb` (V8 applies the
 * flag after the isolate's limits), which wins over node's default.
 */
export function youngGenerationReserveBytes(
  maxSemiSpaceMiB: number | undefined,
  workerYoungGenerationMiB?: number,
): number {
  if (maxSemiSpaceMiB !== undefined) return 3 * maxSemiSpaceMiB * MiB;
  return (workerYoungGenerationMiB ?? 3 * DEFAULT_MAX_SEMI_SPACE_MIB) * MiB;
}

/** The old generation's limit from `heap_size_limit` (never below half of it). */
export function oldGenerationLimitBytes(
  heapSizeLimitBytes: number,
  maxSemiSpaceMiB: number | undefined,
  workerYoungGenerationMiB?: number,
): number {
  return Math.max(
    heapSizeLimitBytes / 2,
    heapSizeLimitBytes - youngGenerationReserveBytes(maxSemiSpaceMiB, workerYoungGenerationMiB),
  );
}

/** The heap as the watchdog sees it (a port: tests give numbers of their own). */
export interface HeapProbe {
  /** `heap_size_limit`: old and young generation together. */
  readonly heapLimitBytes: number;
  /** Past this the isolate fails with "heap out of memory". */
  readonly oldGenerationLimitBytes: number;
  /** Old-generation bytes in use now: what is live plus garbage no full GC has collected yet. */
  oldGenerationUsedBytes(): number;
  /** Calls `listener` after each full (mark-compact) GC; returns how to stop. */
  onFullGc(listener: () => void): () => void;
}

/** This isolate's heap (the main thread's, or the worker's a member runs in). */
export function v8HeapProbe(): HeapProbe {
  const heapLimitBytes = getHeapStatistics().heap_size_limit;
  return {
    heapLimitBytes,
    oldGenerationLimitBytes: oldGenerationLimitBytes(
      heapLimitBytes,
      processV8FlagMiB('max-semi-space-size'),
      // In the worker `concord serve` runs its member in: the young generation it was given.
      resourceLimits.maxYoungGenerationSizeMb,
    ),
    oldGenerationUsedBytes: () => {
      let used = 0;
      for (const space of getHeapSpaceStatistics())
        if (!space.space_name.startsWith('new_')) used += space.space_used_size;
      return used;
    },
    onFullGc: (listener) => {
      // Node reports every GC as a `gc` performance entry, after it ran (the callback is deferred).
      const observer = new PerformanceObserver((list) => {
        const full = list
          .getEntries()
          .some(
            (e) => (e as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR,
          );
        if (full) listener();
      });
      observer.observe({ entryTypes: ['gc'] });
      return () => observer.disconnect();
    },
  };
}
