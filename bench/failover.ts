/**
 * `npm run bench -- failover [--rounds N] [--vs | --target concord|etcd] [--client native|etcd3]`:
 * how long a 3-member cluster cannot take a write after its leader fails, Concord against etcd in
 * the same run (rounds alternate which target goes first), for two failures:
 *
 * - kill -9 of the leader's process: the kernel closes its connections at once, so Concord's
 *   followers campaign early (docs/raft.md, "Early pre-vote when the leader's process dies");
 * - SIGSTOP of the leader (a silent failure, like a partition or a long pause): nothing closes, and
 *   both targets wait out an election timeout. This row shows that path unchanged.
 *
 * Unavailability: from the signal to the completion of the first put sent after it that
 * succeeds, with one client writing back to back (each put has a FAILOVER_CALL_TIMEOUT_MS deadline,
 * which bounds the resolution). Both targets run with their default heartbeat (100 ms) and election
 * timeout (1000 ms). Prints the table (medians, min–max, ratio Concord/etcd) and the targets of
 * issue 19: kill -9 ≤ 0.3× etcd, SIGSTOP ≤ 1.0×.
 */
import { ArgReader } from './args.js';
import { DRIVER_CLIENTS, openDriver, type DriverClient } from './drivers.js';
import { Better, rows, table, TARGETS, type Sample, type TargetName } from './stats.js';
import { ensureEtcd, startCluster, stopCluster, type BenchMember, type Target } from './targets.js';

const USAGE =
  'usage: npm run bench -- failover [--rounds N] [--vs | --target concord|etcd] [--client native|etcd3]';

/** Writes to warm a fresh cluster before the first failure (the suite's 3000 are for throughput). */
const WARMUP_PUTS = 200;
/** The client writes this long before the failure, so its connections and leader cache are settled. */
const STEADY_MS = 300;
const GIVE_UP_MS = 30_000;
/** Each put's deadline: a put stuck on the dead leader must not hide the election. */
export const FAILOVER_CALL_TIMEOUT_MS = 500;

type Failure = 'SIGKILL' | 'SIGSTOP';

const METRIC: Record<Failure, string> = {
  SIGKILL: 'unavailability after kill -9 of leader',
  SIGSTOP: 'unavailability after SIGSTOP of leader',
};

/** Issue 19's targets: the highest acceptable ratio Concord/etcd per failure. */
const TARGET_RATIO: Record<Failure, number> = { SIGKILL: 0.3, SIGSTOP: 1.0 };

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Signals the leader and measures until a put sent after the signal succeeds; then repairs it. */
export async function unavailabilityMs(
  target: Target,
  name: TargetName,
  client: DriverClient,
  failure: Failure,
  log: (line: string) => void,
): Promise<number> {
  const writer = openDriver(name, target.clientUrls, { requestTimeoutMs: FAILOVER_CALL_TIMEOUT_MS, client });
  const val = new Uint8Array(64);
  let leader: BenchMember | undefined;
  try {
    await writer.put('bench/failover', val);
    let failedAt = Infinity;
    let recoveredAt = Infinity;
    let stop = false;
    let errors = 0;
    const loop = (async () => {
      while (!stop) {
        const t0 = performance.now();
        try {
          await writer.put('bench/failover', val);
          if (t0 >= failedAt && recoveredAt === Infinity) recoveredAt = performance.now();
        } catch {
          errors++;
          await pause(5);
        }
      }
    })();
    await pause(STEADY_MS);
    // Asked only now: a member restarted or resumed by the previous round may have taken the
    // lead during the steady phase, and signalling a follower measures nothing.
    leader = await target.waitForLeader();
    failedAt = performance.now();
    if (failure === 'SIGKILL') await target.kill(leader);
    else leader.proc?.kill('SIGSTOP');
    const giveUp = performance.now() + GIVE_UP_MS;
    while (recoveredAt === Infinity && performance.now() < giveUp) await pause(10);
    stop = true;
    await loop;
    const ms = recoveredAt - failedAt;
    log(`  ${name} ${failure}: ${Number.isFinite(ms) ? ms.toFixed(0) : 'never'} ms, ${errors} failed puts`);
    return ms;
  } finally {
    await writer.close();
    if (leader !== undefined) {
      if (failure === 'SIGSTOP') leader.proc?.kill('SIGCONT');
      else target.restart(leader);
      await target.waitForLeader(GIVE_UP_MS);
    }
  }
}

export async function run(argv: string[]): Promise<void> {
  const args = new ArgReader(argv, USAGE);
  let rounds = 3;
  let targets: TargetName[] = [...TARGETS];
  let client: DriverClient = 'native';
  for (let flag = args.flag(); flag !== undefined; flag = args.flag()) {
    if (flag === '--rounds') rounds = args.integer(flag);
    else if (flag === '--vs') targets = [...TARGETS];
    else if (flag === '--target') targets = [args.target(flag)];
    else if (flag === '--client') client = args.oneOf(flag, DRIVER_CLIENTS);
    else throw args.unknown(flag);
  }
  const log = (line: string): void => console.error(line);
  if (targets.includes('etcd')) {
    const why = ensureEtcd(log);
    if (why !== undefined) {
      log(`bench: SKIPPING etcd: ${why}`);
      targets = targets.filter((t) => t !== 'etcd');
    }
  }
  const samples: Sample[] = [];
  for (let repeat = 0; repeat < rounds; repeat++) {
    const order = repeat % 2 === 0 ? targets : [...targets].reverse();
    for (const name of order) {
      log(`round ${repeat + 1}/${rounds}: ${name} (3 members)`);
      const cluster = await startCluster(name, { size: 3, warmupPuts: WARMUP_PUTS, client });
      try {
        for (const failure of ['SIGKILL', 'SIGSTOP'] as const) {
          const value = await unavailabilityMs(cluster.target, name, client, failure, log);
          samples.push({
            workload: 'failover',
            metric: METRIC[failure],
            unit: 'ms',
            better: Better.Lower,
            target: name,
            repeat,
            value,
          });
        }
      } finally {
        await stopCluster(cluster);
      }
    }
  }
  const rs = rows(samples);
  console.log(table(rs));
  for (const r of rs) {
    const failure = (Object.keys(METRIC) as Failure[]).find((f) => METRIC[f] === r.metric);
    if (failure === undefined || Number.isNaN(r.ratio)) continue;
    const goal = TARGET_RATIO[failure];
    console.log(
      `${failure}: Concord/etcd = ${r.ratio.toFixed(2)} (target ≤ ${goal.toFixed(1)}): ${r.ratio <= goal ? 'met' : 'NOT met'}`,
    );
  }
}
