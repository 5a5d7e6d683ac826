/**
 * One simulated member: the real RaftNode plus a durable store, a mirror of its log for the
 * checkers, and the simulator's state machine, driven by virtual time.
 *
 * The Ready loop follows the contract of server/raft/types.ts strictly, one Ready at a time:
 *   take a Ready → stage snapshot/entries/hard state → (simulated fsync delay) → sync →
 *   send messages → apply snapshot and committed entries → advance → maybe compact → next Ready.
 * Inputs (ticks, messages, proposals) keep arriving while an fsync is outstanding; Raft batches them
 * into the next Ready. A crash drops the RaftNode, the Ready in flight and everything unsynced;
 * `start()` rebuilds the member from what is durable.
 */
import { assert } from '../../server/assert.js';
import type { SeededRandom } from '../../server/platform/random.js';
import {
  ConfChangeType,
  EntryType,
  RaftNode,
  Role,
  decodeConfChange,
  type ConfState,
  type Entry,
  type Message,
  type RaftBootState,
  type Ready,
  type ReadState,
  type Snapshot,
  committedAppliableBeforePersist,
} from '../../server/raft/index.js';
import { Invariant, Violation } from './checkers/violation.js';
import type { SafetyChecker } from './checkers/safety-checker.js';
import { exponential, type SimBugs } from './options.js';
import type { Scheduler, ScheduledEvent } from './scheduler.js';
import { AppliedList } from './state-machine.js';
import { RealStore } from './real-storage.js';
import { LogState, SimStorage, initialSnapshot, type DurableStore } from './sim-storage.js';

export interface SimNodeConfig {
  readonly id: number;
  readonly initialConf: ConfState;
  readonly tickMs: number;
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly maxMsgBytes: number;
  readonly maxInflightMsgs: number;
  readonly fsyncMinMs: number;
  readonly fsyncMeanMs: number;
  readonly compactEveryEntries: number;
  readonly compactOnConfChange: boolean;
  readonly bugs: SimBugs;
  /** 'model': SimStorage (synchronous); 'real': server/storage on the in-memory disk (asynchronous). */
  readonly storage: 'model' | 'real';
}

/** What a node needs from the cluster around it. */
export interface NodeEnvironment {
  readonly scheduler: Scheduler;
  readonly checker: SafetyChecker;
  send(m: Message): void;
  onApplied(node: SimNode, proposalId: number, index: number): void;
  onReadState(node: SimNode, rs: ReadState): void;
  /** The member reported (in a Ready) that it just became leader. */
  onBecameLeader(node: SimNode): void;
  /** The member, as leader, just took a Ready that advances its commit index (not yet durable). */
  onLeaderCommit(node: SimNode): void;
  /** An error surfaced in a promise chain (real storage): the run must stop with it. */
  fail(err: unknown): void;
}

export function applyConfChangeTo(conf: ConfState, entry: Entry): ConfState {
  const cc = decodeConfChange(entry.data);
  const voters = conf.voters.filter((v) => v !== cc.nodeId);
  const learners = conf.learners.filter((l) => l !== cc.nodeId);
  if (cc.type === ConfChangeType.AddVoter) voters.push(cc.nodeId);
  else if (cc.type === ConfChangeType.AddLearner) learners.push(cc.nodeId);
  return { voters: voters.sort((a, b) => a - b), learners: learners.sort((a, b) => a - b) };
}

export class SimNode {
  readonly id: number;
  incarnation = 0;
  raft: RaftNode | undefined;
  readonly storage: DurableStore;
  /** Set when the member runs on the real storage instead of `storage`. */
  readonly realStore: RealStore | undefined;
  /** True while a real-storage member is opening its data directory (not up yet). */
  isStarting = false;
  log: LogState;
  sm = new AppliedList();
  /** Membership as of the applied index (what a snapshot taken now must carry). */
  conf: ConfState;
  role: Role = Role.Follower;
  term = 0;
  commit = 0;
  lead = 0;
  /** Set when the member left the cluster for good in this run (the simulator stops restarting it). */
  retired = false;
  readonly stats = { readies: 0, fsyncs: 0, compactions: 0, crashes: 0 };
  private inflight: Ready | undefined;
  private tickTimer: ScheduledEvent | undefined;
  private fsyncTimer: ScheduledEvent | undefined;
  private readonly tickMs: number;
  private confChangedSinceSnapshot = false;
  private becameLeader = false;

  constructor(
    private readonly config: SimNodeConfig,
    private readonly env: NodeEnvironment,
    private readonly random: SeededRandom,
    tickDriftFraction: number,
  ) {
    this.id = config.id;
    this.storage = new SimStorage(config.initialConf);
    this.realStore =
      config.storage === 'real'
        ? new RealStore({
            memberId: config.id,
            initialConf: config.initialConf,
            scheduler: env.scheduler,
            random: random.fork(),
            fsyncMinMs: config.fsyncMinMs,
            fsyncMeanMs: config.fsyncMeanMs,
          })
        : undefined;
    this.log = new LogState(initialSnapshot(config.initialConf));
    this.conf = config.initialConf;
    this.tickMs = config.tickMs * (1 + tickDriftFraction * (2 * random.float() - 1));
  }

  get isUp(): boolean {
    return this.raft !== undefined;
  }

  start(): void {
    if (this.isStarting) return;
    assert(this.raft === undefined, `node ${this.id} started twice`);
    this.incarnation++;
    const real = this.realStore;
    if (real === undefined) {
      this.boot(this.storage.boot());
      return;
    }
    this.isStarting = true;
    const incarnation = this.incarnation;
    real.open().then(
      (boot) => {
        if (this.incarnation !== incarnation || !this.isStarting) return;
        this.isStarting = false;
        this.guard(() => this.boot(boot));
      },
      (err: unknown) => {
        if (this.incarnation === incarnation && this.isStarting) this.env.fail(err);
      },
    );
  }

  /** Unsynced writes a crash could keep (for real storage: whatever the disk has not synced). */
  get unsyncedWrites(): number {
    return this.realStore === undefined ? this.storage.stagedCount : 1;
  }

  /** Runs `fn` from a promise callback, routing any failure (a violation) to the run. */
  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.env.fail(err);
    }
  }

  private boot(boot: RaftBootState): void {
    const snap = boot.snapshot;
    this.raft = new RaftNode({
      id: this.id,
      electionTicks: this.config.electionTicks,
      heartbeatTicks: this.config.heartbeatTicks,
      maxMsgBytes: this.config.maxMsgBytes,
      maxInflightMsgs: this.config.maxInflightMsgs,
      random: this.random.fork(),
      boot,
      appliedIndex: snap.metadata.index,
      injectedBugs: this.config.bugs,
    });
    this.log = new LogState(snap, boot.entries);
    this.sm = new AppliedList();
    this.sm.restore(snap.metadata.index, snap.data);
    this.conf = snap.metadata.confState;
    this.role = Role.Follower;
    this.term = boot.hardState.term;
    this.commit = boot.hardState.commit;
    this.lead = 0;
    this.env.checker.onStart(this.id, this.incarnation, boot.hardState.commit, snap.metadata.index);
    this.scheduleTick();
    this.pump();
  }

  /**
   * Crash: the RaftNode and the Ready in flight are gone, and every unsynced write except the first
   * `keepStaged` (default none: a power loss before anything reached the disk).
   */
  crash(keepStaged = 0): void {
    if (this.isStarting) {
      this.isStarting = false;
      this.incarnation++;
      this.realStore?.crash(keepStaged > 0);
      return;
    }
    if (this.raft === undefined) return;
    this.stats.crashes++;
    this.raft = undefined;
    this.inflight = undefined;
    this.env.scheduler.cancel(this.tickTimer);
    this.env.scheduler.cancel(this.fsyncTimer);
    this.tickTimer = undefined;
    this.fsyncTimer = undefined;
    if (this.realStore === undefined) this.storage.crash(keepStaged);
    else this.realStore.crash(keepStaged > 0);
    this.role = Role.Follower;
    this.lead = 0;
  }

  receive(m: Message): void {
    const raft = this.raft;
    if (raft === undefined) return;
    raft.step(m);
    this.pump();
    this.observeRole(raft);
  }

  /** Runs `action` against the live RaftNode (it may throw ProposalRefusedError), then drains Readys. */
  act(action: (raft: RaftNode) => void): void {
    const raft = this.raft;
    if (raft === undefined) return;
    try {
      action(raft);
    } finally {
      this.pump();
      this.observeRole(raft);
    }
  }

  /**
   * Elections, step-downs and transfers happen inside step() and tick(); reading the live role after
   * every input (not only from Readys) lets the one-leader-per-term check see short leaderships too.
   */
  private observeRole(raft: RaftNode): void {
    if (this.raft !== raft) return;
    const st = raft.status();
    if (st.role === Role.Leader) this.env.checker.onLeaderSeen(this.id, st.term);
  }

  private scheduleTick(): void {
    const incarnation = this.incarnation;
    this.tickTimer = this.env.scheduler.after(this.tickMs, 'tick', this.id, undefined, () => {
      if (this.raft === undefined || this.incarnation !== incarnation) return;
      const raft = this.raft;
      raft.tick();
      this.scheduleTick();
      this.pump();
      this.observeRole(raft);
    });
  }

  /** Takes the next Ready if none is in flight, stages it, and completes it after the fsync. */
  private pump(): void {
    const raft = this.raft;
    if (raft === undefined || this.inflight !== undefined || !raft.hasReady()) return;
    const rd = raft.ready();
    this.stats.readies++;
    this.inflight = rd;
    const real = this.realStore;
    this.observe(rd);
    // Messages that promise nothing about this write leave at once (the replica does the same).
    for (const m of rd.messages.slice(0, this.sentEarly(rd))) this.env.send(m);
    // Committed entries an earlier Ready made durable are applied during the write, as the replica
    // does (applyEntry checks that each is durable).
    const early = committedAppliableBeforePersist(rd);
    for (let i = 0; i < early; i++) this.applyEntry(rd.committedEntries[i]!);
    // A commit-only hard state is staged but not synced: a crash may lose it (as on a real disk).
    if (!rd.mustSync && real === undefined) {
      this.complete(rd);
      return;
    }
    const incarnation = this.incarnation;
    if (real !== undefined) {
      const write = { snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState };
      real.save({ ...write, mustSync: rd.mustSync }).then(
        () => {
          if (this.incarnation !== incarnation || this.inflight !== rd) return;
          this.stats.fsyncs++;
          this.guard(() => this.complete(rd));
        },
        (err: unknown) => {
          if (this.incarnation === incarnation && this.raft !== undefined) this.env.fail(err);
        },
      );
      return;
    }
    const delayMs = this.config.fsyncMinMs + exponential(this.random, this.config.fsyncMeanMs);
    this.fsyncTimer = this.env.scheduler.after(delayMs, 'fsync', this.id, undefined, () => {
      if (this.incarnation !== incarnation || this.inflight !== rd) return;
      this.fsyncTimer = undefined;
      this.storage.sync();
      this.stats.fsyncs++;
      this.complete(rd);
    });
  }

  /** How many of the Ready's messages leave before its write is durable. */
  private sentEarly(rd: Ready): number {
    return this.config.bugs.sendBeforeSync === true ? rd.messages.length : rd.messagesBeforePersist;
  }

  /** Stage the Ready's durable parts, mirror them, and let the checkers look. */
  private observe(rd: Ready): void {
    const checker = this.env.checker;
    if (rd.softState !== undefined) {
      if (rd.softState.role === Role.Leader && this.role !== Role.Leader) this.becameLeader = true;
      this.role = rd.softState.role;
      this.lead = rd.softState.leader;
    }
    if (rd.hardState !== undefined) {
      if (rd.hardState.term < this.term) {
        throw new Violation(
          Invariant.Monotonic,
          `member ${this.id} term went back from ${this.term} to ${rd.hardState.term}`,
        );
      }
      this.term = rd.hardState.term;
    }
    const write = { snapshot: rd.snapshot, entries: rd.entries, hardState: rd.hardState };
    if (this.realStore === undefined) this.storage.stage(write);
    this.log.apply(write);
    if (rd.entries.length > 0) checker.onAppend(this.id, rd.entries, this.log);
    let commitAdvanced = false;
    if (rd.hardState !== undefined) {
      checker.onCommit(this.id, this.incarnation, rd.hardState.commit, this.term, this.log);
      commitAdvanced = rd.hardState.commit > this.commit;
      this.commit = rd.hardState.commit;
    }
    if (this.role === Role.Leader) checker.onLeader(this.id, this.term, this.log);
    if (this.becameLeader) {
      this.becameLeader = false;
      this.env.onBecameLeader(this);
    }
    if (commitAdvanced && this.role === Role.Leader) this.env.onLeaderCommit(this);
  }

  private complete(rd: Ready): void {
    const raft = this.raft as RaftNode;
    for (const m of rd.messages.slice(this.sentEarly(rd))) this.env.send(m);
    if (rd.snapshot !== undefined) this.restore(rd.snapshot);
    for (const e of rd.committedEntries.slice(committedAppliableBeforePersist(rd))) this.applyEntry(e);
    for (const rs of rd.readStates) this.env.onReadState(this, rs);
    this.inflight = undefined;
    raft.advance(rd);
    this.maybeCompact(raft);
    this.pump();
  }

  private restore(snapshot: Snapshot): void {
    const { index, term, confState } = snapshot.metadata;
    this.sm.restore(index, snapshot.data);
    this.conf = confState;
    this.env.checker.onRestore(this.id, this.incarnation, index, term, this.sm.hash);
  }

  private applyEntry(e: Entry): void {
    const durable = (this.realStore ?? this.storage).durableTerm(e.index);
    if (durable !== e.term) {
      throw new Violation(
        Invariant.ReadyContract,
        `member ${this.id} was handed committed entry ${e.index}/t${e.term} that is not durable (durable term ${durable})`,
      );
    }
    const id = this.sm.apply(e);
    if (e.type === EntryType.ConfChange) {
      this.conf = applyConfChangeTo(this.conf, e);
      this.confChangedSinceSnapshot = true;
    }
    this.env.checker.onApply(this.id, this.incarnation, e, this.sm.hash);
    if (id !== undefined) this.env.onApplied(this, id, e.index);
  }

  private maybeCompact(raft: RaftNode): void {
    const applied = this.sm.appliedIndex;
    const confChanged = this.config.compactOnConfChange && this.confChangedSinceSnapshot;
    if (applied - this.log.snapIndex < this.config.compactEveryEntries && !confChanged) return;
    if (applied <= this.log.snapIndex) return;
    this.confChangedSinceSnapshot = false;
    const term = this.log.term(applied);
    assert(term !== undefined, () => `node ${this.id}: applied index ${applied} not in its log`);
    const snapshot: Snapshot = {
      metadata: { index: applied, term, confState: this.conf },
      data: this.sm.encode(),
    };
    raft.compact(snapshot);
    const real = this.realStore;
    if (real === undefined) this.storage.saveSnapshot(snapshot);
    else {
      const incarnation = this.incarnation;
      real.saveSnapshot(snapshot).catch((err: unknown) => {
        if (this.incarnation === incarnation && this.raft !== undefined) this.env.fail(err);
      });
    }
    this.log.compact(snapshot);
    this.stats.compactions++;
  }
}
