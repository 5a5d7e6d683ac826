import type { Random } from '../platform/random.js';
import type { RaftBootState } from './types.js';

/**
 * Deliberately wrong behaviours that only the simulator's self-tests switch on, to prove that its
 * checkers catch real Raft bugs. Never set in production: no CLI flag, config key or MemberOptions
 * reaches them (test/unit/cli/no-injected-bugs.test.ts). All default off.
 */
export interface InjectedBugs {
  /** Commit an entry of an earlier term as soon as a quorum stores it (Raft paper figure 8). */
  readonly commitPreviousTermByCount?: boolean;
  /** Grant votes without checking that the candidate's log is at least as up to date. */
  readonly voteWithoutLogCheck?: boolean;
  /** Accept MsgApp without checking the previous entry's index and term. */
  readonly skipPrevLogCheck?: boolean;
  /**
   * `Ready.messagesBeforePersist` covers every message, votes and append acknowledgements
   * included: a member promises a vote or an entry before it is durable, and forgets the promise
   * in a power loss.
   */
  readonly sendBeforePersist?: boolean;
  /**
   * Grant an early (pre-)vote that names a lost leader while inside the leader lease, without
   * having lost the connection to that leader oneself: a follower whose connection to a live
   * leader flaps then unseats it (the simulator's flap checker must catch this).
   */
  readonly earlyVoteWithoutOwnLoss?: boolean;
}

export interface RaftConfig {
  readonly id: number;
  /** Followers campaign after a random timeout in [electionTicks, 2 × electionTicks). */
  readonly electionTicks: number;
  readonly heartbeatTicks: number;
  readonly random: Random;
  readonly boot: RaftBootState;
  /** Highest index already applied to the state machine (at least the snapshot index). */
  readonly appliedIndex?: number;
  /** Run a pre-vote round before bumping the term (§9.6 of the Raft thesis). Default true. */
  readonly preVote?: boolean;
  /** Leaders step down when they have not heard from a quorum for an election timeout. Default true. */
  readonly checkQuorum?: boolean;
  /** Bound on MsgApp in flight to one follower in replicate state. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Bound on the bytes of entry data in one MsgApp (at least one entry is always sent). Default 1 MiB. */
  readonly maxMsgBytes?: number;
  /** Bound on proposals appended but not yet committed, in bytes; beyond it proposals are refused. Default 64 MiB. */
  readonly maxUncommittedBytes?: number;
  readonly injectedBugs?: InjectedBugs;
}

export const RAFT_DEFAULTS = {
  preVote: true,
  checkQuorum: true,
  maxInflightMsgs: 256,
  maxMsgBytes: 1024 * 1024,
  maxUncommittedBytes: 64 * 1024 * 1024,
} as const;

export class InvalidRaftConfigError extends Error {
  override readonly name = 'InvalidRaftConfigError';
}

export function validateRaftConfig(config: RaftConfig): void {
  const fail = (msg: string): never => {
    throw new InvalidRaftConfigError(`raft: ${msg}`);
  };
  if (!Number.isSafeInteger(config.id) || config.id <= 0)
    fail(`id must be a positive integer, got ${config.id}`);
  if (!Number.isInteger(config.heartbeatTicks) || config.heartbeatTicks <= 0)
    fail('heartbeatTicks must be > 0');
  if (!Number.isInteger(config.electionTicks) || config.electionTicks <= config.heartbeatTicks) {
    fail('electionTicks must be greater than heartbeatTicks');
  }
  const max = config.maxInflightMsgs ?? RAFT_DEFAULTS.maxInflightMsgs;
  if (!Number.isInteger(max) || max <= 0) fail('maxInflightMsgs must be > 0');
  const applied = config.appliedIndex ?? 0;
  const snapIndex = config.boot.snapshot.metadata.index;
  if (applied > 0 && applied < snapIndex)
    fail(`appliedIndex ${applied} is below the snapshot index ${snapIndex}`);
}
