/**
 * One seed, start to finish: the fault phase (safety checked as events happen), then the healed
 * liveness phase (every member restarted, partitions removed, loss stopped): within
 * `livenessMs` of virtual time there must be a leader, an acknowledged probe put, and everything
 * committed applied on every member of the leader's configuration. Finally every acknowledged put
 * must be readable at its revision on every member of that configuration.
 */
import { AssertionError } from '../../server/assert.js';
import type { ConfState } from '../../server/raft/index.js';
import { Cluster, type ClientStats } from './cluster.js';
import { ClusterClients } from './cluster-clients.js';
import type { SimClientsStats } from './clients/sim-clients.js';
import { Invariant, Violation } from './checkers/violation.js';
import { FaultDriver } from './fault-driver.js';
import { describeProfile, type SimOptions } from './options.js';

export interface RunResult {
  readonly seed: number;
  readonly nodes: number;
  readonly events: number;
  readonly simulatedMs: number;
  readonly violation: Violation | undefined;
  /** The last events before the end (or the failure), oldest first. */
  readonly trace: readonly string[];
  readonly profile: string;
  /** One line per member at the end of the run (role, term, commit, applied, membership). */
  readonly finalState: string;
  readonly client: ClientStats;
  /** Messages sent during the run, by type. */
  readonly messages: Readonly<Record<string, number>>;
  readonly stateHash: number;
  /** Virtual ms from the start of the liveness phase until it converged (undefined if it did not). */
  readonly convergedAfterMs: number | undefined;
  /** What the simulated clients did and what their checkers judged (undefined: clients off or failed). */
  readonly clients: SimClientsStats | undefined;
}

const PROBE_EVERY_MS = 20;
/** Virtual ms the clients keep going after the cluster converged: longer than a lease's TTL. */
const CLIENT_TAIL_MS = 3000;
/** Virtual ms after the clients stop, for watches to catch up before their history is judged. */
const CLIENT_SETTLE_MS = 500;
const PROBE_RETRY_MS = 500;

/**
 * One seed, start to finish. Everything is asynchronous (the Replica's Ready loop awaits its storage
 * port), so after every scheduler event the run lets pending promise chains settle — one
 * `setImmediate` turn drains every microtask they queue — before taking the next event; the run
 * stays deterministic. `inspect` sees the cluster at the end of the run (debugging and tests);
 * `beforeStart` sees it before the first member starts (to register per-member hooks).
 */
export async function runSeed(
  options: SimOptions,
  inspect?: (cluster: Cluster) => void,
  beforeStart?: (cluster: Cluster) => void,
): Promise<RunResult> {
  const cluster = new Cluster(options);
  const driver = new FaultDriver(cluster);
  let violation: Violation | undefined;
  let convergedAfterMs: number | undefined;
  let clientStats: SimClientsStats | undefined;
  const settle = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (cluster.asyncFailure !== undefined) throw cluster.asyncFailure.err;
  };
  const clients = options.clients ? new ClusterClients(cluster) : undefined;
  try {
    beforeStart?.(cluster);
    cluster.start();
    await settle();
    driver.start();
    clients?.start();
    const s = cluster.scheduler;
    while (s.executed < options.maxEvents && s.step(options.safetyMs)) {
      await settle();
      driver.checkFlaps();
    }
    driver.stop();
    heal(cluster);
    await settle();
    const liveness = startLiveness(cluster, options.livenessMs);
    while (!liveness.isDone() && s.step(liveness.deadlineMs)) await settle();
    convergedAfterMs = liveness.finish();
    if (clients !== undefined) {
      // The clients go on in the healed cluster: leases left to expire expire here, and only reads
      // after an expiry can show its keys gone. Then open watches catch up before the judgement.
      const tailEnd = s.nowMs + CLIENT_TAIL_MS;
      while (s.step(tailEnd)) await settle();
      clients.stop();
      const settleEnd = s.nowMs + CLIENT_SETTLE_MS;
      while (s.step(settleEnd)) await settle();
      clientStats = clients.check();
    }
    finalChecks(cluster);
  } catch (err) {
    violation = asViolation(err);
  }
  inspect?.(cluster);
  const r = result(cluster, options, violation, convergedAfterMs, clientStats);
  // Abandon every incarnation: nothing of this run may fire later.
  cluster.abandon();
  for (const n of cluster.nodes.values()) n.crash();
  return r;
}

/** The same one run path under its earlier name (the worker pool's run-one-seed.ts calls it so). */
export const runSeedAsync = runSeed;

function result(
  cluster: Cluster,
  options: SimOptions,
  violation: Violation | undefined,
  convergedAfterMs: number | undefined,
  clients: SimClientsStats | undefined,
): RunResult {
  return {
    seed: options.seed,
    nodes: options.nodes,
    events: cluster.scheduler.executed,
    simulatedMs: cluster.scheduler.nowMs,
    violation,
    trace: cluster.trace.render(),
    profile: describeProfile(cluster.profile),
    finalState: describeState(cluster),
    client: cluster.clientStats,
    messages: Object.fromEntries(cluster.network.sentByType),
    stateHash: cluster.stateHash(),
    convergedAfterMs,
    clients,
  };
}

export function asViolation(err: unknown): Violation {
  if (err instanceof Violation) return err;
  if (err instanceof AssertionError)
    return new Violation(Invariant.RaftAssertion, `assertion failed: ${err.message}`);
  if (err instanceof Error)
    return new Violation(Invariant.RaftAssertion, `${err.name}: ${err.message}\n${err.stack ?? ''}`);
  return new Violation(Invariant.RaftAssertion, String(err));
}

function heal(cluster: Cluster): void {
  cluster.network.healAll();
  cluster.calmDown();
  cluster.network.setConditions({ ...cluster.profile, lossRate: 0, duplicateRate: 0, reorderRate: 0 });
  for (const node of cluster.nodes.values()) if (!node.isUp) node.start();
  cluster.trace.recordEvent(
    cluster.scheduler.nowMs,
    'heal',
    0,
    'liveness phase: all up, no partitions, no loss, FIFO links',
  );
}

function members(conf: ConfState): number[] {
  return [...conf.voters, ...conf.learners];
}

interface Liveness {
  readonly deadlineMs: number;
  isDone(): boolean;
  /** Throws a liveness violation unless converged; returns the time it took. */
  finish(): number;
}

/**
 * Starts polling for convergence: a leader exists, a probe put (retried every PROBE_RETRY_MS) is
 * acknowledged, and everything known committed anywhere is applied on every member of the leader's
 * configuration.
 */
function startLiveness(cluster: Cluster, livenessMs: number): Liveness {
  const s = cluster.scheduler;
  const startMs = s.nowMs;
  let probeApplied = 0;
  let target: number | undefined;
  let lastProbeMs = -Infinity;
  let done = false;
  const poll = (): void => {
    const leader = cluster.leader();
    const replica = leader?.replica;
    if (leader !== undefined && replica !== undefined) {
      if (probeApplied === 0) {
        if (s.nowMs - lastProbeMs >= PROBE_RETRY_MS) {
          lastProbeMs = s.nowMs;
          cluster.propose(leader, () => {
            probeApplied = Math.max(1, leader.replica?.status().appliedIndex ?? 1);
          });
        }
      } else {
        const st = replica.status().raft;
        // Everything known committed anywhere when the probe was acknowledged (the probe and every
        // acknowledged put included) must be applied on every member of the leader's
        // configuration. The target is then fixed: the simulated clients keep writing, and under
        // their load on a slow network followers always trail the newest commits by a little.
        target ??= Math.max(probeApplied, st.commit, cluster.checker.maxCommitted);
        done = members(st.confState).every((id) => {
          const applied = cluster.nodes.get(id)?.replica?.status().appliedIndex;
          return applied !== undefined && applied >= (target as number);
        });
      }
    }
    if (!done) s.after(PROBE_EVERY_MS, 'probe', 0, undefined, poll);
  };
  s.after(0, 'probe', 0, undefined, poll);
  return {
    deadlineMs: startMs + livenessMs,
    isDone: () => done,
    finish: () => {
      if (!done) throw new Violation(Invariant.Liveness, `no convergence within ${livenessMs}ms of healing`);
      return s.nowMs - startMs;
    },
  };
}

export function describeState(cluster: Cluster): string {
  const parts = [...cluster.nodes.values()].map((n) => {
    const status = n.replica?.status();
    if (status === undefined) return `n${n.id}:down`;
    const st = status.raft;
    const cs = st.confState;
    return (
      `n${n.id}:${st.role} t${st.term} lead=${st.lead} commit=${st.commit} applied=${status.appliedIndex} ` +
      `last=${st.lastIndex} voters=${cs.voters.join(',')}${cs.learners.length > 0 ? ` learners=${cs.learners.join(',')}` : ''}`
    );
  });
  return parts.join('\n');
}

/** Every acknowledged put is readable, on every member of the final configuration, at its revision. */
function finalChecks(cluster: Cluster): void {
  const conf = cluster.leader()?.replica?.status().raft.confState;
  if (conf === undefined) return;
  const dec = new TextDecoder();
  const enc = new TextEncoder();
  for (const id of members(conf)) {
    const machine = cluster.nodes.get(id)?.machine;
    if (machine === undefined) continue;
    // Revisions the clients compacted away are no longer readable anywhere; the clients' own
    // checkers judge every write they made, across compaction.
    const compacted = machine.store.compactRevision;
    for (const a of cluster.acked) {
      if (a.revision < compacted) continue;
      const kv = machine.range({ key: enc.encode(a.key), revision: a.revision }).kvs[0];
      const got = kv === undefined ? '(none)' : dec.decode(kv.value);
      if (got !== a.value) {
        throw new Violation(
          Invariant.AckedDurable,
          `member ${id} reads ${a.key}=${got} at revision ${a.revision}, but put p${a.id} was acknowledged ` +
            `with ${a.value} there`,
        );
      }
    }
  }
}
