/**
 * One seed on members built from the production Replica and StateMachine (replica-node.ts): a
 * client stream of puts, crashes with power loss and restarts, then a healed phase. Checked:
 * - state agreement: every member that applies index i (or installs a snapshot at i) reaches the
 *   same StateMachine hash there (etcd's hashkv idea), across restarts and snapshot installs;
 * - only durable entries are applied (the Ready contract, checked at the state machine port);
 * - acknowledged puts are durable: after healing, every member reads the acknowledged value at
 *   the acknowledged revision;
 * - liveness: after healing, every member applies everything applied anywhere within livenessMs.
 *
 * Everything is asynchronous (the Replica's Ready loop awaits its storage port), so after every
 * scheduler event the run lets pending promise chains settle before the next (as runSeedAsync).
 */
import { encodeCommand, type ApplyResult } from '../../server/apply/index.js';
import { SeededRandom } from '../../server/platform/random.js';
import { Invariant, Violation } from './checkers/violation.js';
import { asViolation } from './run.js';
import type { SimBugs } from './options.js';
import { exponential } from './options.js';
import { Scheduler } from './scheduler.js';
import { CALM_NETWORK, SimNetwork } from './sim-network.js';
import { SimReplicaNode } from './replica-node.js';
import { Trace } from './trace.js';

export interface ReplicaSimOptions {
  readonly seed: number;
  readonly nodes: 3 | 5 | 7;
  readonly safetyMs: number;
  readonly livenessMs: number;
  readonly proposalIntervalMs: number;
  readonly crashIntervalMs: number;
  readonly downtimeMs: number;
  readonly bugs: SimBugs;
}

export const REPLICA_SIM_DEFAULTS: Omit<ReplicaSimOptions, 'seed'> = {
  nodes: 3,
  safetyMs: 2000,
  livenessMs: 15000,
  proposalIntervalMs: 10,
  crashIntervalMs: 300,
  downtimeMs: 200,
  bugs: {},
};

export interface ReplicaRunResult {
  readonly seed: number;
  readonly events: number;
  readonly violation: Violation | undefined;
  readonly trace: readonly string[];
  readonly acked: number;
  readonly crashes: number;
  /** The highest index applied anywhere, and the state hash there (the same on every member). */
  readonly appliedIndex: number;
  readonly stateHash: string;
}

interface AckedPut {
  readonly key: string;
  readonly value: string;
  readonly revision: number;
}

export async function runReplicaSeed(
  partial: Partial<ReplicaSimOptions> & { seed: number },
): Promise<ReplicaRunResult> {
  const o: ReplicaSimOptions = { ...REPLICA_SIM_DEFAULTS, ...partial };
  const random = new SeededRandom(o.seed);
  const trace = new Trace();
  const scheduler = new Scheduler(trace);
  const nodes = new Map<number, SimReplicaNode>();
  const network = new SimNetwork(scheduler, random.fork(), CALM_NETWORK, (m) => nodes.get(m.to)?.receive(m));
  const hashes = new Map<number, string>();
  const acked: AckedPut[] = [];
  let failure: { err: unknown } | undefined;
  let crashes = 0;
  const fail = (err: unknown): void => {
    failure ??= { err };
  };
  const voters = Array.from({ length: o.nodes }, (_, i) => i + 1);
  const nodeRandom = random.fork();
  for (const id of voters) {
    const node = new SimReplicaNode(
      {
        id,
        initialConf: { voters, learners: [] },
        tickMs: 10,
        electionTicks: 10,
        heartbeatTicks: 1,
        fsyncMinMs: 0.1,
        fsyncMeanMs: 1,
        snapshotCount: 20,
        snapshotCatchUpEntries: 5,
        requestTimeoutMs: 1000,
        bugs: o.bugs,
      },
      {
        scheduler,
        send: (m) => network.send(m),
        onApplied: (n, index, hash) => {
          const seen = hashes.get(index);
          if (seen === undefined) hashes.set(index, hash);
          else if (seen !== hash)
            fail(
              new Violation(
                Invariant.StateMachineSafety,
                `member ${n.id} has state ${hash} at index ${index}, another had ${seen}`,
              ),
            );
        },
        fail,
      },
      nodeRandom.fork(),
    );
    nodes.set(id, node);
  }
  const driverRandom = random.fork();
  let faults = true;
  let nextPut = 1;

  const propose = (): void => {
    const up = [...nodes.values()].filter((n) => n.isUp);
    const target =
      up.find((n) => n.replica?.isLeader() === true) ?? up[driverRandom.int(Math.max(1, up.length))];
    const replica = target?.replica;
    if (replica !== undefined) {
      const id = nextPut++;
      const key = `k${id % 8}`;
      const value = `v${id}`;
      const enc = new TextEncoder();
      trace.recordEvent(scheduler.nowMs, 'client', target!.id, `put ${key}=${value}`);
      replica
        .propose(encodeCommand({ type: 'put', request: { key: enc.encode(key), value: enc.encode(value) } }))
        .then(
          (r: ApplyResult) => {
            if (r.status === 'ok') acked.push({ key, value, revision: r.revision });
          },
          () => undefined, // refused or timed out: the outcome is unknown to the client
        );
    }
    if (faults)
      scheduler.after(exponential(driverRandom, o.proposalIntervalMs), 'propose', 0, undefined, propose);
  };
  const crashSome = (): void => {
    if (!faults) return;
    const up = [...nodes.values()].filter((n) => n.isUp);
    const victim = up[driverRandom.int(up.length)];
    if (victim !== undefined) {
      crashes++;
      victim.crash(driverRandom.chance(0.5) ? driverRandom.int(3) : 0);
      trace.recordEvent(scheduler.nowMs, 'crash', victim.id, `crash (incarnation ${victim.incarnation})`);
      scheduler.after(exponential(driverRandom, o.downtimeMs), 'restart', victim.id, undefined, () =>
        victim.start(),
      );
    }
    scheduler.after(exponential(driverRandom, o.crashIntervalMs), 'crash', 0, undefined, crashSome);
  };

  const settle = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (failure !== undefined) throw failure.err;
  };
  let violation: Violation | undefined;
  try {
    for (const n of nodes.values()) n.start();
    scheduler.after(0, 'propose', 0, undefined, propose);
    scheduler.after(exponential(driverRandom, o.crashIntervalMs), 'crash', 0, undefined, crashSome);
    await settle();
    while (scheduler.step(o.safetyMs)) await settle();
    faults = false;
    for (const n of nodes.values()) n.start();
    trace.recordEvent(scheduler.nowMs, 'heal', 0, 'all members up, no more faults');
    // Proposals made before healing may still commit after it: the target moves with them.
    const target = (): number => Math.max(0, ...hashes.keys());
    const caughtUp = (): boolean =>
      [...nodes.values()].every((n) => (n.replica?.status().appliedIndex ?? 0) >= target());
    const deadline = scheduler.nowMs + o.livenessMs;
    while (!caughtUp() && scheduler.step(deadline)) await settle();
    if (!caughtUp())
      throw new Violation(
        Invariant.Liveness,
        `not every member applied ${target()} within ${o.livenessMs}ms of healing`,
      );
    checkAcked(nodes, acked);
  } catch (err) {
    violation = asViolation(err);
  }
  for (const n of nodes.values()) n.crash();
  const appliedIndex = Math.max(0, ...hashes.keys());
  return {
    seed: o.seed,
    events: scheduler.executed,
    violation,
    trace: trace.render(),
    acked: acked.length,
    crashes,
    appliedIndex,
    stateHash: hashes.get(appliedIndex) ?? '',
  };
}

/** Every acknowledged put is readable, on every member, at the revision it was acknowledged with. */
function checkAcked(nodes: ReadonlyMap<number, SimReplicaNode>, acked: readonly AckedPut[]): void {
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  for (const n of nodes.values()) {
    const machine = n.machine;
    if (machine === undefined) continue;
    for (const a of acked) {
      const kv = machine.range({ key: enc.encode(a.key), revision: a.revision }).kvs[0];
      const got = kv === undefined ? '(none)' : dec.decode(kv.value);
      if (got !== a.value)
        throw new Violation(
          Invariant.AckedDurable,
          `member ${n.id} reads ${a.key}=${got} at revision ${a.revision}, acknowledged ${a.value}`,
        );
    }
  }
}
