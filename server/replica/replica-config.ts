/** The replica's configuration, defaults, and the shapes of what it reports. */
import type { RaftConfig } from '../raft/config.js';
import type { RaftStatus } from '../raft/status.js';
import type { ConfChange, RaftBootState } from '../raft/types.js';
import type { Member } from './members.js';
import type { PeerSender, ReplicaPlatform, ReplicaStorage, StateMachine } from './ports.js';

export interface ReplicaLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: ReplicaLogger = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Deliberately wrong behaviours of the Ready loop that only the simulator's self-tests switch on,
 * to prove that its checkers catch them. Never set in production: no CLI flag, config key or
 * MemberOptions reaches them (test/unit/cli/no-injected-bugs.test.ts). All default off.
 */
export interface ReplicaInjectedBugs {
  /**
   * Apply (and answer) every committed entry of a Ready before its write is durable, instead of
   * only those an earlier Ready stored: a single voter acknowledges a write that a power loss
   * then drops.
   */
  readonly applyBeforePersist?: boolean;
}

export interface ReplicaConfig<R> {
  readonly id: number;
  readonly boot: RaftBootState;
  readonly platform: ReplicaPlatform;
  readonly storage: ReplicaStorage;
  readonly stateMachine: StateMachine<R>;
  readonly peers: PeerSender;
  /** One Raft tick; the heartbeat interval (etcd's --heartbeat-interval, default 100). */
  readonly tickIntervalMs: number;
  /** Election timeout in ticks (etcd's --election-timeout / --heartbeat-interval, default 10). */
  readonly electionTicks: number;
  readonly heartbeatTicks?: number;
  /**
   * Applied entries between snapshots, at least; a snapshot also waits until the log since the
   * newest one weighs `snapshotLogRatio` × its size (server/storage/snapshot-policy.ts).
   */
  readonly snapshotCount: number;
  /** Default 0.1 (`SNAPSHOT_POLICY_DEFAULTS.logRatio`); 0 spaces snapshots by `snapshotCount` alone. */
  readonly snapshotLogRatio?: number;
  /**
   * Entries kept in the log after a snapshot, so lagging followers need no snapshot. Default 50 000
   * (etcd keeps 5 000): installing a snapshot here decodes the whole state, so a follower that
   * missed a few snapshot intervals of writes is far cheaper to send entries (about 20 MB of memory
   * at 256-byte values) than a full image.
   */
  readonly snapshotCatchUpEntries?: number;
  readonly requestTimeoutMs: number;
  /** Proposals waiting for their entry to apply; more are refused (retryable). */
  readonly maxPendingProposals?: number;
  readonly raft?: Partial<
    Pick<
      RaftConfig,
      'preVote' | 'checkQuorum' | 'maxInflightMsgs' | 'maxMsgBytes' | 'maxUncommittedBytes' | 'injectedBugs'
    >
  >;
  readonly logger?: ReplicaLogger;
  /** Never set in production (see ReplicaInjectedBugs). */
  readonly injectedBugs?: ReplicaInjectedBugs;
}

export const REPLICA_DEFAULTS = {
  heartbeatTicks: 1,
  snapshotCatchUpEntries: 50_000,
  maxPendingProposals: 10000,
} as const;

export interface ReplicaStatus {
  readonly raft: RaftStatus;
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  readonly snapshotIndex: number;
  readonly pendingProposals: number;
  readonly fatal: Error | undefined;
}

/** Monotonic counters for metrics (read at scrape time). */
export interface ReplicaStats {
  readonly proposalsApplied: number;
  readonly proposalsFailed: number;
  readonly proposalsPending: number;
  readonly leaderChanges: number;
  readonly snapshotsTaken: number;
  /** Snapshots received from a leader and installed. */
  readonly snapshotsRestored: number;
  readonly applyBatches: number;
  readonly applyMsTotal: number;
}

export type LeaderListener = (leader: number, term: number) => void;
export type MembershipListener = (members: readonly Member[], change: ConfChange | undefined) => void;
