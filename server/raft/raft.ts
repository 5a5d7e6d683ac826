/**
 * The Raft state machine of one member. No I/O: inputs are `step(message)` and `tick()`, outputs
 * accumulate in `msgs` and `readStates` (drained by RaftNode into a Ready) and in the log's unstable
 * entries and hard state.
 *
 * Term handling happens once in `step()`, before dispatch to the role's step function
 * (step-leader.ts, step-candidate.ts, step-follower.ts), so role handlers see only messages of the
 * current term (or term-less local ones).
 */
import { assert } from '../assert.js';
import type { Random } from '../platform/random.js';
import { RAFT_DEFAULTS, validateRaftConfig, type InjectedBugs, type RaftConfig } from './config.js';
import { decodeConfChange } from './conf-change.js';
import type { RaftRefusal } from './errors.js';
import { ReadOnlyQueue } from './read-only.js';
import { RaftLog } from './raft-log.js';
import { VoteResult } from './quorum.js';
import { ProgressState } from './status.js';
import { stepCandidate } from './step-candidate.js';
import { stepFollower } from './step-follower.js';
import { stepLeader } from './step-leader.js';
import { ProgressTracker } from './tracker.js';
import {
  CampaignReason,
  EntryType,
  NONE,
  Role,
  type ConfChange,
  type Entry,
  type HardState,
  type Message,
  type MsgHeartbeat,
  type ReadState,
  type SoftState,
} from './types.js';

/** Distributes Omit over a union, so each message variant keeps its own fields. */
export type Outgoing = Message extends infer M
  ? M extends Message
    ? Omit<M, 'from' | 'term'> & { term?: number }
    : never
  : never;

export type StepResult = RaftRefusal | undefined;

/** Ticks between the early pre-votes of consecutive ranks (see `Raft.earlySlot`). */
const EARLY_TICKS_PER_RANK = 2;

export class Raft {
  readonly id: number;
  term: number;
  vote: number;
  lead = NONE;
  role: Role = Role.Follower;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  readonly readOnly = new ReadOnlyQueue();
  /** ReadIndex requests that arrived before this leader committed an entry of its own term. */
  pendingReadIndex: Message[] = [];
  msgs: Message[] = [];
  /**
   * Proposals were appended since the last broadcast: one `bcastAppend` when the next Ready is
   * taken sends them all, instead of one append per follower per proposal.
   */
  appendsOwed = false;
  readStates: ReadState[] = [];

  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee = NONE;
  /** Index of the newest conf change the leader appended; another waits until it is applied. */
  pendingConfIndex = 0;
  uncommittedBytes = 0;
  /**
   * The leader of this term whose peer connection closed (`leaderConnectionLost`) and has not come
   * back, or NONE. Cleared when the term changes, when that leader is heard from, and by
   * `leaderConnectionRestored`. See docs/raft.md, "Early pre-vote when the leader's process dies".
   */
  suspectLeader = NONE;
  /** The `electionElapsed` at which the early pre-vote starts (0: none scheduled). */
  earlyCampaignAt = 0;
  campaignReason: CampaignReason | undefined = undefined;
  /** Campaigns started in this incarnation, by reason (for metrics and tests). */
  readonly campaigns: Record<CampaignReason, number> = {
    timeout: 0,
    leaderLost: 0,
    transfer: 0,
    explicit: 0,
  };

  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  readonly maxMsgBytes: number;
  readonly maxUncommittedBytes: number;
  readonly bugs: InjectedBugs;
  private readonly random: Random;

  constructor(config: RaftConfig) {
    validateRaftConfig(config);
    this.id = config.id;
    this.electionTicks = config.electionTicks;
    this.heartbeatTicks = config.heartbeatTicks;
    this.random = config.random;
    this.preVote = config.preVote ?? RAFT_DEFAULTS.preVote;
    this.checkQuorum = config.checkQuorum ?? RAFT_DEFAULTS.checkQuorum;
    this.maxMsgBytes = config.maxMsgBytes ?? RAFT_DEFAULTS.maxMsgBytes;
    this.maxUncommittedBytes = config.maxUncommittedBytes ?? RAFT_DEFAULTS.maxUncommittedBytes;
    this.bugs = config.injectedBugs ?? {};
    const { hardState, snapshot, entries } = config.boot;
    this.log = new RaftLog(snapshot, entries, hardState.commit, config.appliedIndex ?? 0);
    this.tracker = new ProgressTracker(
      snapshot.metadata.confState,
      config.maxInflightMsgs ?? RAFT_DEFAULTS.maxInflightMsgs,
    );
    this.term = hardState.term;
    this.vote = hardState.vote;
    // Membership is the snapshot's plus the conf changes the application already applied after
    // it; committed-but-unapplied ones come back in committedEntries and apply then.
    for (const e of this.log.slice(snapshot.metadata.index + 1, this.log.applied + 1) ?? []) {
      if (e.type === EntryType.ConfChange) this.tracker.apply(decodeConfChange(e.data), undefined);
    }
    this.becomeFollower(this.term, NONE);
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  softState(): SoftState {
    return { leader: this.lead, role: this.role };
  }

  /** Only voters may campaign; learners and removed members never do. */
  promotable(): boolean {
    return this.tracker.isVoter(this.id);
  }

  send(m: Outgoing): void {
    // Proposals and forwarded reads/transfers are term-less (they are local requests relayed).
    const termless = m.type === 'MsgProp' || m.type === 'MsgReadIndex' || m.type === 'MsgTransferLeader';
    const term = m.term ?? (termless ? 0 : this.term);
    this.msgs.push({ ...m, from: this.id, term } as Message);
  }

  // ---- role transitions -------------------------------------------------------------------

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = NONE;
      this.suspectLeader = NONE;
    }
    this.earlyCampaignAt = 0;
    this.lead = NONE;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTicks + this.random.int(this.electionTicks);
    this.leadTransferee = NONE;
    this.tracker.resetVotes();
    this.tracker.resetProgress(this.log.lastIndex(), this.id);
    this.pendingConfIndex = 0;
    this.uncommittedBytes = 0;
    this.readOnly.reset();
    this.pendingReadIndex = [];
    this.appendsOwed = false;
  }

  /** Sends the appends proposals made owed (see `appendsOwed`). */
  flushOwedAppends(): void {
    if (!this.appendsOwed) return;
    this.appendsOwed = false;
    if (this.role === Role.Leader) this.bcastAppend();
  }

  becomeFollower(term: number, lead: number): void {
    this.reset(term);
    this.lead = lead;
    this.role = Role.Follower;
  }

  becomePreCandidate(): void {
    assert(this.role !== Role.Leader, 'raft: invalid transition leader -> pre-candidate');
    // A pre-candidate changes neither term nor vote: a failed pre-vote leaves no trace.
    this.tracker.resetVotes();
    this.lead = NONE;
    this.role = Role.PreCandidate;
  }

  becomeCandidate(): void {
    assert(this.role !== Role.Leader, 'raft: invalid transition leader -> candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
  }

  becomeLeader(): void {
    assert(this.role === Role.Candidate, () => `raft: invalid transition ${this.role} -> leader`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = Role.Leader;
    // An empty entry of the new term: committing it commits everything before it (§5.4.2), and
    // conf changes and reads wait for it (the single-server-change fix of the thesis errata).
    this.appendEntries([{ type: EntryType.Normal, data: new Uint8Array(0) }]);
    this.pendingConfIndex = this.log.lastIndex();
  }

  // ---- elections ---------------------------------------------------------------------------

  /** Start an election: a pre-vote round first when enabled, unless a transfer forces it. */
  hup(transfer: boolean, reason: CampaignReason): void {
    if (this.role === Role.Leader) return;
    if (!this.promotable()) return;
    if (this.log.hasUnappliedConfChange((e) => e.type === EntryType.ConfChange)) return;
    this.campaignReason = reason;
    this.campaigns[reason]++;
    if (this.preVote && !transfer) this.campaign('pre', false);
    else this.campaign('election', transfer);
  }

  campaign(kind: 'pre' | 'election', transfer: boolean): void {
    // Read before becomeCandidate resets it with the term: the vote requests of the real election
    // still name the leader whose loss started the campaign. Only an early campaign names it: one
    // started by the election timeout asks for votes on the usual terms, whatever we suspect.
    const lostLeader = this.campaignReason === CampaignReason.LeaderLost ? this.suspectLeader : NONE;
    let term: number;
    if (kind === 'pre') {
      this.becomePreCandidate();
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      term = this.term;
    }
    this.tracker.recordVote(this.id, true);
    if (this.tracker.tallyVotes() === VoteResult.Won) {
      // A single voter wins at once.
      if (kind === 'pre') this.campaign('election', transfer);
      else this.becomeLeader();
      return;
    }
    const type = kind === 'pre' ? 'MsgPreVote' : 'MsgVote';
    for (const id of this.tracker.voters()) {
      if (id === this.id) continue;
      this.send({
        type,
        to: id,
        term,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        force: transfer,
        ...(lostLeader !== NONE ? { lostLeader } : {}),
      });
    }
  }

  /** Count a (pre-)vote answer; returns the election outcome. */
  poll(from: number, granted: boolean): VoteResult {
    this.tracker.recordVote(from, granted);
    return this.tracker.tallyVotes();
  }

  // ---- the single entry point --------------------------------------------------------------

  step(m: Message): StepResult {
    if (m.to !== this.id) return undefined;
    if (m.term > this.term) {
      if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
        // Check-quorum lease: while we hear from a leader, ignore disruptive candidates (§9.6)
        // unless a leadership transfer asked for this election.
        const inLease = this.checkQuorum && this.lead !== NONE && this.electionElapsed < this.electionTicks;
        // An early request (it names a lost leader: its sender's election timer has not fired) is
        // answered only by a voter that lost the same leader, lease or not: a voter that has not
        // heard from a new leader yet would otherwise let one follower's flap unseat it (sim flap
        // seed 364, 3 members). The sender's own timer still runs, so liveness is unchanged.
        const early = m.lostLeader !== undefined && m.lostLeader !== NONE;
        if (!m.force && (early ? !this.sharesLeaderLoss(m) : inLease)) return undefined;
      }
      if (m.type === 'MsgPreVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'MsgPreVoteResp' && !m.reject) {
        // The term of a granted pre-vote is the one we will campaign in.
      } else if (m.type === 'MsgApp' || m.type === 'MsgHeartbeat' || m.type === 'MsgSnap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NONE);
      }
    } else if (m.term < this.term && m.term !== 0) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'MsgHeartbeat' || m.type === 'MsgApp')) {
        // A stale leader (for example one that was partitioned away) learns the new term from this
        // and steps down; without it, check-quorum could leave the cluster stuck.
        this.send({ type: 'MsgAppResp', to: m.from, index: 0, reject: false, rejectHint: 0, logTerm: 0 });
      } else if (m.type === 'MsgPreVote') {
        this.send({ type: 'MsgPreVoteResp', to: m.from, reject: true });
      }
      return undefined;
    }

    if (m.type === 'MsgVote' || m.type === 'MsgPreVote') {
      this.handleVoteRequest(m);
      return undefined;
    }
    switch (this.role) {
      case Role.Leader:
        return stepLeader(this, m);
      case Role.Candidate:
      case Role.PreCandidate:
        return stepCandidate(this, m);
      case Role.Follower:
        return stepFollower(this, m);
    }
  }

  /**
   * A (pre-)vote request from a member that lost its connection to our leader, which we lost too:
   * both ends saw that leader's connections closed, so its process is most likely dead and the
   * lease we hold for it protects nothing. A live leader that only the candidate cannot reach keeps
   * our lease, and so its term.
   */
  private sharesLeaderLoss(m: Extract<Message, { type: 'MsgVote' | 'MsgPreVote' }>): boolean {
    if (this.bugs.earlyVoteWithoutOwnLoss === true) return m.lostLeader !== undefined;
    return (
      m.lostLeader !== undefined &&
      m.lostLeader !== NONE &&
      // Our suspect, not our `lead`: a voter whose own early pre-vote is under way (a pre-candidate,
      // lead cleared) lost the same leader too, and must not refuse its peers' requests for it.
      m.lostLeader === this.suspectLeader &&
      m.term === this.term + 1
    );
  }

  // ---- peer connections (reported by the transport) --------------------------------------

  /**
   * This member's peer connection to `peer` closed (reset or FIN, not an idle timeout) and could
   * not be re-established at once. If `peer` leads our term, it is suspect: a pre-vote starts
   * after `earlySlot` + 1 ticks instead of after the election timeout. Silent failures report
   * nothing and still take the election timeout.
   */
  leaderConnectionLost(peer: number): void {
    if (peer === NONE || peer === this.id || peer !== this.lead || this.role !== Role.Follower) return;
    if (this.suspectLeader === peer) return;
    this.suspectLeader = peer;
    if (!this.promotable()) return;
    this.earlyCampaignAt = this.electionElapsed + 1 + this.earlySlot(peer);
  }

  /**
   * How many ticks after the next one this member's early pre-vote waits: two per rank among the
   * voters other than the lost leader, by id. The survivors of one dead leader see the same voters,
   * so the first campaigns alone one tick after its suspicion, and the next only if that pre-vote
   * failed (a log behind, a voter that had not seen the close yet) two ticks later. A random slot
   * let two survivors campaign in the same round and split the vote, which then cost an election
   * timeout; one tick apart was not enough either, since members tick at their own phase and see
   * the close at slightly different times (docs/raft.md has the simulator's numbers). Ranks whose
   * turn would come after the election timeout simply never campaign early. Members that disagree
   * on the voters (a membership change in flight) may share a tick; a split vote there falls back
   * to the election timeout, as always.
   */
  private earlySlot(lost: number): number {
    const others = this.tracker
      .voters()
      .filter((id) => id !== lost)
      .sort((a, b) => a - b);
    return EARLY_TICKS_PER_RANK * Math.max(0, others.indexOf(this.id));
  }

  /** The connection to `peer` is established again: it is not suspect any more. */
  leaderConnectionRestored(peer: number): void {
    if (peer === NONE || peer !== this.suspectLeader) return;
    this.clearSuspicion();
  }

  /** The suspect leader was heard from (or is back): no early campaign on its account. */
  clearSuspicion(): void {
    this.suspectLeader = NONE;
    this.earlyCampaignAt = 0;
  }

  private handleVoteRequest(m: Extract<Message, { type: 'MsgVote' | 'MsgPreVote' }>): void {
    const canVote =
      this.vote === m.from ||
      (this.vote === NONE && this.lead === NONE) ||
      (m.type === 'MsgPreVote' && m.term > this.term);
    const upToDate = this.bugs.voteWithoutLogCheck === true || this.log.isUpToDate(m.index, m.logTerm);
    const respType = m.type === 'MsgVote' ? 'MsgVoteResp' : 'MsgPreVoteResp';
    if (canVote && upToDate) {
      // The answer carries the candidate's term so that it is counted in that election.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      // Backing a peer's early pre-vote for the leader we lost too: our own early round would
      // only compete with it for the same votes (and could split them). Our timer still runs.
      if (m.type === 'MsgPreVote' && m.lostLeader !== undefined && m.lostLeader !== NONE)
        this.earlyCampaignAt = 0;
      if (m.type === 'MsgVote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, term: this.term, reject: true });
    }
  }

  // ---- time ---------------------------------------------------------------------------------

  tick(): void {
    if (this.role === Role.Leader) this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (!this.promotable()) return;
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.earlyCampaignAt = 0;
      this.hup(false, CampaignReason.Timeout);
      return;
    }
    if (this.earlyCampaignAt !== 0 && this.electionElapsed >= this.earlyCampaignAt) {
      this.earlyCampaignAt = 0;
      // electionElapsed is left running: if the early pre-vote is not granted, the election timeout
      // still fires when it would have, so a failed early round costs nothing.
      if (this.role === Role.Follower && this.suspectLeader !== NONE && this.suspectLeader === this.lead)
        this.hup(false, CampaignReason.LeaderLost);
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTicks) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        if (!this.tracker.quorumActive(this.id)) {
          this.becomeFollower(this.term, NONE);
          return;
        }
        for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
      }
      // A transfer that did not finish within an election timeout is abandoned.
      if (this.leadTransferee !== NONE) this.leadTransferee = NONE;
    }
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id || pr.state !== ProgressState.Snapshot) continue;
      // A snapshot that was never acknowledged (lost in transit) is retried.
      if (++pr.snapshotTicks >= 2 * this.electionTicks) {
        pr.becomeProbe();
      }
    }
    if (this.heartbeatElapsed >= this.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext() ?? '');
    }
  }

  // ---- leader helpers -------------------------------------------------------------------------

  /** Append entries of the current term to the leader's log; false if over the uncommitted limit. */
  appendEntries(entries: readonly Pick<Entry, 'type' | 'data'>[]): boolean {
    let bytes = 0;
    for (const e of entries) bytes += e.data.length;
    if (this.uncommittedBytes > 0 && bytes > 0 && this.uncommittedBytes + bytes > this.maxUncommittedBytes) {
      return false;
    }
    this.uncommittedBytes += bytes;
    let index = this.log.lastIndex();
    this.log.append(entries.map((e) => ({ term: this.term, index: ++index, type: e.type, data: e.data })));
    // The leader's own entries count for commit at once: Ready persists them before any message
    // that could let a follower acknowledge them is sent, and before they are applied.
    this.tracker.progress.get(this.id)?.maybeUpdate(this.log.lastIndex());
    this.maybeCommit();
    return true;
  }

  /** Advance the commit index to the highest index a quorum stores, if it is of this term (§5.4.2). */
  maybeCommit(): boolean {
    const mci = this.tracker.committed();
    if (mci <= this.log.committed) return false;
    if (this.log.term(mci) !== this.term && this.bugs.commitPreviousTermByCount !== true) return false;
    const old = this.log.committed;
    for (let i = old + 1; i <= mci; i++) {
      const t = this.log.slice(i, i + 1);
      if (t !== undefined && t[0]!.term === this.term) this.uncommittedBytes -= t[0]!.data.length;
    }
    if (this.uncommittedBytes < 0) this.uncommittedBytes = 0;
    this.log.commitTo(mci);
    if (this.committedEntryInCurrentTerm()) this.releasePendingReadIndex();
    return true;
  }

  committedEntryInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private releasePendingReadIndex(): void {
    const pending = this.pendingReadIndex;
    this.pendingReadIndex = [];
    for (const m of pending) stepLeader(this, m);
  }

  /** Send the follower what it is missing (entries, or a snapshot if they were compacted). */
  maybeSendAppend(to: number, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    const entries =
      prevTerm === undefined
        ? undefined
        : this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxMsgBytes);
    if (prevTerm === undefined || entries === undefined) return this.sendSnapshot(to);
    if (entries.length === 0 && !sendIfEmpty) return false;
    this.send({
      type: 'MsgApp',
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.log.committed,
    });
    const last = entries[entries.length - 1];
    pr.sentEntries(last?.index ?? prevIndex, entries.length);
    return true;
  }

  private sendSnapshot(to: number): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || !pr.recentActive) return false;
    const snapshot = this.log.snapshot;
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send({ type: 'MsgSnap', to, snapshot });
    return true;
  }

  bcastAppend(): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, true);
  }

  bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.tracker.progress) {
      if (id === this.id) continue;
      // Never tell a follower to commit beyond what it is known to store.
      const commit = Math.min(pr.match, this.log.committed);
      const hb: Omit<MsgHeartbeat, 'from' | 'term'> = { type: 'MsgHeartbeat', to: id, commit, context };
      this.send(hb);
    }
  }

  // ---- membership -----------------------------------------------------------------------------

  /** Apply a committed ConfChange entry (called as the application applies it). */
  applyConfChange(data: Uint8Array): ConfChange {
    const cc = decodeConfChange(data);
    const isLeader = this.role === Role.Leader;
    this.tracker.apply(cc, isLeader ? this.log.lastIndex() : undefined);
    if (!isLeader) return cc;
    if (!this.tracker.isVoter(this.id)) {
      // A leader removed from the configuration steps down; the rest elect a new leader.
      this.bcastAppend();
      this.becomeFollower(this.term, NONE);
      return cc;
    }
    if (this.leadTransferee !== NONE && !this.tracker.isVoter(this.leadTransferee))
      this.leadTransferee = NONE;
    // The quorum may have shrunk, and new members need their first append.
    this.maybeCommit();
    this.bcastAppend();
    return cc;
  }
}
