/**
 * The application's handle on one Raft member: inputs in (tick, step, propose, readIndex, …),
 * `Ready` batches out. See types.ts (`Ready`) and docs/raft.md for the persistence contract.
 *
 * One Ready is outstanding at a time: after `ready()`, `hasReady()` is false until `advance()`.
 * Inputs may still be fed in between; their effects appear in the next Ready.
 */
import { assert } from '../assert.js';
import type { RaftConfig } from './config.js';
import { encodeConfChange } from './conf-change.js';
import { ProposalRefusedError, RaftRefusal } from './errors.js';
import { Raft, type StepResult } from './raft.js';
import type { ProgressStatus, RaftStatus } from './status.js';
import {
  CampaignReason,
  EntryType,
  NONE,
  Role,
  hardStateEqual,
  type ConfChange,
  type ConfState,
  type HardState,
  type Message,
  type Ready,
  type Snapshot,
  type SoftState,
} from './types.js';

const REFUSAL_TEXT: Record<RaftRefusal, string> = {
  NO_LEADER: 'no leader is known; retry after an election',
  TRANSFER_IN_PROGRESS: 'leadership transfer in progress',
  CONF_CHANGE_PENDING: 'another membership change is still pending',
  TOO_MANY_UNCOMMITTED: 'too many uncommitted proposals',
  NOT_MEMBER: 'not a member of the cluster',
  INVALID_CONF_CHANGE: 'invalid membership change',
};

export class RaftNode {
  readonly id: number;
  private readonly raft: Raft;
  private prevSoft: SoftState;
  private prevHard: HardState;
  private outstanding: Ready | undefined;

  constructor(config: RaftConfig) {
    this.raft = new Raft(config);
    this.id = config.id;
    this.prevSoft = this.raft.softState();
    this.prevHard = this.raft.hardState();
  }

  /** Advance logical time by one tick (election and heartbeat timers). */
  tick(): void {
    this.raft.tick();
  }

  /** Feed one message received from a peer. Local-only message types are refused. */
  step(m: Message): void {
    if (m.to !== this.id) return;
    if (m.from === this.id || m.from === NONE) return;
    this.raft.step(m);
  }

  /**
   * Propose application data. On the leader it is appended; on a follower it is forwarded to the
   * leader (and may be lost like any message: callers track proposals and time out). Throws
   * ProposalRefusedError when it cannot be accepted now (no leader, transfer, overload).
   */
  propose(data: Uint8Array): void {
    this.check(
      this.raft.step({
        type: 'MsgProp',
        from: this.id,
        to: this.id,
        term: 0,
        entries: [{ type: EntryType.Normal, data }],
      }),
    );
  }

  /** Propose a membership change; only one may be pending (appended but not applied) at a time. */
  proposeConfChange(cc: ConfChange): void {
    const invalid = this.raft.tracker.validate(cc);
    if (invalid !== undefined)
      throw new ProposalRefusedError(RaftRefusal.InvalidConfChange, `invalid membership change: ${invalid}`);
    const data = encodeConfChange(cc);
    this.check(
      this.raft.step({
        type: 'MsgProp',
        from: this.id,
        to: this.id,
        term: 0,
        entries: [{ type: EntryType.ConfChange, data }],
      }),
    );
  }

  /**
   * Ask for a linearizable read point. The answer is a ReadState with the same `context` in a later
   * Ready (contexts must be unique); reads may be served once the applied index reaches it.
   */
  readIndex(context: string): void {
    this.check(this.raft.step({ type: 'MsgReadIndex', from: this.id, to: this.id, term: 0, context }));
  }

  /** Ask the leader to hand leadership to `to` (forwarded when called on a follower). */
  transferLeadership(to: number): void {
    this.check(
      this.raft.step({ type: 'MsgTransferLeader', from: this.id, to: this.id, term: 0, transferee: to }),
    );
  }

  /** Start an election now (with a pre-vote round first when enabled). */
  campaign(): void {
    this.raft.hup(false, CampaignReason.Explicit);
  }

  /**
   * The transport saw its connection to `peer` closed (not idle) and could not re-establish it at
   * once. If `peer` is the leader this follower follows, an early pre-vote is scheduled (raft.ts
   * `leaderConnectionLost`); any other peer is ignored.
   */
  leaderConnectionLost(peer: number): void {
    this.raft.leaderConnectionLost(peer);
  }

  /** The transport (re-)established its connection to `peer`. */
  leaderConnectionRestored(peer: number): void {
    this.raft.leaderConnectionRestored(peer);
  }

  private check(result: StepResult): void {
    if (result !== undefined) throw new ProposalRefusedError(result, REFUSAL_TEXT[result]);
  }

  hasReady(): boolean {
    if (this.outstanding !== undefined) return false;
    const r = this.raft;
    return (
      r.appendsOwed ||
      r.msgs.length > 0 ||
      r.readStates.length > 0 ||
      r.log.pendingSnapshot !== undefined ||
      r.log.unstableEntries().length > 0 ||
      r.log.hasNextCommittedEntries() ||
      !hardStateEqual(r.hardState(), this.prevHard) ||
      !softStateEqual(r.softState(), this.prevSoft)
    );
  }

  ready(): Ready {
    assert(this.outstanding === undefined, 'raft node: ready() called again before advance()');
    const r = this.raft;
    r.flushOwedAppends();
    const soft = r.softState();
    const hard = r.hardState();
    const snapshot = r.log.pendingSnapshot;
    const entries = r.log.unstableEntries();
    const voteChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote;
    const { messages, early } = orderForEarlySend(r.msgs, {
      termAndVoteDurable: !voteChanged && snapshot === undefined,
      leader: r.role === Role.Leader,
      storedIndex: r.log.stabled,
    });
    const mustSync = snapshot !== undefined || entries.length > 0 || voteChanged;
    const rd: Ready = {
      softState: softStateEqual(soft, this.prevSoft) ? undefined : soft,
      // A synced Ready always carries the current hard state (a few bytes): the durable commit
      // index then never depends on an earlier commit-only write having reached the disk.
      hardState: mustSync || !hardStateEqual(hard, this.prevHard) ? hard : undefined,
      snapshot,
      entries,
      committedEntries: r.log.nextCommittedEntries(),
      messages,
      readStates: r.readStates,
      mustSync,
      messagesBeforePersist: r.bugs.sendBeforePersist === true ? messages.length : early,
    };
    r.msgs = [];
    r.readStates = [];
    this.outstanding = rd;
    return rd;
  }

  /** The application has persisted, sent and applied `rd` (in that order). */
  advance(rd: Ready): void {
    assert(this.outstanding === rd, 'raft node: advance() with a Ready that is not outstanding');
    this.outstanding = undefined;
    const r = this.raft;
    if (rd.softState !== undefined) this.prevSoft = rd.softState;
    if (rd.hardState !== undefined) this.prevHard = rd.hardState;
    if (rd.snapshot !== undefined) r.log.snapshotApplied(rd.snapshot.metadata.index);
    const last = rd.entries[rd.entries.length - 1];
    if (last !== undefined) r.log.stableTo(last.index, last.term);
    for (const e of rd.committedEntries) {
      if (e.index <= r.log.applied) continue;
      r.log.appliedTo(e.index);
      if (e.type === EntryType.ConfChange) r.applyConfChange(e.data);
    }
  }

  /**
   * The application took `snapshot` of its state at an applied index: keep it to send to
   * followers that fall behind the log, and drop the log up to `compactIndex` (default: the
   * snapshot's index; lower keeps some entries for followers that are only a little behind).
   */
  compact(snapshot: Snapshot, compactIndex?: number): void {
    this.raft.log.compact(snapshot, compactIndex);
  }

  /** The membership as of the applied index (what a snapshot taken now must record). */
  confState(): ConfState {
    return this.raft.tracker.confState();
  }

  /** The transport could not deliver a snapshot to `to`: probe again instead of waiting. */
  reportSnapshotFailure(to: number): void {
    const pr = this.raft.tracker.progress.get(to);
    if (this.raft.role === 'leader' && pr !== undefined && pr.state === 'snapshot') pr.becomeProbe();
  }

  /** The current term, without building a status (read on every answer's header). */
  get term(): number {
    return this.raft.term;
  }

  status(): RaftStatus {
    const r = this.raft;
    let progress: Map<number, ProgressStatus> | undefined;
    if (r.role === 'leader') {
      progress = new Map();
      for (const [id, pr] of r.tracker.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
        });
      }
    }
    return {
      id: this.id,
      term: r.term,
      vote: r.vote,
      commit: r.log.committed,
      applied: r.log.applied,
      lead: r.lead,
      role: r.role,
      lastIndex: r.log.lastIndex(),
      firstIndex: r.log.firstIndex(),
      confState: r.tracker.confState(),
      leadTransferee: r.leadTransferee,
      campaignReason: r.campaignReason,
      campaigns: { ...r.campaigns },
      suspectLeader: r.suspectLeader,
      progress,
    };
  }
}

/**
 * How many of `rd.committedEntries` may be applied while `rd`'s own write is still running: those
 * below the first entry this Ready writes, which an earlier Ready made durable (none when the
 * Ready installs a snapshot, which must be restored first). Applying them at once answers clients
 * one fsync earlier on a busy leader.
 */
export function committedAppliableBeforePersist(rd: Ready): number {
  if (rd.snapshot !== undefined) return 0;
  const firstWritten = rd.entries[0]?.index ?? Infinity;
  let n = 0;
  while (n < rd.committedEntries.length && rd.committedEntries[n]!.index < firstWritten) n++;
  return n;
}

/**
 * Puts the messages that promise nothing about this Ready's write first (a stable partition), and
 * says how many they are. Those are: proposals and read requests a follower forwards to its
 * leader, and a leader's appends and heartbeats when none of them tells a commit index above what
 * the leader has stored (all or none, so that appends to one follower keep their order). Nothing
 * leaves early while this Ready changes the term or vote: every message carries the term.
 */
function orderForEarlySend(
  msgs: readonly Message[],
  at: { readonly termAndVoteDurable: boolean; readonly leader: boolean; readonly storedIndex: number },
): { messages: readonly Message[]; early: number } {
  if (!at.termAndVoteDurable || msgs.length === 0) return { messages: msgs, early: 0 };
  const leaderMessagesEarly = at.leader && msgs.every((m) => commitCarried(m) <= at.storedIndex);
  const isEarly = (m: Message): boolean => {
    switch (m.type) {
      case 'MsgProp':
      case 'MsgReadIndex':
        return true;
      case 'MsgApp':
      case 'MsgHeartbeat':
        return leaderMessagesEarly;
      default:
        return false;
    }
  };
  const early = msgs.filter(isEarly);
  if (early.length === 0) return { messages: msgs, early: 0 };
  if (early.length === msgs.length) return { messages: msgs, early: early.length };
  return { messages: early.concat(msgs.filter((m) => !isEarly(m))), early: early.length };
}

/** The commit index a message tells its receiver, 0 for messages that carry none. */
function commitCarried(m: Message): number {
  return m.type === 'MsgApp' || m.type === 'MsgHeartbeat' ? m.commit : 0;
}

function softStateEqual(a: SoftState, b: SoftState): boolean {
  return a.leader === b.leader && a.role === b.role;
}
