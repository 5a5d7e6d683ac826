/**
 * `npm run bench -- scale [--vs | --target concord|etcd] [--bytes 1GiB] [--chunk-keys 200000] ...`
 * (issue 14): grows a 3-member cluster's data set to `--bytes` of values, in chunks of distinct
 * keys written with `--in-flight` puts outstanding (fsync on, `--snapshot-count` for both targets,
 * so the load cuts many snapshots), and prints per chunk the throughput, p99 and max put latency.
 * After the load: each member's RSS, each data directory's size, the full-cluster restart time
 * (stop all, start all, until a linearizable read succeeds) and the catch-up time of a follower
 * that was down while `--catch-up-keys` keys were written (start it, until its revision equals the
 * leader's). The targets run one after the other, never together; the tables show both side by
 * side with the ratio Concord/etcd, and the results go to bench/results/<time>-scale.json.
 * docs/performance.md ("Scale (issue 14)") explains every column.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { machine, RESULTS_DIR } from './all.js';
import { openDriver } from './drivers.js';
import {
  chunkPlan,
  chunkTable,
  gcBetween,
  parseGcTotals,
  type GcTotals,
  parseScaleArgs,
  summaryTable,
  type ChunkRow,
  type ScaleArgs,
  type ScaleResult,
} from './scale-report.js';
import { percentile, xorshift, type TargetName } from './stats.js';
import { startStallTrace, STALL_TRACE_ENV } from './stall-trace.js';
import {
  ensureEtcd,
  startCluster,
  stopCluster,
  type BenchMember,
  type Cluster,
  type Target,
} from './targets.js';
import { countedLoop } from './workloads.js';

const MiB = 2 ** 20;
/** a chunk with more failed puts than this share stops the load (the cluster is not keeping up) */
const ABORT_ERROR_SHARE = 0.1;
/** how long a stopping member may take to exit after SIGTERM before it is killed */
const STOP_GRACE_MS = 120_000;
/**
 * how long the restart and the catch-up may take before they count as failed (NaN): at 256 MiB
 * Concord took 88 s and 145 s, and both grow with the data
 */
const RECOVERY_TIMEOUT_MS = 30 * 60_000;

/** What `--trace-stalls` preloads into each Concord member (bench/stall-trace-preload.ts). */
const STALL_PRELOAD = fileURLToPath(new URL('./stall-trace-preload.js', import.meta.url));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (o: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v / MiB]));

/** Polls `done` every 20 ms; the time until it held, or NaN after timeoutMs. */
async function timeUntil(done: () => Promise<boolean>, timeoutMs: number, since: number): Promise<number> {
  while (performance.now() - since < timeoutMs) {
    if (await done()) return performance.now() - since;
    await sleep(20);
  }
  return NaN;
}

/** The highest revision any live member reports (the leader's, once writes have stopped). */
async function clusterRevision(t: Target): Promise<number> {
  const st = await Promise.all(t.members.filter((m) => m.proc !== undefined).map((m) => t.memberStatus(m)));
  return Math.max(...st.map((s) => s?.revision ?? NaN).filter((r) => !Number.isNaN(r)));
}

async function leaderSnapshots(t: Target): Promise<number> {
  try {
    return await t.snapshotsTaken(await t.waitForLeader(30_000));
  } catch {
    return NaN;
  }
}

async function gcTotals(t: Target, m: BenchMember | undefined): Promise<GcTotals | undefined> {
  if (m === undefined) return undefined;
  try {
    const res = await fetch(`${m.clientUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    return res.ok ? parseGcTotals(t.name, await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

async function leaderOrUndefined(t: Target): Promise<BenchMember | undefined> {
  try {
    return await t.waitForLeader(30_000);
  } catch {
    return undefined;
  }
}

/**
 * `put`, timed on the wall clock when `--slow-put-ms` is set: a put at least that slow is written
 * as `slow put {"start","end","ms","key"}` (to line it up with the members' stall lines).
 */
function timedPut(
  put: (key: string, value: Uint8Array) => Promise<void>,
  slowMs: number | undefined,
  trace: (line: string) => void,
): (key: string, value: Uint8Array) => Promise<void> {
  if (slowMs === undefined) return put;
  return async (key, value) => {
    const w0 = Date.now();
    const t0 = performance.now();
    try {
      await put(key, value);
    } finally {
      const ms = performance.now() - t0;
      if (ms >= slowMs) {
        const end = new Date(w0 + ms).toISOString();
        trace(
          `slow put ${JSON.stringify({ start: new Date(w0).toISOString(), end, ms: Math.round(ms), key })}\n`,
        );
      }
    }
  };
}

/** Loads the chunks; stops early (and says why) when a chunk mostly fails. */
async function load(
  c: Cluster,
  a: ScaleArgs,
  log: (line: string) => void,
  trace: (line: string) => void,
): Promise<{ chunks: ChunkRow[]; aborted?: string }> {
  const rand = xorshift(0x5ca1e);
  const value = new Uint8Array(a.valueBytes);
  for (let i = 0; i < value.length; i++) value[i] = rand() & 0xff;
  const chunks: ChunkRow[] = [];
  const put = timedPut((k, v) => c.driver.put(k, v), a.slowPutMs, trace);
  let loaded = 0;
  for (const n of chunkPlan(Math.ceil(a.bytes / a.valueBytes), a.chunkKeys)) {
    const offset = loaded;
    const leader = await leaderOrUndefined(c.target);
    const gc0 = await gcTotals(c.target, leader);
    const r = await countedLoop(a.inFlight, n, (seq) =>
      put(`scale/${(offset + seq).toString().padStart(10, '0')}`, value),
    );
    loaded += n;
    const gc = gcBetween(gc0, await gcTotals(c.target, leader));
    const maxOk = r.latenciesMs.reduce((x, y) => Math.max(x, y), 0);
    const row: ChunkRow = {
      keys: loaded,
      valueMiB: (loaded * a.valueBytes) / MiB,
      seconds: r.elapsedMs / 1000,
      opsPerSec: (r.ops * 1000) / r.elapsedMs,
      p50Ms: percentile(r.latenciesMs, 50),
      p99Ms: percentile(r.latenciesMs, 99),
      maxMs: Math.max(maxOk, r.maxFailedMs),
      errors: r.errors,
      snapshots: await leaderSnapshots(c.target),
      maxRssMiB: Math.max(...Object.values(c.target.rss()).filter((v) => !Number.isNaN(v))),
      leaderGcSec: gc.sec,
      leaderGcMaxMs: gc.maxMs,
    };
    chunks.push(row);
    trace(
      `chunk ${JSON.stringify({ end: new Date().toISOString(), keys: row.keys, maxMs: Math.round(row.maxMs) })}\n`,
    );
    log(
      `  ${c.target.name} ${row.keys.toLocaleString('en-US')} keys (${row.valueMiB.toFixed(0)} MiB): ` +
        `${row.opsPerSec.toFixed(0)} puts/s, p99 ${row.p99Ms.toFixed(1)} ms, max ${row.maxMs.toFixed(0)} ms, ` +
        `${row.errors} failed, leader snapshots ${row.snapshots}, max RSS ${row.maxRssMiB.toFixed(0)} MiB, ` +
        `leader GC ${row.leaderGcSec.toFixed(1)} s` +
        // etcd's metrics give Go's GC time as a summary, without a longest pause
        (Number.isNaN(row.leaderGcMaxMs) ? '' : ` (longest ≤ ${row.leaderGcMaxMs} ms)`) +
        ` [${row.seconds.toFixed(0)} s]` +
        (r.firstError === undefined ? '' : ` first failure: ${String(r.firstError)}`),
    );
    if (r.errors > n * ABORT_ERROR_SHARE)
      return { chunks, aborted: `${r.errors} of ${n} puts failed at ${loaded} keys` };
  }
  return { chunks };
}

/** Whether a linearizable read succeeds on some member: true as soon as one does. */
function anyReads(t: Target): Promise<boolean> {
  return new Promise((resolve) => {
    let left = t.members.length;
    for (const m of t.members)
      void t.linearizableRead(m, 'scale/probe').then((ok) => {
        if (ok) resolve(true);
        else if (--left === 0) resolve(false);
      });
  });
}

/** Stop all members, start all, until a linearizable read succeeds on any of them. */
async function restartAll(
  t: Target,
  log: (line: string) => void,
): Promise<{ stopMs: number; restartMs: number }> {
  const s0 = performance.now();
  await Promise.all(t.members.map((m) => t.halt(m, STOP_GRACE_MS)));
  const stopMs = performance.now() - s0;
  const t0 = performance.now();
  for (const m of t.members) t.restart(m);
  const restartMs = await timeUntil(() => anyReads(t), RECOVERY_TIMEOUT_MS, t0);
  log(
    `  ${t.name} full restart: stopped in ${stopMs.toFixed(0)} ms, first linearizable read after ${restartMs.toFixed(0)} ms`,
  );
  return { stopMs, restartMs };
}

/** Stop a follower, write `keys` keys to the others, start it, until it has the leader's revision. */
async function followerCatchUp(t: Target, a: ScaleArgs, log: (line: string) => void): Promise<number> {
  const leader = await t.waitForLeader(RECOVERY_TIMEOUT_MS);
  const follower = t.members.find((m) => m !== leader)!;
  await t.halt(follower, STOP_GRACE_MS);
  const writer = openDriver(
    t.name,
    t.members.filter((m) => m !== follower).map((m) => m.clientUrl),
  );
  const value = new Uint8Array(a.valueBytes).fill(0x63);
  let r;
  try {
    r = await countedLoop(a.inFlight, a.catchUpKeys, (seq) =>
      writer.put(`scale/catch-up/${seq.toString().padStart(8, '0')}`, value),
    );
  } finally {
    await writer.close();
  }
  const revision = await clusterRevision(t);
  if (!Number.isFinite(revision)) throw new Error(`${t.name}: no live member reports a revision`);
  const t0 = performance.now();
  t.restart(follower);
  const ms = await timeUntil(
    async () => ((await t.memberStatus(follower))?.revision ?? -1) >= revision,
    RECOVERY_TIMEOUT_MS,
    t0,
  );
  log(
    `  ${t.name} catch-up: ${follower.name} down for ${r.ops} puts (${r.errors} failed), ` +
      `at revision ${revision} after ${ms.toFixed(0)} ms`,
  );
  return ms;
}

async function runTarget(
  name: TargetName,
  a: ScaleArgs,
  log: (line: string) => void,
  trace: (line: string) => void,
): Promise<ScaleResult> {
  log(
    `scale: ${name}, ${a.size} members, ${(a.bytes / MiB).toFixed(0)} MiB of ${a.valueBytes}-byte values, ` +
      `${a.inFlight} in flight, --snapshot-count ${a.snapshotCount}, quota ${(a.quotaBytes / MiB).toFixed(0)} MiB` +
      (name === 'concord' && a.heapMiB !== undefined ? `, heap ${a.heapMiB} MiB` : ''),
  );
  const c = await startCluster(name, {
    size: a.size,
    snapshotCount: a.snapshotCount,
    quotaBackendBytes: a.quotaBytes,
    ...(a.heapMiB === undefined ? {} : { heapMiB: a.heapMiB }),
    ...(a.logDir === undefined ? {} : { logDir: a.logDir }),
    nodeFlags: a.traceStallsMs === undefined ? a.nodeFlags : [...a.nodeFlags, `--import=${STALL_PRELOAD}`],
    ...(a.memberLogLevel === undefined ? {} : { memberLogLevel: a.memberLogLevel }),
    startTimeoutMs: 60_000,
  });
  try {
    const { chunks, aborted } = await load(c, a, log, trace);
    if (aborted !== undefined) log(`  ${name}: load stopped: ${aborted}`);
    const rssMiB = c.target.rss();
    const dataDirMiB = mib(c.target.dataDirBytes());
    log(
      `  ${name} RSS MiB ${JSON.stringify(rssMiB, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}, ` +
        `data dirs MiB ${JSON.stringify(dataDirMiB, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );
    if (a.loadOnly)
      return {
        target: name,
        chunks,
        ...(aborted === undefined ? {} : { aborted }),
        rssMiB,
        dataDirMiB,
        stopMs: NaN,
        restartMs: NaN,
        rssAfterRestartMiB: {},
        catchUpKeys: 0,
        catchUpMs: NaN,
      };
    const { stopMs, restartMs } = await restartAll(c.target, log);
    const rssAfterRestartMiB = c.target.rss();
    const catchUpMs = await followerCatchUp(c.target, a, log);
    return {
      target: name,
      chunks,
      ...(aborted === undefined ? {} : { aborted }),
      rssMiB,
      dataDirMiB,
      stopMs,
      restartMs,
      rssAfterRestartMiB,
      catchUpKeys: a.catchUpKeys,
      catchUpMs,
    };
  } finally {
    await stopCluster(c);
  }
}

export async function run(argv: string[]): Promise<void> {
  const a = parseScaleArgs(argv);
  const log = (line: string): void => console.error(line);
  let targets = [...a.targets];
  const skipped: string[] = [];
  if (targets.includes('etcd')) {
    const why = ensureEtcd(log);
    if (why !== undefined) {
      log(`bench: SKIPPING etcd: ${why}`);
      skipped.push(`etcd: ${why}`);
      targets = targets.filter((t) => t !== 'etcd');
    }
  }
  const started = new Date();
  const t0 = Date.now();
  const file = join(RESULTS_DIR, `${started.toISOString().slice(0, 16).replace(':', '')}Z-scale.json`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (a.logDir !== undefined) mkdirSync(a.logDir, { recursive: true });
  // Slow puts and the bench's own stalls: to <log-dir>/bench.log, else stderr. Buffered and
  // written once a second: the client process does all the puts, and a synchronous append per
  // slow put (tens of thousands on a loaded machine) would add to the very stalls it records.
  const benchLog = a.logDir === undefined ? undefined : join(a.logDir, 'bench.log');
  let pending: string[] = [];
  const flushTrace = (): void => {
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    if (benchLog === undefined) process.stderr.write(text);
    else appendFileSync(benchLog, text);
  };
  const flushTimer = setInterval(flushTrace, 1000);
  flushTimer.unref();
  const trace = (line: string): void => {
    pending.push(line);
  };
  let stopTrace = (): void => undefined;
  if (a.traceStallsMs !== undefined) {
    process.env[STALL_TRACE_ENV] = String(a.traceStallsMs);
    stopTrace = await startStallTrace({ thresholdMs: a.traceStallsMs, write: trace, thread: 'bench' });
  }
  const results: ScaleResult[] = [];
  const failures: string[] = [];
  const save = (): void =>
    writeFileSync(
      file,
      JSON.stringify(
        {
          started: started.toISOString(),
          elapsedSec: Math.round((Date.now() - t0) / 1000),
          argv,
          machine: machine(),
          options: a,
          skipped,
          failures,
          results,
        },
        null,
        1,
      ),
    );
  // One target at a time, in the order given: the machine holds one cluster of this size at once.
  for (const name of targets) {
    const s0 = Date.now();
    try {
      results.push(await runTarget(name, a, log, trace));
    } catch (e) {
      log(`scale: ${name} FAILED: ${String(e)}`);
      failures.push(`${name}: ${String(e)}`);
    }
    log(`scale: ${name} done in ${Math.round((Date.now() - s0) / 1000)} s`);
    save();
  }
  stopTrace();
  clearInterval(flushTimer);
  flushTrace();
  console.log(`\n${chunkTable(results)}\n\n${summaryTable(results)}\n`);
  console.log(
    `${a.size} members, fsync on, ${a.inFlight} puts in flight, ${a.valueBytes}-byte values, ` +
      `--snapshot-count ${a.snapshotCount} for both; C/E = Concord/etcd. ` +
      `${Math.round((Date.now() - t0) / 1000)} s total.`,
  );
  for (const r of results)
    if (r.aborted !== undefined) console.log(`${r.target}: load stopped: ${r.aborted}`);
  for (const s of skipped) console.log(`skipped: ${s}`);
  for (const f of failures) console.log(`FAILED: ${f}`);
  console.log(`results: ${file}`);
}
