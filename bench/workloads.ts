/**
 * The workloads of the comparison, each bounded by `durationMs`. Every workload takes a connected
 * Driver (and the Target for failover) and returns Samples (without target/repeat, added by the
 * suite).
 */
import { performance } from 'node:perf_hooks';
import { clientLibrary, openDriver, type Driver } from './drivers.js';
import { Better, percentile, xorshift, type Sample } from './stats.js';
import type { Target, TargetOptions } from './targets.js';
import { unavailabilityMs } from './failover.js';

export type Measured = Omit<Sample, 'target' | 'repeat'>;

export interface WorkloadContext {
  readonly driver: Driver;
  readonly target: Target;
  readonly durationMs: number;
  /** distinguishes the keys of one run from another's on the same cluster */
  readonly runId: string;
  readonly log: (line: string) => void;
}

export interface Workload {
  readonly name: string;
  readonly run: (ctx: WorkloadContext) => Promise<Measured[]>;
  /**
   * Settings this workload needs its cluster started with (e.g. a small `--snapshot-count`); the
   * suite then runs it on a fresh cluster of its own, so the other rows keep the default one.
   */
  readonly cluster?: Pick<TargetOptions, 'snapshotCount'>;
}

export interface LoopResult {
  readonly ops: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly firstError?: unknown;
}

/**
 * A closed loop: `concurrency` workers call `op` back to back until `durationMs` passed. Ops that
 * finish after the deadline are not counted.
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  op: (worker: number, seq: number, deadline: number) => Promise<void>,
): Promise<LoopResult> {
  const start = performance.now();
  const deadline = start + durationMs;
  const latenciesMs: number[] = [];
  let ops = 0;
  let errors = 0;
  let firstError: unknown;
  let seq = 0;
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      try {
        await op(w, seq++, deadline);
        const t1 = performance.now();
        if (t1 <= deadline) {
          ops++;
          latenciesMs.push(t1 - t0);
        }
      } catch (e) {
        errors++;
        firstError ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const result: LoopResult = {
    ops,
    errors,
    elapsedMs: Math.min(performance.now(), deadline) - start,
    latenciesMs,
  };
  return firstError === undefined ? result : { ...result, firstError };
}

export interface CountedResult extends LoopResult {
  /** the longest time an op took to fail (0 when none failed): a timed-out put is a stall too */
  readonly maxFailedMs: number;
}

/**
 * `count` ops (seq 0..count-1), `concurrency` of them in flight at any time; failed ops are
 * counted, not retried. Latencies are those of the ops that succeeded.
 */
export async function countedLoop(
  concurrency: number,
  count: number,
  op: (seq: number) => Promise<void>,
): Promise<CountedResult> {
  const start = performance.now();
  const latenciesMs: number[] = [];
  let ops = 0;
  let errors = 0;
  let maxFailedMs = 0;
  let firstError: unknown;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const seq = next++;
      const t0 = performance.now();
      try {
        await op(seq);
        ops++;
        latenciesMs.push(performance.now() - t0);
      } catch (e) {
        errors++;
        maxFailedMs = Math.max(maxFailedMs, performance.now() - t0);
        firstError ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const result: CountedResult = {
    ops,
    errors,
    elapsedMs: performance.now() - start,
    latenciesMs,
    maxFailedMs,
  };
  return firstError === undefined ? result : { ...result, firstError };
}

const perSec = (n: number, ms: number): number => (ms > 0 ? (n * 1000) / ms : NaN);
const hi = (workload: string, metric: string, unit: string, value: number): Measured => ({
  workload,
  metric,
  unit,
  better: Better.Higher,
  value,
});
const lo = (workload: string, metric: string, unit: string, value: number): Measured => ({
  workload,
  metric,
  unit,
  better: Better.Lower,
  value,
});

function checkErrors(ctx: WorkloadContext, name: string, r: LoopResult): void {
  if (r.errors > 0)
    ctx.log(`  ${ctx.driver.target} ${name}: ${r.errors} errors, first: ${String(r.firstError)}`);
}

const KEY_SPACE = 10_000;
const VALUE_BYTES = 256;

function value(rand: () => number): Uint8Array {
  const v = new Uint8Array(VALUE_BYTES);
  for (let i = 0; i < VALUE_BYTES; i += 4) v[i] = rand() & 0xff;
  return v;
}

export function putWorkload(concurrency: number): Workload {
  const name = `put-${concurrency}`;
  return {
    name,
    run: async (ctx) => {
      const rand = xorshift(concurrency * 7919 + 1);
      const val = value(rand);
      const cpuBefore = ctx.target.cpu();
      const r = await closedLoop(concurrency, ctx.durationMs, () =>
        ctx.driver.put(`bench/kv/${(rand() % KEY_SPACE).toString().padStart(5, '0')}`, val),
      );
      const cpuAfter = ctx.target.cpu();
      checkErrors(ctx, name, r);
      const out = [hi(name, 'throughput', 'ops/s', perSec(r.ops, r.elapsedMs))];
      if (concurrency === 1) {
        out.push(lo(name, 'latency p50', 'ms', percentile(r.latenciesMs, 50)));
        // Less noisy than latency on a loaded machine, and what a put's latency there grows with
        // (docs/performance.md, "put-1 under load"): the busiest member is the leader.
        const used = Object.keys(cpuAfter).map((m) => (cpuAfter[m] ?? NaN) - (cpuBefore[m] ?? NaN));
        out.push(lo(name, 'leader CPU per put', 'ms', r.ops > 0 ? Math.max(...used) / r.ops : NaN));
      }
      out.push(lo(name, 'latency p99', 'ms', percentile(r.latenciesMs, 99)));
      return out;
    },
  };
}

export function getWorkload(concurrency: number, serializable: boolean): Workload {
  const name = `get-${serializable ? 'ser' : 'lin'}-${concurrency}`;
  return {
    name,
    run: async (ctx) => {
      const rand = xorshift(concurrency * 104729 + (serializable ? 2 : 3));
      const r = await closedLoop(concurrency, ctx.durationMs, () =>
        ctx.driver.get(`bench/kv/${(rand() % KEY_SPACE).toString().padStart(5, '0')}`, serializable),
      );
      checkErrors(ctx, name, r);
      const out = [hi(name, 'throughput', 'ops/s', perSec(r.ops, r.elapsedMs))];
      if (concurrency === 1) out.push(lo(name, 'latency p50', 'ms', percentile(r.latenciesMs, 50)));
      return out;
    },
  };
}

/** 16 contenders compare-and-swap one hot key on its modRevision. */
export function casWorkload(contenders: number): Workload {
  const name = `txn-cas-${contenders}`;
  return {
    name,
    run: async (ctx) => {
      const key = `bench/cas/${ctx.runId}`;
      const val = value(xorshift(5));
      await ctx.driver.put(key, val);
      let conflicts = 0;
      const known = Array.from({ length: contenders }, () => 0);
      const r = await closedLoop(contenders, ctx.durationMs, async (w, _seq, deadline) => {
        while (performance.now() < deadline) {
          const res = await ctx.driver.cas(key, known[w]!, val);
          known[w] = res.modRev;
          if (res.ok) return;
          conflicts++;
        }
      });
      checkErrors(ctx, name, r);
      return [
        hi(name, 'successes', 'ops/s', perSec(r.ops, r.elapsedMs)),
        lo(name, 'conflicts per success', 'n', r.ops > 0 ? conflicts / r.ops : NaN),
      ];
    },
  };
}

/**
 * `watchers` watches on one prefix (one client), one writer (another client) putting back to back;
 * each value carries the send time, so every delivery gives a put-to-delivery latency.
 */
/**
 * Watchers per client in the fan-out workload: Concord puts all of them on one connection (the
 * per-connection limit is 1024 watches); etcd3 keeps at most 500 per client, as before, so its side
 * of the comparison is unchanged.
 */
export const WATCHERS_PER_CLIENT = { 'concord-sdk': 1000, etcd3: 500 } as const;

export function watchWorkload(watchers: number): Workload {
  const name = `watch-${watchers}`;
  return {
    name,
    run: async (ctx) => {
      const prefix = `bench/watch/${ctx.runId}/${watchers}/`;
      const latencies: number[] = [];
      let delivered = 0;
      const onPut = (v: Uint8Array): void => {
        const sentAt = new DataView(v.buffer, v.byteOffset, v.byteLength).getFloat64(0);
        latencies.push(performance.now() - sentAt);
        delivered++;
      };
      // The watchers use fresh clients, at most WATCHERS_PER_CLIENT each (one connection for
      // Concord, one watch stream for etcd3); the writer is another client.
      const perClient = WATCHERS_PER_CLIENT[clientLibrary(ctx.driver)];
      const watching = Array.from({ length: Math.ceil(watchers / perClient) }, () =>
        openDriver(ctx.driver.target, ctx.target.clientUrls, { client: ctx.driver.client }),
      );
      const writer = openDriver(ctx.driver.target, ctx.target.clientUrls, { client: ctx.driver.client });
      const cancels: (() => Promise<void>)[] = [];
      try {
        for (let i = 0; i < watchers; i += 50) {
          const batch = Math.min(50, watchers - i);
          const client = watching[Math.floor(i / perClient)]!;
          cancels.push(
            ...(await Promise.all(Array.from({ length: batch }, () => client.watchPrefix(prefix, onPut)))),
          );
        }
        let n = 0;
        const r = await closedLoop(1, ctx.durationMs, async () => {
          const v = new Uint8Array(64);
          new DataView(v.buffer).setFloat64(0, performance.now());
          await writer.put(`${prefix}${n++ % 100}`, v);
        });
        checkErrors(ctx, name, r);
        // Let the last deliveries arrive (bounded).
        const expected = r.ops * watchers;
        const drainUntil = performance.now() + 5_000;
        while (delivered < expected && performance.now() < drainUntil)
          await new Promise((res) => setTimeout(res, 10));
        const deliveredAll = delivered;
        if (deliveredAll < expected)
          ctx.log(`  ${ctx.driver.target} ${name}: ${deliveredAll}/${expected} deliveries`);
        return [
          hi(name, 'deliveries', 'events/s', perSec(deliveredAll, r.elapsedMs)),
          lo(name, 'put→delivery p50', 'ms', percentile(latencies, 50)),
          lo(name, 'put→delivery p99', 'ms', percentile(latencies, 99)),
        ];
      } finally {
        await writer.close();
        await Promise.all(cancels.map((c) => c()));
        await Promise.all(watching.map((w) => w.close()));
      }
    },
  };
}

export function leaseWorkload(concurrency: number): Workload {
  const name = `lease-${concurrency}`;
  return {
    name,
    run: async (ctx) => {
      const r = await closedLoop(concurrency, ctx.durationMs, () => ctx.driver.leaseCycle(60));
      checkErrors(ctx, name, r);
      return [hi(name, 'grant+keepalive+revoke', 'cycles/s', perSec(r.ops, r.elapsedMs))];
    },
  };
}

/**
 * One acquire/release cycle of etcd's mutex algorithm (clientv3/concurrency.Mutex): create my key
 * under the prefix with my lease; the owner is the oldest key; otherwise wait until every older
 * key is deleted; release = delete my key.
 */
export async function lockCycle(driver: Driver, prefix: string, leaseId: string): Promise<void> {
  const t = await driver.lockEnqueue(prefix, leaseId);
  if (t.ownerRev !== t.myRev) {
    for (;;) {
      const older = await driver.lastBefore(prefix, t.myRev - 1);
      if (older === undefined) break;
      await driver.waitDelete(older.key, older.revision + 1);
    }
  }
  await driver.del(t.myKey);
}

export function lockWorkload(contenders: number): Workload {
  const name = `lock-${contenders}`;
  return {
    name,
    run: async (ctx) => {
      const prefix = `bench/lock/${ctx.runId}/${contenders}/`;
      const leases = await Promise.all(Array.from({ length: contenders }, () => ctx.driver.grant(60)));
      const r = await closedLoop(contenders, ctx.durationMs, (w) =>
        lockCycle(ctx.driver, prefix, leases[w]!),
      );
      checkErrors(ctx, name, r);
      return [hi(name, 'acquire+release', 'cycles/s', perSec(r.ops, r.elapsedMs))];
    },
  };
}

/**
 * kill -9 of the leader while one client writes back to back, measured as `npm run bench -- failover`
 * measures it (failover.ts `unavailabilityMs`); the member is restarted after.
 */
export const failoverWorkload: Workload = {
  name: 'failover',
  run: async (ctx) => {
    if (ctx.target.members.length < 3) return [];
    const ms = await unavailabilityMs(ctx.target, ctx.driver.target, ctx.driver.client, 'SIGKILL', ctx.log);
    return [lo('failover', 'unavailability after kill -9 of leader', 'ms', ms)];
  },
};

/** `--snapshot-count` of both targets in the snapshot-put-64 row. */
export const SNAPSHOT_ROW_COUNT = 5_000;

/**
 * put-64 of distinct keys on a cluster that snapshots every `snapshotCount` entries, for
 * 4 × snapshotCount puts: every member cuts at least three snapshots of a growing state while the
 * puts run. The row is the longest put (a failed put counts with its time to fail).
 */
export function snapshotPutWorkload(concurrency = 64, snapshotCount = SNAPSHOT_ROW_COUNT): Workload {
  const name = `snapshot-put-${concurrency}`;
  return {
    name,
    cluster: { snapshotCount },
    run: async (ctx) => {
      const val = value(xorshift(concurrency * 31 + 7));
      const before = await ctx.target.snapshotsTaken(await ctx.target.waitForLeader());
      const r = await countedLoop(concurrency, 4 * snapshotCount, (seq) =>
        ctx.driver.put(`bench/snap/${ctx.runId}/${seq.toString().padStart(7, '0')}`, val),
      );
      checkErrors(ctx, name, r);
      const leader = await ctx.target.waitForLeader();
      ctx.log(
        `  ${ctx.driver.target} ${name}: leader ${leader.name} took ${(await ctx.target.snapshotsTaken(leader)) - before} snapshot(s)`,
      );
      const maxOk = r.latenciesMs.reduce((a, b) => Math.max(a, b), 0);
      return [
        lo(name, 'max latency', 'ms', Math.max(maxOk, r.maxFailedMs)),
        lo(name, 'latency p99', 'ms', percentile(r.latenciesMs, 99)),
        hi(name, 'throughput', 'ops/s', perSec(r.ops, r.elapsedMs)),
      ];
    },
  };
}

/** Every workload of `all`, in run order (failover last: it kills a member). */
export function allWorkloads(): Workload[] {
  return [
    putWorkload(1),
    putWorkload(16),
    putWorkload(64),
    putWorkload(256),
    getWorkload(1, false),
    getWorkload(64, false),
    getWorkload(1, true),
    getWorkload(64, true),
    casWorkload(16),
    watchWorkload(1),
    watchWorkload(100),
    watchWorkload(1000),
    leaseWorkload(16),
    lockWorkload(1),
    lockWorkload(8),
    snapshotPutWorkload(),
    failoverWorkload,
  ];
}
