/**
 * Membership and per-member replication state. The configuration (voters, learners) changes only
 * when a ConfChange entry is applied, one change at a time.
 */
import { assert } from '../assert.js';
import { Progress } from './progress.js';
import { committedIndex, voteResult, type VoteResult } from './quorum.js';
import { ConfChangeType, type ConfChange, type ConfState } from './types.js';

export class ProgressTracker {
  private voterSet = new Set<number>();
  private learnerSet = new Set<number>();
  readonly progress = new Map<number, Progress>();
  readonly votes = new Map<number, boolean>();

  constructor(
    confState: ConfState,
    private readonly maxInflight: number,
  ) {
    this.resetConf(confState);
  }

  resetConf(confState: ConfState): void {
    this.voterSet = new Set(confState.voters);
    this.learnerSet = new Set(confState.learners);
    for (const id of this.learnerSet)
      assert(!this.voterSet.has(id), `tracker: ${id} is both voter and learner`);
    this.progress.clear();
  }

  voters(): number[] {
    return [...this.voterSet].sort((a, b) => a - b);
  }

  learners(): number[] {
    return [...this.learnerSet].sort((a, b) => a - b);
  }

  confState(): ConfState {
    return { voters: this.voters(), learners: this.learners() };
  }

  isVoter(id: number): boolean {
    return this.voterSet.has(id);
  }

  isMember(id: number): boolean {
    return this.voterSet.has(id) || this.learnerSet.has(id);
  }

  /** Give every member a fresh progress (when becoming leader). */
  resetProgress(lastIndex: number, selfId: number): void {
    this.progress.clear();
    for (const id of [...this.voterSet, ...this.learnerSet]) {
      const pr = new Progress(lastIndex + 1, this.maxInflight, this.learnerSet.has(id));
      if (id === selfId) {
        pr.match = lastIndex;
        pr.recentActive = true;
      }
      this.progress.set(id, pr);
    }
  }

  /** Whether `cc` is a meaningful change of the current configuration. */
  validate(cc: ConfChange): string | undefined {
    switch (cc.type) {
      case ConfChangeType.AddVoter:
        return this.voterSet.has(cc.nodeId) ? `${cc.nodeId} is already a voter` : undefined;
      case ConfChangeType.AddLearner:
        if (this.voterSet.has(cc.nodeId)) return `${cc.nodeId} is a voter; demotion is not supported`;
        return this.learnerSet.has(cc.nodeId) ? `${cc.nodeId} is already a learner` : undefined;
      case ConfChangeType.RemoveNode:
        if (!this.isMember(cc.nodeId)) return `${cc.nodeId} is not a member`;
        if (this.voterSet.has(cc.nodeId) && this.voterSet.size === 1) return 'cannot remove the last voter';
        return undefined;
    }
  }

  /**
   * Apply a committed change. Invalid changes are ignored identically on every member, so all
   * members keep the same configuration.
   */
  apply(cc: ConfChange, leaderLastIndex: number | undefined): boolean {
    if (this.validate(cc) !== undefined) return false;
    switch (cc.type) {
      case ConfChangeType.AddVoter:
        this.learnerSet.delete(cc.nodeId);
        this.voterSet.add(cc.nodeId);
        break;
      case ConfChangeType.AddLearner:
        this.learnerSet.add(cc.nodeId);
        break;
      case ConfChangeType.RemoveNode:
        this.voterSet.delete(cc.nodeId);
        this.learnerSet.delete(cc.nodeId);
        this.progress.delete(cc.nodeId);
        return true;
    }
    if (leaderLastIndex !== undefined) {
      const existing = this.progress.get(cc.nodeId);
      if (existing !== undefined) existing.isLearner = this.learnerSet.has(cc.nodeId);
      else {
        const pr = new Progress(leaderLastIndex + 1, this.maxInflight, this.learnerSet.has(cc.nodeId));
        // A new member is assumed alive so that check-quorum and snapshots treat it fairly at first.
        pr.recentActive = true;
        this.progress.set(cc.nodeId, pr);
      }
    }
    return true;
  }

  committed(): number {
    // Over the set itself: the order of the voters does not matter here (voters() sorts a copy).
    return committedIndex(this.voterSet, this.matchOf);
  }

  private readonly matchOf = (id: number): number => this.progress.get(id)?.match ?? 0;

  resetVotes(): void {
    this.votes.clear();
  }

  recordVote(id: number, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  tallyVotes(): VoteResult {
    return voteResult(this.voters(), this.votes);
  }

  /** Whether a quorum of voters was heard from recently (the leader counts itself). */
  quorumActive(selfId: number): boolean {
    const votes = new Map<number, boolean>();
    for (const id of this.voterSet) {
      votes.set(id, id === selfId || (this.progress.get(id)?.recentActive ?? false));
    }
    return voteResult(this.voters(), votes) === 'won';
  }
}
