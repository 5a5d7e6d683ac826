/**
 * The leader's view of one follower (§5.3 nextIndex/matchIndex, plus the flow-control state that
 * etcd's raft adds): probe until the follower's log end is found, then replicate optimistically
 * within a bounded in-flight window, or wait for a snapshot.
 */
import { Inflights } from './inflights.js';
import { ProgressState } from './status.js';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = ProgressState.Probe;
  /** Index of the snapshot in flight, in snapshot state. */
  pendingSnapshot = 0;
  /** Ticks spent waiting in snapshot state; a lost snapshot is retried after a while. */
  snapshotTicks = 0;
  /** Heard from since the last check-quorum round. */
  recentActive = false;
  /** In probe state: one MsgApp is outstanding, wait for its answer or a heartbeat response. */
  msgAppFlowPaused = false;
  readonly inflights: Inflights;

  constructor(
    next: number,
    maxInflight: number,
    public isLearner: boolean,
  ) {
    this.next = next;
    this.inflights = new Inflights(maxInflight);
  }

  private resetState(state: ProgressState): void {
    this.msgAppFlowPaused = false;
    this.pendingSnapshot = 0;
    this.snapshotTicks = 0;
    this.state = state;
    this.inflights.reset();
  }

  becomeProbe(): void {
    if (this.state === ProgressState.Snapshot) {
      const pending = this.pendingSnapshot;
      this.resetState(ProgressState.Probe);
      this.next = Math.max(this.match + 1, pending + 1);
    } else {
      this.resetState(ProgressState.Probe);
      this.next = this.match + 1;
    }
  }

  becomeReplicate(): void {
    this.resetState(ProgressState.Replicate);
    this.next = this.match + 1;
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.resetState(ProgressState.Snapshot);
    this.pendingSnapshot = snapshotIndex;
  }

  /** An acknowledgement up to `n`; returns whether match moved forward. */
  maybeUpdate(n: number): boolean {
    let updated = false;
    if (this.match < n) {
      this.match = n;
      updated = true;
      this.msgAppFlowPaused = false;
    }
    this.next = Math.max(this.next, n + 1);
    return updated;
  }

  /**
   * A rejection of the append after `rejected`; `matchHint` is where the follower suggests to resume.
   * Returns false when the rejection is stale (answers an older append).
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === ProgressState.Replicate) {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    this.msgAppFlowPaused = false;
    return true;
  }

  /** Record a MsgApp carrying `count` entries up to `lastIndex`. */
  sentEntries(lastIndex: number, count: number): void {
    if (this.state === ProgressState.Replicate) {
      if (count > 0) {
        this.next = lastIndex + 1;
        this.inflights.add(lastIndex);
      }
    } else if (this.state === ProgressState.Probe) {
      this.msgAppFlowPaused = true;
    }
  }

  isPaused(): boolean {
    switch (this.state) {
      case ProgressState.Probe:
        return this.msgAppFlowPaused;
      case ProgressState.Replicate:
        return this.inflights.full();
      case ProgressState.Snapshot:
        return true;
    }
  }
}
