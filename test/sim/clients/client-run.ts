/**
 * A small run of the simulated clients against members built from the production code: each
 * member is a SimReplicaNode (the production Replica and StateMachine on simulated ports) with the
 * production request path (server/member/request-path.ts: MemberBackend, watch pump, lease driver)
 * assembled on each incarnation. Faults: crashes with power loss and restarts; then a healed phase
 * with the clients still running (leases expire there too and are read); then the clients stop,
 * watches catch up, and the client checkers judge the history. Members catch watches up slowly
 * (slow-catch-up.ts) so that compaction can overtake a watch, and may run the state machine's
 * injected bugs (`machineBugs`).
 *
 * This is the clients' own end-to-end harness (their test, client-run.test.ts); the simulator's
 * seed runner wires SimClients the same way through a ClientHost.
 */
import type { ClientBackend } from '../../../server/api/index.js';
import type { StateMachineInjectedBugs } from '../../../server/apply/index.js';
import { assembleRequestPath, type RequestPath } from '../../../server/member/request-path.js';
import { SeededRandom } from '../../../server/platform/random.js';
import { Invariant, Violation } from '../checkers/violation.js';
import { exponential, type SimBugs } from '../options.js';
import { SimReplicaNode } from '../replica-node.js';
import { asViolation } from '../run.js';
import { Scheduler } from '../scheduler.js';
import { CALM_NETWORK, SimNetwork } from '../sim-network.js';
import { SimPlatform } from '../sim-platform.js';
import { Trace } from '../trace.js';
import type { ClientHost } from './host.js';
import { SimClients, type SimClientsOptions, type SimClientsStats } from './sim-clients.js';
import { SLOW_CATCH_UP_MACHINE, slowCatchUpTimers } from './slow-catch-up.js';

export interface ClientRunOptions {
  readonly seed: number;
  readonly nodes: 3 | 5;
  /** Virtual ms of client traffic and faults. */
  readonly faultMs: number;
  /** Virtual ms of client traffic after healing (leases expire and are read here too). */
  readonly healMs: number;
  /** Virtual ms after the clients stop, for watches to catch up before the check. */
  readonly settleMs: number;
  /** Mean virtual ms between crashes (0: none). */
  readonly crashIntervalMs: number;
  readonly downtimeMs: number;
  readonly snapshotCount: number;
  readonly clients: Partial<SimClientsOptions>;
  /** Raft's injected bugs (through SimReplicaNode's config). */
  readonly bugs: SimBugs;
  /** The state machine's injected bugs (server/apply/injected-bugs.ts), on every member. */
  readonly machineBugs: StateMachineInjectedBugs;
  /** Members whose watches catch up slowly (slow-catch-up.ts), so compaction can overtake one. */
  readonly slowWatchCatchUp: boolean;
}

export const CLIENT_RUN_DEFAULTS: Omit<ClientRunOptions, 'seed'> = {
  nodes: 3,
  faultMs: 3000,
  healMs: 5000,
  settleMs: 500,
  crashIntervalMs: 500,
  downtimeMs: 200,
  snapshotCount: 50,
  clients: {},
  bugs: {},
  machineBugs: {},
  slowWatchCatchUp: true,
};

export interface ClientRunResult {
  readonly seed: number;
  readonly events: number;
  readonly crashes: number;
  /** MsgSnap sent (members catching up by snapshot install). */
  readonly snapshotsSent: number;
  readonly violation: Violation | undefined;
  readonly stats: SimClientsStats | undefined;
  readonly trace: readonly string[];
}

const TICK_MS = 10;
const ELECTION_TICKS = 10;

interface Incarnation {
  readonly incarnation: number;
  readonly path: RequestPath;
  readonly platform: SimPlatform;
}

export async function runClientSeed(
  partial: Partial<ClientRunOptions> & { seed: number },
): Promise<ClientRunResult> {
  const o: ClientRunOptions = { ...CLIENT_RUN_DEFAULTS, ...partial };
  const random = new SeededRandom(o.seed);
  const trace = new Trace();
  const scheduler = new Scheduler(trace);
  const nodes = new Map<number, SimReplicaNode>();
  const network = new SimNetwork(scheduler, random.fork(), CALM_NETWORK, (m) => nodes.get(m.to)?.receive(m));
  let failure: { err: unknown } | undefined;
  const fail = (err: unknown): void => {
    failure ??= { err };
  };
  const hashes = new Map<number, string>();
  let snapshotsSent = 0;
  const voters = Array.from({ length: o.nodes }, (_, i) => i + 1);
  const nodeRandom = random.fork();
  const pathRandom = random.fork();
  for (const id of voters) {
    nodes.set(
      id,
      new SimReplicaNode(
        {
          id,
          initialConf: { voters, learners: [] },
          tickMs: TICK_MS,
          electionTicks: ELECTION_TICKS,
          heartbeatTicks: 1,
          fsyncMinMs: 0.1,
          fsyncMeanMs: 1,
          snapshotCount: o.snapshotCount,
          snapshotCatchUpEntries: 5,
          requestTimeoutMs: 1000,
          bugs: o.bugs,
          machine: {
            ...(o.slowWatchCatchUp ? SLOW_CATCH_UP_MACHINE : {}),
            injectedBugs: o.machineBugs,
          },
        },
        {
          scheduler,
          send: (m) => {
            if (m.type === 'MsgSnap') snapshotsSent++;
            network.send(m);
          },
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
      ),
    );
  }

  // The request path of each member's live incarnation, assembled when it starts.
  const paths = new Map<number, Incarnation>();
  const start = (node: SimReplicaNode): void => {
    // A restart scheduled before the heal may find the member started by the heal: a second request
    // path on the same incarnation would take (and drop) the first one's watch responses.
    if (node.isUp) return;
    node.start();
    const replica = node.replica;
    const machine = node.machine;
    if (replica === undefined || machine === undefined) return;
    const platform = new SimPlatform(scheduler, node.id, pathRandom.fork());
    const path = assembleRequestPath({
      replica,
      machine,
      port: { onLeaseRevoked: () => () => undefined },
      clock: platform,
      timers: o.slowWatchCatchUp ? slowCatchUpTimers(platform) : platform,
      clusterId: 1,
      memberId: node.id,
      electionTimeoutMs: TICK_MS * ELECTION_TICKS,
    });
    paths.set(node.id, { incarnation: node.incarnation, path, platform });
  };
  const crash = (node: SimReplicaNode, keepStaged: number): void => {
    node.crash(keepStaged);
    const inc = paths.get(node.id);
    paths.delete(node.id);
    // The incarnation is gone: its timers never fire again; its watchers just stop (no goodbye).
    inc?.platform.dispose();
  };
  const backend = (id: number): ClientBackend | undefined => {
    const node = nodes.get(id);
    const inc = paths.get(id);
    return node?.isUp === true && inc !== undefined && inc.incarnation === node.incarnation
      ? inc.path.backend
      : undefined;
  };
  const host: ClientHost = { scheduler, random: random.fork(), trace, memberIds: () => voters, backend };
  const clients = new SimClients(host, o.clients);
  const driverRandom = random.fork();
  let faults = true;
  let crashes = 0;
  const crashSome = (): void => {
    if (!faults) return;
    const up = [...nodes.values()].filter((n) => n.isUp);
    const victim = up[driverRandom.int(up.length)];
    if (victim !== undefined) {
      crashes++;
      crash(victim, driverRandom.chance(0.5) ? driverRandom.int(3) : 0);
      trace.recordEvent(scheduler.nowMs, 'crash', victim.id, `crash (incarnation ${victim.incarnation})`);
      scheduler.after(exponential(driverRandom, o.downtimeMs), 'restart', victim.id, undefined, () =>
        start(victim),
      );
    }
    scheduler.after(exponential(driverRandom, o.crashIntervalMs), 'crash', 0, undefined, crashSome);
  };

  const settle = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (failure !== undefined) throw failure.err;
  };
  let violation: Violation | undefined;
  let stats: SimClientsStats | undefined;
  try {
    for (const n of nodes.values()) start(n);
    clients.start();
    if (o.crashIntervalMs > 0)
      scheduler.after(exponential(driverRandom, o.crashIntervalMs), 'crash', 0, undefined, crashSome);
    await settle();
    while (scheduler.step(o.faultMs)) await settle();
    faults = false;
    for (const n of nodes.values()) if (!n.isUp) start(n);
    trace.recordEvent(scheduler.nowMs, 'heal', 0, 'all members up');
    while (scheduler.step(o.faultMs + o.healMs)) await settle();
    // The clients ran through the healed phase too: what expired there was read there.
    clients.stop();
    while (scheduler.step(o.faultMs + o.healMs + o.settleMs)) await settle();
    stats = clients.check();
  } catch (err) {
    violation = asViolation(err);
  }
  for (const n of nodes.values()) crash(n, 0);
  return {
    seed: o.seed,
    events: scheduler.executed,
    crashes,
    snapshotsSent,
    violation,
    stats,
    trace: trace.render(),
  };
}
