/**
 * `npm run bench -- all [--vs | --target concord|etcd] [options]`: the comparison suite. Starts
 * each target fresh for every round (alternating which goes first), runs every workload against
 * it, measures the members' resident memory, then the leader failover; prints one table with
 * medians and min–max over the rounds and writes the samples as JSON to bench/results/.
 *
 * `--profile`: a Concord cluster under the put-64 workload (or the first of `--only`) with
 * `node --cpu-prof`; writes the
 * members' .cpuprofile files and prints the leader's heaviest functions.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArgReader } from './args.js';
import { DRIVER_CLIENTS, openDriver, type DriverClient } from './drivers.js';
import { summarizeProfile, type CpuProfile } from './profile.js';
import { Better, rows, table, TARGETS, type Sample, type TargetName } from './stats.js';
import { ensureEtcd, startCluster, stopCluster, Target, type Cluster } from './targets.js';
import { allWorkloads, putWorkload, type Workload } from './workloads.js';

export const RESULTS_DIR = join(fileURLToPath(import.meta.url), '..', '..', '..', 'bench', 'results');

export interface SuiteOptions {
  readonly targets: readonly TargetName[];
  readonly repeats: number;
  readonly durationMs: number;
  readonly size: number;
  /** 'etcd3': both targets driven by the etcd3 npm client over gRPC (default 'native'). */
  readonly client?: DriverClient;
  readonly workloads: readonly Workload[];
  readonly log: (line: string) => void;
  /** Warm-up writes on each fresh cluster (default: startCluster's WARMUP_PUTS). */
  readonly warmupPuts?: number;
  /**
   * An unmeasured run of each workload, this long, right before its measured run (default
   * WORKLOAD_WARMUP_MS; 0: none). The warm-up puts compile only the put path: txn, delete, lease
   * and range code would otherwise be measured while V8 still interprets it (docs/performance.md,
   * "Why lock-1 and txn-cas-16 trailed put-1").
   */
  readonly workloadWarmupMs?: number;
}

/** See `SuiteOptions.workloadWarmupMs`. */
export const WORKLOAD_WARMUP_MS = 1000;

export interface SuiteResult {
  readonly samples: Sample[];
  readonly skipped: string[];
  /** workloads that threw (the suite goes on without their numbers) */
  readonly failures: string[];
}

/** Runs the suite; a target that cannot start is skipped (reported in `skipped`), not fatal. */
export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  if (!(o.repeats >= 1)) throw new RangeError(`repeats must be ≥ 1, got ${o.repeats}`);
  if (!(o.durationMs >= 50)) throw new RangeError(`durationMs must be ≥ 50, got ${o.durationMs}`);
  const samples: Sample[] = [];
  const skipped: string[] = [];
  const failures: string[] = [];
  let targets = [...o.targets];
  if (targets.includes('etcd')) {
    const why = ensureEtcd(o.log);
    if (why !== undefined) {
      o.log(`bench: SKIPPING etcd: ${why}`);
      skipped.push(`etcd: ${why}`);
      targets = targets.filter((t) => t !== 'etcd');
    }
  }
  for (let repeat = 0; repeat < o.repeats; repeat++) {
    const order = repeat % 2 === 0 ? targets : [...targets].reverse();
    for (const name of order) {
      o.log(`round ${repeat + 1}/${o.repeats}: ${name} (${o.size} member${o.size === 1 ? '' : 's'})`);
      // One measurement of one workload; a workload that throws is reported and skipped.
      const measure = async (w: Workload, c: Cluster): Promise<void> => {
        const t0 = Date.now();
        let measured;
        try {
          const warmupMs = o.workloadWarmupMs ?? WORKLOAD_WARMUP_MS;
          if (warmupMs > 0 && w.name !== 'failover')
            await w.run({
              driver: c.driver,
              target: c.target,
              durationMs: warmupMs,
              runId: `r${repeat}-warmup`,
              log: () => {},
            });
          measured = await w.run({
            driver: c.driver,
            target: c.target,
            durationMs: o.durationMs,
            runId: `r${repeat}`,
            log: o.log,
          });
        } catch (e) {
          o.log(`  ${name} ${w.name}: FAILED: ${String(e)}`);
          failures.push(`${name} ${w.name} round ${repeat + 1}: ${String(e)}`);
          return;
        }
        for (const m of measured) samples.push({ ...m, target: name, repeat });
        o.log(
          `  ${name} ${w.name}: ${measured.map((m) => `${m.metric}=${m.value.toFixed(2)}${m.unit}`).join(', ')} [${Date.now() - t0} ms]`,
        );
      };
      const shared = await startCluster(name, {
        size: o.size,
        client: o.client ?? 'native',
        warmupPuts: o.warmupPuts,
      });
      try {
        for (const w of o.workloads)
          if (w.name !== 'failover' && w.cluster === undefined) await measure(w, shared);
        const rss = Object.values(shared.target.rss()).filter((v) => !Number.isNaN(v));
        if (rss.length > 0) {
          const rssRow = {
            workload: 'memory',
            unit: 'MiB',
            better: Better.Lower,
            target: name,
            repeat,
          } as const;
          samples.push({ ...rssRow, metric: 'max member RSS', value: Math.max(...rss) });
        }
        // after the memory sample: it kills and restarts the leader
        const failover = o.workloads.find((w) => w.name === 'failover');
        if (failover !== undefined) await measure(failover, shared);
      } finally {
        await stopCluster(shared);
      }
      // Workloads that need their own settings run on a fresh cluster each, one at a time.
      for (const w of o.workloads) {
        if (w.cluster === undefined) continue;
        const own = await startCluster(name, {
          size: o.size,
          client: o.client ?? 'native',
          warmupPuts: o.warmupPuts,
          ...w.cluster,
        });
        try {
          await measure(w, own);
        } finally {
          await stopCluster(own);
        }
      }
    }
  }
  return { samples, skipped, failures };
}

export function machine(): Record<string, string | number> {
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? '?',
    memGiB: Math.round(totalmem() / 2 ** 30),
    arch: arch(),
    node: process.version,
  };
}

interface Args {
  targets: TargetName[];
  repeats: number;
  durationMs: number;
  size: number;
  client: DriverClient;
  only: string[] | undefined;
  profile: boolean;
  profileDurationMs: number;
  workloadWarmupMs: number;
}

const USAGE = `usage: npm run bench -- all [--vs | --target concord|etcd] [--repeats N] [--duration-ms MS]
                              [--size 1|3] [--only put-64,watch] [--client native|etcd3]
                              [--warmup-ms MS] [--profile [--duration-ms MS]]
  --warmup-ms MS   an unmeasured run of each workload before its measured one (default ${WORKLOAD_WARMUP_MS}; 0: none)
  --client etcd3   drive both targets with the etcd3 npm client over gRPC (one client, one
                   protocol); native (default): Concord through its SDK, etcd through etcd3`;

export function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    targets: [...TARGETS],
    repeats: 3,
    durationMs: 1500,
    size: 3,
    client: 'native',
    only: undefined,
    profile: false,
    profileDurationMs: 10_000,
    workloadWarmupMs: WORKLOAD_WARMUP_MS,
  };
  let duration: number | undefined;
  const r = new ArgReader(argv, USAGE);
  for (let flag = r.flag(); flag !== undefined; flag = r.flag()) {
    if (flag === '--vs') a.targets = [...TARGETS];
    else if (flag === '--target') a.targets = [r.target(flag)];
    else if (flag === '--repeats') a.repeats = Math.floor(r.positive(flag));
    else if (flag === '--duration-ms') duration = r.positive(flag);
    else if (flag === '--size') a.size = Math.floor(r.positive(flag));
    else if (flag === '--only') a.only = r.value(flag).split(',');
    else if (flag === '--client') a.client = r.oneOf(flag, DRIVER_CLIENTS);
    else if (flag === '--profile') a.profile = true;
    else if (flag === '--warmup-ms') a.workloadWarmupMs = Math.floor(r.nonNegative(flag));
    else throw r.unknown(flag);
  }
  if (duration !== undefined) {
    a.durationMs = duration;
    a.profileDurationMs = duration;
  }
  return a;
}

async function profile(a: Args): Promise<void> {
  const dir = join(RESULTS_DIR, 'profiles');
  mkdirSync(dir, { recursive: true });
  const before = new Set(readdirSync(dir));
  const target = await Target.start('concord', { size: a.size, cpuProfileDir: dir });
  const driver = openDriver('concord', target.clientUrls);
  let leaderName = '';
  try {
    leaderName = (await target.waitForLeader()).name;
    const w = (a.only === undefined ? undefined : findWorkload(a.only[0])) ?? putWorkload(64);
    const measured = await w.run({
      driver,
      target,
      durationMs: a.profileDurationMs,
      runId: 'profile',
      log: console.error,
    });
    console.log(
      `${w.name} under profiling: ${measured.map((m) => `${m.metric}=${m.value.toFixed(2)}${m.unit}`).join(', ')}`,
    );
  } finally {
    await driver.close();
    await target.stop(); // SIGTERM: members exit cleanly, so node writes the profiles
  }
  const fresh = readdirSync(dir).filter((f) => !before.has(f) && f.startsWith('concord-'));
  for (const d of fresh.sort()) {
    const isLeader = d.startsWith(`concord-${leaderName}-`);
    // The member runs in a worker thread: its profile is the heavier of the member's files.
    const files = readdirSync(join(dir, d))
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => join(dir, d, f))
      .sort((x, y) => statSync(y).size - statSync(x).size);
    const f = files[0];
    console.log(`\n${f ?? join(dir, d)}${isLeader ? '   <- leader' : ''}`);
    if (!isLeader || f === undefined) continue;
    const s = summarizeProfile(JSON.parse(readFileSync(f, 'utf8')) as CpuProfile, 30);
    console.log(`total sampled ${s.totalMs.toFixed(0)} ms; heaviest functions (self time):`);
    for (const c of s.functions)
      console.log(`  ${c.percent.toFixed(1).padStart(5)}%  ${c.selfMs.toFixed(0).padStart(6)} ms  ${c.name}`);
    console.log('by file (self time):');
    for (const c of s.files.slice(0, 20))
      console.log(`  ${c.percent.toFixed(1).padStart(5)}%  ${c.selfMs.toFixed(0).padStart(6)} ms  ${c.name}`);
  }
}

export async function run(argv: string[]): Promise<void> {
  const a = parseArgs(argv);
  if (a.profile) return profile(a);
  const only = a.only;
  const workloads =
    only === undefined
      ? allWorkloads()
      : allWorkloads().filter((w) => only.some((o) => w.name === o || w.name.startsWith(`${o}-`)));
  if (workloads.length === 0)
    throw new Error(
      `--only matched no workload (${allWorkloads()
        .map((w) => w.name)
        .join(', ')})`,
    );
  const started = new Date();
  const t0 = Date.now();
  const res = await runSuite({
    targets: a.targets,
    repeats: a.repeats,
    durationMs: a.durationMs,
    size: a.size,
    client: a.client,
    workloads,
    workloadWarmupMs: a.workloadWarmupMs,
    log: (line) => console.error(line),
  });
  const rs = rows(res.samples);
  const tbl = table(rs);
  const elapsedSec = Math.round((Date.now() - t0) / 1000);
  console.log(`\n${tbl}\n`);
  console.log(
    `${a.size} member(s), fsync on, ${a.client === 'etcd3' ? 'both targets driven by the etcd3 npm client over gRPC' : "each target's own client (Concord SDK, etcd3)"}, ${a.repeats} round(s) × ${a.durationMs} ms per workload, median (min–max); ` +
      `ratio = Concord/etcd of the medians, ✓ = Concord at least as good. ${elapsedSec} s total.`,
  );
  for (const s of res.skipped) console.log(`skipped: ${s}`);
  for (const f of res.failures) console.log(`FAILED: ${f}`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${started.toISOString().slice(0, 16).replace(':', '')}Z.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        started: started.toISOString(),
        elapsedSec,
        argv,
        machine: machine(),
        options: a,
        skipped: res.skipped,
        failures: res.failures,
        rows: rs,
        samples: res.samples,
      },
      null,
      1,
    ),
  );
  console.log(`results: ${file}`);
}

function findWorkload(name: string | undefined): Workload | undefined {
  return allWorkloads().find((w) => w.name === name);
}
