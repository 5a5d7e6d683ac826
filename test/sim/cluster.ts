/**
 * A simulated cluster of production members (replica-node.ts): the scheduler, the network, the
 * members and the checker, wired together over one seeded PRNG. Independent streams are forked from
 * it in a fixed order (profile, network, members, then the fault driver), so a seed reproduces the
 * run exactly.
 *
 * Client bookkeeping lives here too. Proposals are real apply commands (a put of `k<id % 16>` =
 * `p<id>`) through `Replica.propose`; a put is acknowledged when the proposer's promise resolves
 * with status ok in the same incarnation (a crashed incarnation's promises never resolve), as a
 * server answers its client. Reads are `Replica.linearizableRead`, membership changes
 * `changeMembership`, transfers `transferLeadership`: refusals and timeouts (the replica's typed
 * `ServerError`s) are expected and counted; anything else fails the seed.
 */
import { encodeCommand, type ApplyResult } from '../../server/apply/index.js';
import { ServerError } from '../../server/errors.js';
import { SeededRandom } from '../../server/platform/random.js';
import { Role, type ConfChange, type ConfState, type Message } from '../../server/raft/index.js';
import { AuthApplyChecker } from './checkers/auth-apply.js';
import { SafetyChecker } from './checkers/safety-checker.js';
import { SLOW_CATCH_UP_MACHINE } from './clients/slow-catch-up.js';
import {
  drawProfile,
  machineBugsOf,
  simMaxUncommittedBytes,
  type FaultProfile,
  type SimOptions,
} from './options.js';
import { SimReplicaNode, type LiveMember } from './replica-node.js';
import { Scheduler } from './scheduler.js';
import { SimNetwork } from './sim-network.js';
import { Trace } from './trace.js';

export interface ClientStats {
  proposed: number;
  refused: number;
  acked: number;
  reads: number;
  readsRefused: number;
  readsAnswered: number;
  confChanges: number;
  confChangesRefused: number;
  transfers: number;
  transfersRefused: number;
}

/** A put acknowledged to its client: readable at `revision` on every member, forever. */
export interface AckedPut {
  readonly id: number;
  readonly key: string;
  readonly value: string;
  readonly revision: number;
}

/** Runs on every (re)start of a member, with the new incarnation's replica and state machine. */
export type MemberStartHook = (node: SimReplicaNode, live: LiveMember) => void;

const KEYS = 16;
const encoder = new TextEncoder();

export class Cluster {
  readonly random: SeededRandom;
  readonly profile: FaultProfile;
  readonly trace = new Trace();
  readonly scheduler = new Scheduler(this.trace);
  readonly checker = new SafetyChecker();
  /** With the auth workload (SimOptions.auth): judges every applied entry (checkers/auth-apply.ts). */
  readonly authChecker: AuthApplyChecker | undefined;
  readonly network: SimNetwork;
  readonly nodes = new Map<number, SimReplicaNode>();
  readonly initialConf: ConfState;
  readonly acked: AckedPut[] = [];
  readonly clientStats: ClientStats = {
    proposed: 0,
    refused: 0,
    acked: 0,
    reads: 0,
    readsRefused: 0,
    readsAnswered: 0,
    confChanges: 0,
    confChangesRefused: 0,
    transfers: 0,
    transfersRefused: 0,
  };
  /** Set by the fault driver to react to elections. */
  onBecameLeader: ((node: SimReplicaNode) => void) | undefined;
  onLeaderCommit: ((node: SimReplicaNode) => void) | undefined;
  /** The first error raised inside a promise chain; the run loop rethrows it after the event. */
  asyncFailure: { err: unknown } | undefined;
  private readonly startHooks = new Set<MemberStartHook>();
  /** False once healed: the figure-8 append loss stops with the rest of the weather. */
  private appendLossOn = true;
  /** When each member was last seen becoming leader (for the figure-8 append loss). */
  private readonly electedAtMs = new Map<number, number>();
  private nextProposalId = 1;
  private abandoned = false;
  /** Connection-closed reports delivered to members (coverage). */
  connectionEventsDelivered = 0;
  private nextNodeId: number;
  private readonly nodeRandom: SeededRandom;

  constructor(readonly options: SimOptions) {
    this.authChecker = options.auth ? new AuthApplyChecker() : undefined;
    this.random = new SeededRandom(options.seed);
    this.profile = drawProfile(this.random.fork(), options.profile);
    this.network = new SimNetwork(this.scheduler, this.random.fork(), this.profile, (m) => this.deliver(m));
    this.nodeRandom = this.random.fork();
    const voters = Array.from({ length: options.nodes }, (_, i) => i + 1);
    this.initialConf = { voters, learners: [] };
    this.nextNodeId = options.nodes + 1;
    for (const id of voters) this.addNode(id);
  }

  /** Starts the initial members (after the caller had a chance to register start hooks). */
  start(): void {
    for (const id of this.initialConf.voters) this.nodes.get(id)?.start();
  }

  /**
   * Registers `hook` to run on every (re)start of every member from now on (and at once for the
   * members already up). Returns a function that unregisters it.
   */
  onMemberStart(hook: MemberStartHook): () => void {
    this.startHooks.add(hook);
    for (const n of this.nodes.values()) if (n.live !== undefined) hook(n, n.live);
    return () => this.startHooks.delete(hook);
  }

  /** The live incarnation of each member that is up (replica, state machine, port, platform). */
  liveMembers(): Map<number, LiveMember> {
    const out = new Map<number, LiveMember>();
    for (const n of this.nodes.values()) if (n.live !== undefined) out.set(n.id, n.live);
    return out;
  }

  /**
   * Creates (but does not start) a member with a fresh disk that knows only the initial
   * membership; ids above the initial voters are joiners.
   */
  addNode(id: number): SimReplicaNode {
    const p = this.profile;
    const nodeRandom = this.nodeRandom.fork();
    const drift = 1 + p.tickDriftFraction * (2 * nodeRandom.float() - 1);
    const node = new SimReplicaNode(
      {
        id,
        initialConf: this.initialConf,
        tickMs: p.tickMs * drift,
        electionTicks: p.electionTicks,
        heartbeatTicks: p.heartbeatTicks,
        maxMsgBytes: p.maxMsgBytes,
        maxInflightMsgs: p.maxInflightMsgs,
        maxUncommittedBytes: simMaxUncommittedBytes(p, this.options.livenessMs),
        fsyncMinMs: p.fsyncMinMs,
        fsyncMeanMs: p.fsyncMeanMs,
        snapshotCount: p.compactEveryEntries,
        snapshotCatchUpEntries: p.snapshotCatchUpEntries,
        requestTimeoutMs: p.requestTimeoutMs,
        bugs: this.options.bugs,
        storage: this.options.storage,
        // Watches catch up in small rounds, so a compaction can overtake one (clients/slow-catch-up.ts).
        machine: { ...SLOW_CATCH_UP_MACHINE, injectedBugs: machineBugsOf(this.options.bugs) },
      },
      {
        scheduler: this.scheduler,
        checker: this.checker,
        ...(this.authChecker === undefined ? {} : { authChecker: this.authChecker }),
        send: (m) => this.send(m),
        fail: (err) => this.fail(err),
        onBecameLeader: (n) => {
          this.electedAtMs.set(n.id, this.scheduler.nowMs);
          this.onBecameLeader?.(n);
        },
        onLeaderCommit: (n) => this.onLeaderCommit?.(n),
        onStarted: (n, live) => {
          this.connectionsRestored(n);
          for (const hook of this.startHooks) hook(n, live);
        },
        onCrashed: (n) => this.connectionsClosed(n),
      },
      nodeRandom,
    );
    this.nodes.set(id, node);
    return node;
  }

  newNodeId(): number {
    return this.nextNodeId++;
  }

  upNodes(): SimReplicaNode[] {
    return [...this.nodes.values()].filter((n) => n.isUp);
  }

  /** The live member that believes it leads the highest term, if any. */
  leader(): SimReplicaNode | undefined {
    let best: SimReplicaNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.isUp && n.role === Role.Leader && (best === undefined || n.term > best.term)) best = n;
    }
    return best;
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.random.int(items.length)];
  }

  /** The first failure wins; the run rethrows it after the current event. */
  fail(err: unknown): void {
    this.asyncFailure ??= { err };
  }

  /**
   * A client put on `node`; returns its id. `onAck` runs when it is acknowledged (applied by the
   * proposer in the same incarnation, with status ok).
   */
  propose(node: SimReplicaNode, onAck?: (put: AckedPut) => void): number | undefined {
    const id = this.nextProposalId++;
    const key = `k${id % KEYS}`;
    const value = `p${id}`;
    const command = encodeCommand({
      type: 'put',
      request: { key: encoder.encode(key), value: encoder.encode(value) },
    });
    const incarnation = node.incarnation;
    const promise = node.act((live) => live.replica.propose(command));
    if (promise === undefined) return undefined;
    this.clientStats.proposed++;
    this.trace.recordEvent(this.scheduler.nowMs, 'client', node.id, `put ${key}=${value}`);
    promise.then(
      (r: ApplyResult) => {
        if (r.status !== 'ok' || !node.isLive(incarnation)) return;
        const put = { id, key, value, revision: r.revision };
        this.acked.push(put);
        this.clientStats.acked++;
        onAck?.(put);
      },
      (err: unknown) => this.expected(err, () => this.clientStats.refused++),
    );
    return id;
  }

  /**
   * A linearizable read on `node`. Everything committed anywhere when it is issued must be applied
   * on `node` when it is answered (ReadIndex, end to end).
   */
  read(node: SimReplicaNode): void {
    let minIndex = this.checker.maxCommitted;
    for (const n of this.nodes.values()) if (n.isUp && n.commit > minIndex) minIndex = n.commit;
    const incarnation = node.incarnation;
    const promise = node.act((live) => live.replica.linearizableRead());
    if (promise === undefined) return;
    this.clientStats.reads++;
    this.trace.recordEvent(this.scheduler.nowMs, 'client', node.id, `read (≥ ${minIndex})`);
    promise.then(
      () => {
        const live = node.live;
        if (live === undefined || !node.isLive(incarnation)) return;
        this.clientStats.readsAnswered++;
        try {
          this.checker.onReadAnswered(node.id, minIndex, live.replica.status().appliedIndex);
        } catch (err) {
          this.fail(err);
        }
      },
      (err: unknown) => this.expected(err, () => this.clientStats.readsRefused++),
    );
  }

  /** Asks `node` (the leader) for a membership change. */
  changeMembership(node: SimReplicaNode, change: ConfChange): void {
    const promise = node.act((live) => live.replica.changeMembership(change));
    if (promise === undefined) return;
    this.clientStats.confChanges++;
    this.trace.recordEvent(
      this.scheduler.nowMs,
      'admin',
      node.id,
      `conf change ${change.type}(${change.nodeId})`,
    );
    promise.then(
      () => undefined,
      (err: unknown) => this.expected(err, () => this.clientStats.confChangesRefused++),
    );
  }

  /** Asks `node` to move leadership to `target` (a follower forwards the request to the leader). */
  transfer(node: SimReplicaNode, target: number): void {
    const promise = node.act((live) => live.replica.transferLeadership(target));
    if (promise === undefined) return;
    this.clientStats.transfers++;
    this.trace.recordEvent(this.scheduler.nowMs, 'transfer', node.id, `leadership to ${target}`);
    promise.then(
      () => undefined,
      (err: unknown) => this.expected(err, () => this.clientStats.transfersRefused++),
    );
  }

  /** A refusal or timeout (a ServerError) is counted; anything else fails the seed. */
  private expected(err: unknown, count: () => void): void {
    if (err instanceof ServerError) count();
    else this.fail(err);
  }

  /**
   * `dead` crashed: the kernel closes its sockets, so each live peer sees its connection to it
   * close (after the close and one failed redial travel: three one-way latencies) unless the link
   * is cut, as long as `dead` has not restarted by then.
   */
  private connectionsClosed(dead: SimReplicaNode): void {
    if (!this.profile.connectionEvents || this.abandoned) return;
    const incarnation = dead.incarnation;
    for (const peer of this.nodes.values()) {
      if (peer.id === dead.id || !peer.isUp) continue;
      const peerIncarnation = peer.incarnation;
      this.network.afterLink(dead.id, peer.id, 3, () => {
        if (dead.incarnation !== incarnation || !peer.isLive(peerIncarnation)) return;
        this.connectionEventsDelivered++;
        peer.connectionLost(dead.id);
      });
    }
  }

  /** `node` (re)started: each live peer's redial to it succeeds. */
  private connectionsRestored(node: SimReplicaNode): void {
    if (!this.profile.connectionEvents || node.incarnation <= 1) return;
    const incarnation = node.incarnation;
    for (const peer of this.nodes.values()) {
      if (peer.id === node.id || !peer.isUp) continue;
      const peerIncarnation = peer.incarnation;
      this.network.afterLink(node.id, peer.id, 2, () => {
        if (!node.isLive(incarnation) || !peer.isLive(peerIncarnation)) return;
        peer.connectionRestored(node.id);
      });
    }
  }

  /** The run is over: crashes from now on abandon incarnations and tell nobody. */
  abandon(): void {
    this.abandoned = true;
  }

  /** A hash over every member's applied state and the event count (for the determinism test). */
  stateHash(): number {
    let h = hashNumbers([this.scheduler.executed, this.clientStats.acked, this.checker.maxCommitted]);
    for (const n of [...this.nodes.values()].sort((a, b) => a.id - b.id)) {
      const st = n.replica?.status();
      h = mixHash(h, n.id);
      h = mixHash(h, st?.appliedIndex ?? -1);
      h = mixHash(h, n.term);
      for (const ch of n.machine?.hash() ?? '') h = mixHash(h, ch.charCodeAt(0));
    }
    return h;
  }

  /** The liveness phase: no more message loss of the cluster's own (the network is healed apart). */
  calmDown(): void {
    this.appendLossOn = false;
  }

  /**
   * Into the network, except what the figure-8 weather loses: right after an election, appends
   * that carry the new leader's own entries (appends of older entries get through).
   */
  private send(m: Message): void {
    const p = this.profile;
    if (
      this.appendLossOn &&
      p.electionAppendLossRate > 0 &&
      m.type === 'MsgApp' &&
      m.entries.some((e) => e.term === m.term)
    ) {
      const electedAt = this.electedAtMs.get(m.from);
      if (
        electedAt !== undefined &&
        this.scheduler.nowMs - electedAt <= p.electionAppendLossMs &&
        this.random.chance(p.electionAppendLossRate)
      ) {
        this.trace.recordEvent(this.scheduler.nowMs, 'lost', m.from, m);
        return;
      }
    }
    this.network.send(m);
  }

  private deliver(m: Message): void {
    this.nodes.get(m.to)?.receive(m);
  }
}

function mixHash(hash: number, x: number): number {
  let h = Math.imul(hash ^ x, 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) >>> 0;
}

function hashNumbers(xs: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) h = mixHash(h, x);
  return h;
}
