/**
 * A simulated cluster: the scheduler, the network, the members and the checker, wired together
 * over one seeded PRNG. Independent streams are forked from it in a fixed order (network, then one
 * per member, then the fault driver), so a seed reproduces the run exactly.
 *
 * Client bookkeeping lives here too: every proposal carries a unique id; it is acknowledged when the
 * member that accepted it applies it (in the same incarnation, as a real server answers its client).
 */
import { SeededRandom } from '../../server/platform/random.js';
import {
  ProposalRefusedError,
  Role,
  type ConfState,
  type Message,
  type ReadState,
} from '../../server/raft/index.js';
import { SafetyChecker } from './checkers/safety-checker.js';
import { drawProfile, type FaultProfile, type SimOptions } from './options.js';
import { Scheduler } from './scheduler.js';
import { SimNetwork } from './sim-network.js';
import { SimNode } from './sim-node.js';
import { encodeProposal, hashIds, mixHash } from './state-machine.js';
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

interface Proposal {
  readonly node: number;
  readonly incarnation: number;
}

export class Cluster {
  readonly random: SeededRandom;
  readonly profile: FaultProfile;
  readonly trace = new Trace();
  readonly scheduler = new Scheduler(this.trace);
  readonly checker = new SafetyChecker();
  readonly network: SimNetwork;
  readonly nodes = new Map<number, SimNode>();
  readonly initialConf: ConfState;
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
  onBecameLeader: ((node: SimNode) => void) | undefined;
  onLeaderCommit: ((node: SimNode) => void) | undefined;
  /** The first error raised inside a promise chain (real storage); the run loop rethrows it. */
  asyncFailure: { err: unknown } | undefined;
  private readonly proposals = new Map<number, Proposal>();
  private readonly watched = new Map<number, number | undefined>();
  private nextProposalId = 1;
  private nextReadId = 1;
  private nextNodeId: number;
  private readonly nodeRandom: SeededRandom;

  constructor(readonly options: SimOptions) {
    this.random = new SeededRandom(options.seed);
    this.profile = drawProfile(this.random.fork(), options.profile);
    const p = this.profile;
    this.network = new SimNetwork(this.scheduler, this.random.fork(), p, (m) => this.deliver(m));
    this.nodeRandom = this.random.fork();
    const voters = Array.from({ length: options.nodes }, (_, i) => i + 1);
    this.initialConf = { voters, learners: [] };
    this.nextNodeId = options.nodes + 1;
    for (const id of voters) this.addNode(id).start();
  }

  /** Creates (but does not start) a member with a fresh disk; ids above the initial voters are joiners. */
  addNode(id: number): SimNode {
    const p = this.profile;
    const node = new SimNode(
      {
        id,
        initialConf: this.initialConf,
        tickMs: p.tickMs,
        electionTicks: p.electionTicks,
        heartbeatTicks: p.heartbeatTicks,
        maxMsgBytes: p.maxMsgBytes,
        maxInflightMsgs: p.maxInflightMsgs,
        fsyncMinMs: p.fsyncMinMs,
        fsyncMeanMs: p.fsyncMeanMs,
        compactEveryEntries: p.compactEveryEntries,
        compactOnConfChange: p.compactOnConfChange,
        bugs: this.options.bugs,
        storage: this.options.storage,
      },
      {
        scheduler: this.scheduler,
        checker: this.checker,
        send: (m) => this.network.send(m),
        onApplied: (n, id, index) => this.onApplied(n, id, index),
        onReadState: (n, rs) => this.onReadState(n, rs),
        onBecameLeader: (n) => this.onBecameLeader?.(n),
        onLeaderCommit: (n) => this.onLeaderCommit?.(n),
        fail: (err) => {
          this.asyncFailure ??= { err };
        },
      },
      this.nodeRandom.fork(),
      p.tickDriftFraction,
    );
    this.nodes.set(id, node);
    return node;
  }

  newNodeId(): number {
    return this.nextNodeId++;
  }

  upNodes(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.isUp);
  }

  /** The live member that believes it leads the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.nodes.values()) {
      if (n.isUp && n.role === Role.Leader && (best === undefined || n.term > best.term)) best = n;
    }
    return best;
  }

  pick<T>(items: readonly T[]): T | undefined {
    return items.length === 0 ? undefined : items[this.random.int(items.length)];
  }

  /** A client proposal on `node`; returns its id, or undefined when refused. */
  propose(node: SimNode): number | undefined {
    const id = this.nextProposalId++;
    this.clientStats.proposed++;
    const refused = this.refusable(() => node.act((raft) => raft.propose(encodeProposal(id))));
    this.trace.recordEvent(
      this.scheduler.nowMs,
      'client',
      node.id,
      `propose p${id}${refused ? ' refused' : ''}`,
    );
    if (refused) {
      this.clientStats.refused++;
      return undefined;
    }
    this.proposals.set(id, { node: node.id, incarnation: node.incarnation });
    return id;
  }

  read(node: SimNode): void {
    const context = `r${this.nextReadId++}`;
    this.clientStats.reads++;
    // Everything any member has seen committed so far must be visible to this read.
    let minIndex = this.checker.maxCommitted;
    for (const n of this.nodes.values()) if (n.commit > minIndex) minIndex = n.commit;
    this.checker.onReadIssued(context, node.id, minIndex);
    const refused = this.refusable(() => node.act((raft) => raft.readIndex(context)));
    this.trace.recordEvent(
      this.scheduler.nowMs,
      'client',
      node.id,
      `read ${context} (≥ ${minIndex})${refused ? ' refused' : ''}`,
    );
    if (refused) this.clientStats.readsRefused++;
  }

  /** Runs `fn`; true if Raft refused with ProposalRefusedError (expected), rethrows anything else. */
  refusable(fn: () => void): boolean {
    try {
      fn();
      return false;
    } catch (err) {
      if (err instanceof ProposalRefusedError) return true;
      throw err;
    }
  }

  /** A state hash over every member's applied state and the event count (for the determinism test). */
  stateHash(): number {
    let h = hashIds([this.scheduler.executed, this.clientStats.acked, this.checker.maxCommitted]);
    for (const n of [...this.nodes.values()].sort((a, b) => a.id - b.id)) {
      h = mixHash(h, n.id);
      h = mixHash(h, n.sm.appliedIndex);
      h = mixHash(h, n.sm.hash);
      h = mixHash(h, n.term);
    }
    return h;
  }

  private deliver(m: Message): void {
    const node = this.nodes.get(m.to);
    if (node === undefined) return;
    node.receive(m);
  }

  /** Remember where proposal `id` is first applied (see firstAppliedIndex). */
  watchApplied(id: number): void {
    this.watched.set(id, undefined);
  }

  /** The lowest index at which any of `ids` (all watched) was applied, if any was. */
  firstAppliedIndex(ids: Iterable<number>): number | undefined {
    let first: number | undefined;
    for (const id of ids) {
      const index = this.watched.get(id);
      if (index !== undefined && (first === undefined || index < first)) first = index;
    }
    return first;
  }

  private onApplied(node: SimNode, id: number, index: number): void {
    if (this.watched.has(id) && this.watched.get(id) === undefined) this.watched.set(id, index);
    const proposal = this.proposals.get(id);
    if (proposal === undefined) return;
    if (proposal.node === node.id && proposal.incarnation === node.incarnation) {
      this.proposals.delete(id);
      this.clientStats.acked++;
      this.checker.onAck(id, index);
    }
  }

  private onReadState(node: SimNode, rs: ReadState): void {
    this.clientStats.readsAnswered++;
    this.checker.onReadState(node.id, rs.context, rs.index);
  }
}
