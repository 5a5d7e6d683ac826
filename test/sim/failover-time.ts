/**
 * Virtual failover time: how long a calm simulated cluster has no leader after its leader's process
 * dies, with connection-closed events (the early pre-vote, docs/raft.md) and without them (the
 * election timeout alone). Virtual time runs on the simulator's 10 ms tick with 10 election ticks,
 * the same ratio as a member's defaults (100 ms heartbeat, 1000 ms election timeout), so a real
 * member's numbers are about ten times these.
 *
 *   node dist/test/sim/failover-time.js [--seeds N] [--nodes 3|5|7]
 *
 * Prints one line per mode: seeds, median, p90 and max virtual ms from the crash to the next leader,
 * and the seeds that took an election timeout or more (an early round that split the vote or failed).
 */
import { Cluster } from './cluster.js';
import { simOptions, type FaultProfile } from './options.js';

const OFF = Infinity;

/** No weather at all: the one crash is the only event that is not the cluster's own. */
const CALM: Partial<FaultProfile> = {
  crashIntervalMs: OFF,
  partitionIntervalMs: OFF,
  leaderKillRate: 0,
  commitKillRate: 0,
  lossRate: 0,
  duplicateRate: 0,
  reorderRate: 0,
  latencyMeanMs: 1,
  fsyncMeanMs: 1,
  confChangeIntervalMs: OFF,
  transferIntervalMs: OFF,
  flapIntervalMs: OFF,
  tickDriftFraction: 0.1,
};

/** Virtual ms the cluster runs before the leader is killed (its first election settles well before). */
const WARM_UP_MS = 500;
const GIVE_UP_MS = 5000;
/** 10 ticks of 10 ms: a failover this slow fell back to the election timeout (a split or failed early vote). */
const ELECTION_TIMEOUT_MS = 100;

async function failoverMs(seed: number, nodes: 3 | 5 | 7, connectionEvents: boolean): Promise<number> {
  const cluster = new Cluster(
    simOptions({
      seed,
      nodes,
      clients: false,
      profile: { ...CALM, connectionEvents },
      profileName: 'custom',
    }),
  );
  const s = cluster.scheduler;
  const settle = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
  try {
    cluster.start();
    await settle();
    while (s.step(WARM_UP_MS)) await settle();
    const leader = cluster.leader();
    if (leader === undefined) throw new Error(`seed ${seed}: no leader after ${WARM_UP_MS} ms`);
    const crashedAt = s.nowMs;
    leader.crash();
    const newLeader = (): boolean => cluster.leader() !== undefined;
    while (!newLeader() && s.step(crashedAt + GIVE_UP_MS)) await settle();
    if (!newLeader()) throw new Error(`seed ${seed}: no new leader within ${GIVE_UP_MS} ms`);
    return s.nowMs - crashedAt;
  } finally {
    cluster.abandon();
    for (const n of cluster.nodes.values()) n.crash();
  }
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

async function main(argv: readonly string[]): Promise<void> {
  let seeds = 200;
  let nodes: 3 | 5 | 7 = 5;
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1]);
    if (argv[i] === '--seeds' && Number.isInteger(value) && value > 0) seeds = value;
    else if (argv[i] === '--nodes' && (value === 3 || value === 5 || value === 7)) nodes = value;
    else throw new Error(`usage: failover-time [--seeds N] [--nodes 3|5|7], got ${argv.join(' ')}`);
  }
  const medians: number[] = [];
  for (const connectionEvents of [false, true]) {
    const times: number[] = [];
    const slow: number[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const ms = await failoverMs(seed, nodes, connectionEvents);
      times.push(ms);
      if (ms >= ELECTION_TIMEOUT_MS) slow.push(seed);
    }
    times.sort((a, b) => a - b);
    const median = quantile(times, 0.5);
    medians.push(median);
    process.stdout.write(
      `connectionEvents=${connectionEvents ? 'on ' : 'off'} nodes=${nodes} seeds=${seeds} ` +
        `median=${median.toFixed(1)}ms p90=${quantile(times, 0.9).toFixed(1)}ms ` +
        `max=${(times[times.length - 1] as number).toFixed(1)}ms (virtual, 10 ms tick, 10 election ticks); ` +
        `${slow.length} took an election timeout or more${slow.length > 0 ? ` (seeds ${slow.slice(0, 10).join(', ')})` : ''}\n`,
    );
  }
  const [off, on] = medians as [number, number];
  process.stdout.write(`median ratio on/off = ${(on / off).toFixed(3)}\n`);
}

await main(process.argv.slice(2));
