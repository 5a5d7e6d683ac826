/* STUB: the implementation lands shortly; the signatures below are the contract. */
import type { RaftConfig } from './config.js';
import type { RaftStatus } from './status.js';
import type { ConfChange, ConfState, Message, Ready, Snapshot } from './types.js';

export class RaftNode {
  readonly id: number;
  constructor(config: RaftConfig) {
    this.id = config.id;
  }
  /** Advance logical time by one tick (election and heartbeat timers). */
  tick(): void {
    throw new Error('not implemented');
  }
  /** Feed one message received from a peer. Messages for other ids or malformed terms are ignored. */
  step(_m: Message): void {
    throw new Error('not implemented');
  }
  /** Propose application data. Throws ProposalRefusedError (NO_LEADER, TRANSFER_IN_PROGRESS, ...). On a follower it is forwarded to the leader. */
  propose(_data: Uint8Array): void {
    throw new Error('not implemented');
  }
  /** Propose a membership change; only one may be pending (appended, not applied) at a time. */
  proposeConfChange(_cc: ConfChange): void {
    throw new Error('not implemented');
  }
  /** Request a linearizable read point; the answer arrives as a ReadState with the same context in a later Ready. */
  readIndex(_context: string): void {
    throw new Error('not implemented');
  }
  /** Ask the leader to hand leadership to `to`. */
  transferLeadership(_to: number): void {
    throw new Error('not implemented');
  }
  /** Start an election now (pre-vote first if enabled). */
  campaign(): void {
    throw new Error('not implemented');
  }
  hasReady(): boolean {
    throw new Error('not implemented');
  }
  ready(): Ready {
    throw new Error('not implemented');
  }
  advance(_ready: Ready): void {
    throw new Error('not implemented');
  }
  /** The application took `snapshot` at an applied index: drop log entries up to it. */
  compact(_snapshot: Snapshot): void {
    throw new Error('not implemented');
  }
  confState(): ConfState {
    throw new Error('not implemented');
  }
  status(): RaftStatus {
    throw new Error('not implemented');
  }
}
