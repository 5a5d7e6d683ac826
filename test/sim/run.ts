/**
 * One seed, start to finish: the fault phase (safety checked after every event), then the healed
 * liveness phase (every member restarted, partitions removed, loss stopped): within
 * `livenessMs` of virtual time there must be a leader and a fresh proposal applied on every member
 * of the leader's configuration. Finally every acknowledged proposal must be in every member's state.
 */
import { AssertionError } from '../../server/assert.js';
import type { ConfState } from '../../server/raft/index.js';
import { Cluster, type ClientStats } from './cluster.js';
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
}

const PROBE_EVERY_MS = 20;
const PROBE_RETRY_MS = 500;

/** `inspect` sees the cluster at the end of the run (debugging and tests). */
export function runSeed(options: SimOptions, inspect?: (cluster: Cluster) => void): RunResult {
  if (options.storage === 'real') throw new Error('sim: real storage is asynchronous, use runSeedAsync');
  const cluster = new Cluster(options);
  const driver = new FaultDriver(cluster);
  let violation: Violation | undefined;
  let convergedAfterMs: number | undefined;
  try {
    driver.start();
    const s = cluster.scheduler;
    while (s.executed < options.maxEvents && s.step(options.safetyMs)) {
      // every event's checks run inside the event
    }
    driver.stop();
    heal(cluster);
    const liveness = startLiveness(cluster, options.livenessMs);
    while (!liveness.isDone() && s.step(liveness.deadlineMs)) {
      // run until converged or out of time
    }
    convergedAfterMs = liveness.finish();
    finalChecks(cluster);
  } catch (err) {
    violation = asViolation(err);
  }
  inspect?.(cluster);
  return result(cluster, options, violation, convergedAfterMs);
}

/**
 * The same run with asynchronous durable state (the real storage): after every event, pending
 * promise chains run to quiescence (one macrotask turn drains every microtask they queue) before
 * the next event, so the run stays deterministic.
 */
export async function runSeedAsync(
  options: SimOptions,
  inspect?: (cluster: Cluster) => void,
): Promise<RunResult> {
  const cluster = new Cluster(options);
  const driver = new FaultDriver(cluster);
  let violation: Violation | undefined;
  let convergedAfterMs: number | undefined;
  const settle = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (cluster.asyncFailure !== undefined) throw cluster.asyncFailure.err;
  };
  try {
    await settle();
    driver.start();
    const s = cluster.scheduler;
    while (s.executed < options.maxEvents && s.step(options.safetyMs)) await settle();
    driver.stop();
    heal(cluster);
    await settle();
    const liveness = startLiveness(cluster, options.livenessMs);
    while (!liveness.isDone() && s.step(liveness.deadlineMs)) await settle();
    convergedAfterMs = liveness.finish();
    finalChecks(cluster);
  } catch (err) {
    violation = asViolation(err);
  }
  inspect?.(cluster);
  return result(cluster, options, violation, convergedAfterMs);
}

function result(
  cluster: Cluster,
  options: SimOptions,
  violation: Violation | undefined,
  convergedAfterMs: number | undefined,
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
 * Starts polling for convergence: a leader exists and a probe proposal (retried every
 * PROBE_RETRY_MS) plus everything known committed is applied on every member of its configuration.
 */
function startLiveness(cluster: Cluster, livenessMs: number): Liveness {
  const s = cluster.scheduler;
  const startMs = s.nowMs;
  const probes = new Set<number>();
  let lastProbeMs = -Infinity;
  let done = false;
  const poll = (): void => {
    const leader = cluster.leader();
    if (leader?.raft !== undefined) {
      const probeIndex = cluster.firstAppliedIndex(probes);
      if (probeIndex === undefined) {
        if (s.nowMs - lastProbeMs >= PROBE_RETRY_MS) {
          lastProbeMs = s.nowMs;
          const id = cluster.propose(leader);
          if (id !== undefined) {
            probes.add(id);
            cluster.watchApplied(id);
          }
        }
      } else {
        // Everything known committed anywhere (the probe and every acknowledged proposal
        // included) must be applied on every member of the leader's configuration.
        const target = Math.max(probeIndex, leader.raft.status().commit, cluster.checker.maxCommitted);
        done = members(leader.raft.confState()).every((id) => {
          const node = cluster.nodes.get(id);
          return node !== undefined && node.isUp && node.sm.appliedIndex >= target;
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
    if (n.raft === undefined) return `n${n.id}:down`;
    const st = n.raft.status();
    const cs = st.confState;
    return (
      `n${n.id}:${st.role} t${st.term} lead=${st.lead} commit=${st.commit} applied=${n.sm.appliedIndex} ` +
      `last=${st.lastIndex} voters=${cs.voters.join(',')}${cs.learners.length > 0 ? ` learners=${cs.learners.join(',')}` : ''}`
    );
  });
  return parts.join('\n');
}

function finalChecks(cluster: Cluster): void {
  const leader = cluster.leader();
  if (leader?.raft === undefined) return;
  for (const id of members(leader.raft.confState())) {
    const node = cluster.nodes.get(id);
    if (node !== undefined) cluster.checker.checkFinalState(id, node.sm.ids);
  }
}
