/**
 * The weather of the fault phase: client puts and linearizable reads throughout, member crashes
 * and restarts, symmetric and one-way partitions, membership changes and leadership transfers.
 * Each activity recurs after an exponentially distributed interval whose mean comes from the seed's
 * profile (Infinity switches it off). `stop()` ends them all when the liveness phase begins.
 */
import { ConfChangeType, Role, type ConfChange } from '../../server/raft/index.js';
import { FlapStabilityChecker } from './checkers/flap-stability.js';
import type { Cluster } from './cluster.js';
import { exponential, isFlapOnly } from './options.js';
import type { SimReplicaNode } from './replica-node.js';

/** Joiners get fresh ids up to this many beyond the initial members; then removed ids are re-added. */
const MAX_EXTRA_MEMBERS = 4;

export class FaultDriver {
  private active = false;
  private partitionGeneration = 0;
  private flapping = false;
  /** Set under the flap profile only: the leader's term must never change. */
  readonly flapChecker: FlapStabilityChecker | undefined;

  constructor(private readonly cluster: Cluster) {
    // Only the flap profile: a swarm seed that draws flaps and no other fault still has its slow
    // disks and networks, which cost leaders their term without any flap (swarm seeds 683, 1245).
    this.flapChecker =
      cluster.options.profileName === 'flap' && isFlapOnly(cluster.profile)
        ? new FlapStabilityChecker()
        : undefined;
  }

  start(): void {
    const p = this.cluster.profile;
    this.active = true;
    if (p.leaderKillRate > 0) this.cluster.onBecameLeader = (node) => this.maybeKillLeader(node);
    if (p.commitKillRate > 0) this.cluster.onLeaderCommit = (node) => this.maybeKillOnCommit(node);
    this.every('propose', p.proposalIntervalMs, () => this.propose());
    this.every('read', p.readIntervalMs, () => this.read());
    this.every('crash', p.crashIntervalMs, () => this.crash());
    this.every('partition', p.partitionIntervalMs, () => this.partition());
    this.every('confchange', p.confChangeIntervalMs, () => this.confChange());
    this.every('transfer', p.transferIntervalMs, () => this.transfer());
    this.every('flap', p.flapIntervalMs, () => this.flap());
  }

  /** Ends the weather; throws if the flap checker saw the term move during it. */
  stop(): void {
    this.active = false;
    this.checkFlaps();
  }

  /** After every event of the fault phase (run.ts). */
  checkFlaps(): void {
    const checker = this.flapChecker;
    if (checker === undefined) return;
    let highest = 0;
    for (const n of this.cluster.nodes.values()) highest = Math.max(highest, n.term);
    checker.check(highest, this.cluster.scheduler.nowMs);
  }

  /**
   * A follower's connection to its live leader flaps: the follower→leader link goes down (and half
   * the time leader→follower too: a reset that kills both sockets), the follower is told its
   * connection closed, and after exp(flapDurationMs) the links come back and it is told so.
   * The next flap waits one election timeout more: a follower cut off for longer than that has let
   * its leader lease lapse, and until it hears the leader again it grants any pre-vote (plain
   * pre-vote, early or not) — two followers' outages overlapping, not one flap under a healthy
   * cluster (sim seed 1003, 3 members, flap profile, before this pause).
   */
  private flap(): void {
    const c = this.cluster;
    const leader = c.leader();
    if (this.flapping || leader === undefined) return;
    const followers = c
      .upNodes()
      .filter((n) => n.role === Role.Follower && n.replica?.status().raft.lead === leader.id);
    const follower = c.pick(followers);
    if (follower === undefined) return;
    this.flapping = true;
    this.flapChecker?.onFlap(leader.term);
    const both = c.random.chance(0.5);
    c.network.setFlapped(follower.id, leader.id, true);
    if (both) c.network.setFlapped(leader.id, follower.id, true);
    c.trace.recordEvent(
      c.scheduler.nowMs,
      'flap',
      follower.id,
      `connection to leader ${leader.id}${both ? ' (both ways)' : ''} lost`,
    );
    follower.connectionLost(leader.id);
    const incarnation = follower.incarnation;
    c.scheduler.after(
      exponential(c.random, c.profile.flapDurationMs),
      'flap-end',
      follower.id,
      undefined,
      () => {
        const p = c.profile;
        c.scheduler.after(p.electionTicks * p.tickMs, 'flap-settled', follower.id, undefined, () => {
          this.flapping = false;
        });
        c.network.setFlapped(follower.id, leader.id, false);
        c.network.setFlapped(leader.id, follower.id, false);
        if (follower.isLive(incarnation)) follower.connectionRestored(leader.id);
      },
    );
  }

  private every(label: string, meanMs: number, action: () => void): void {
    if (!Number.isFinite(meanMs)) return;
    const c = this.cluster;
    // The activity records its own trace line when it does something; the timer itself stays quiet.
    c.scheduler.after(exponential(c.random, meanMs), `weather:${label}`, 0, undefined, () => {
      if (!this.active) return;
      action();
      this.every(label, meanMs, action);
    });
  }

  private propose(): void {
    const node = this.cluster.pick(this.cluster.upNodes());
    if (node !== undefined) this.cluster.propose(node);
  }

  private read(): void {
    const node = this.cluster.pick(this.cluster.upNodes());
    if (node !== undefined) this.cluster.read(node);
  }

  private crash(): void {
    const node = this.cluster.pick(this.cluster.upNodes());
    if (node !== undefined) this.crashAndRestart(node);
  }

  private maybeKillLeader(node: SimReplicaNode): void {
    const c = this.cluster;
    if (!this.active || !c.random.chance(c.profile.leaderKillRate)) return;
    const incarnation = node.incarnation;
    c.scheduler.after(
      exponential(c.random, c.profile.leaderKillDelayMs),
      'kill',
      node.id,
      'new leader',
      () => {
        if (this.active && node.isUp && node.incarnation === incarnation) this.crashAndRestart(node);
      },
    );
  }

  private maybeKillOnCommit(node: SimReplicaNode): void {
    const c = this.cluster;
    if (!this.active || !c.random.chance(c.profile.commitKillRate)) return;
    // Not from inside the save: crash as the very next event, before the fsync completes.
    const incarnation = node.incarnation;
    c.scheduler.after(0, 'kill', node.id, 'leader after commit', () => {
      if (this.active && node.isUp && node.incarnation === incarnation) this.crashAndRestart(node);
    });
  }

  private crashAndRestart(node: SimReplicaNode): void {
    const c = this.cluster;
    let keep = 0;
    if (c.random.chance(c.profile.crashKeepsUnsyncedShare)) {
      const staged = node.unsyncedWrites;
      keep = c.random.chance(0.5) ? staged : c.random.int(staged + 1);
    }
    node.crash(keep);
    c.trace.recordEvent(
      c.scheduler.nowMs,
      'crashed',
      node.id,
      `incarnation ${node.incarnation}, kept ${keep} unsynced`,
    );
    const incarnation = node.incarnation;
    c.scheduler.after(exponential(c.random, c.profile.downtimeMs), 'restart', node.id, undefined, () => {
      if (this.active && !node.isUp && node.incarnation === incarnation) node.start();
    });
  }

  private partition(): void {
    const c = this.cluster;
    const ids = [...c.nodes.keys()];
    const generation = ++this.partitionGeneration;
    c.network.healAll();
    if (c.random.chance(c.profile.asymmetricShare)) {
      const cuts = 1 + c.random.int(ids.length);
      for (let k = 0; k < cuts; k++) {
        const from = c.pick(ids) as number;
        const to = c.pick(ids) as number;
        c.network.cut(from, to);
      }
    } else if (c.random.chance(0.5)) {
      const isolated = c.pick(ids) as number;
      c.network.partition(
        [isolated],
        ids.filter((id) => id !== isolated),
      );
    } else {
      const shuffled = ids.slice();
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = c.random.int(i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j] as number, shuffled[i] as number];
      }
      const at = 1 + c.random.int(shuffled.length - 1);
      c.network.partition(shuffled.slice(0, at), shuffled.slice(at));
    }
    c.trace.recordEvent(c.scheduler.nowMs, 'cut', 0, c.network.describeCuts());
    c.scheduler.after(exponential(c.random, c.profile.partitionDurationMs), 'heal', 0, undefined, () => {
      if (generation === this.partitionGeneration) c.network.healAll();
    });
  }

  /** One step of the cycle: remove a voter → add a learner (new or removed id) → promote it. */
  private confChange(): void {
    const c = this.cluster;
    const leader = c.leader();
    const replica = leader?.replica;
    if (leader === undefined || replica === undefined) return;
    const conf = replica.status().raft.confState;
    let change: ConfChange;
    const learner = c.pick(conf.learners);
    if (learner !== undefined) {
      change = { type: ConfChangeType.AddVoter, nodeId: learner };
    } else if (conf.voters.length >= c.options.nodes) {
      change = { type: ConfChangeType.RemoveNode, nodeId: c.pick(conf.voters) as number };
    } else {
      const joiner = this.pickJoiner(conf.voters);
      if (!joiner.isUp) joiner.start();
      change = { type: ConfChangeType.AddLearner, nodeId: joiner.id };
    }
    c.changeMembership(leader, change);
  }

  private pickJoiner(voters: readonly number[]): SimReplicaNode {
    const c = this.cluster;
    const outside = [...c.nodes.values()].filter((n) => !voters.includes(n.id));
    const canGrow = c.nodes.size < c.options.nodes + MAX_EXTRA_MEMBERS;
    const reuse = c.pick(outside);
    if (reuse !== undefined && (!canGrow || c.random.chance(0.5))) return reuse;
    return c.addNode(c.newNodeId());
  }

  private transfer(): void {
    const c = this.cluster;
    const leader = c.leader();
    const replica = leader?.replica;
    if (leader === undefined || replica === undefined) return;
    const target = c.pick(replica.status().raft.confState.voters.filter((v) => v !== leader.id));
    if (target === undefined) return;
    // Half the time ask a follower, which forwards the request to the leader.
    const asked = c.random.chance(0.5) ? leader : (c.pick(c.upNodes()) ?? leader);
    c.transfer(asked, target);
  }
}
