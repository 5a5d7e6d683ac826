/**
 * Plain data that crosses the Raft core's boundary: log entries, persistent state, snapshots,
 * membership, messages between members, and the Ready batch handed to the application.
 *
 * Member ids are positive integers (0 means "none"). Indexes and terms start at 1; index 0 / term 0
 * is the empty log before the first entry.
 */

export const NONE = 0;

export const EntryType = {
  /** Application data (a state-machine command), or an empty entry when `data` has length 0. */
  Normal: 'normal',
  /** A membership change: `data` is an encoded `ConfChange` (see conf-change.ts). */
  ConfChange: 'confChange',
} as const;
export type EntryType = (typeof EntryType)[keyof typeof EntryType];

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** What must be on disk before a member answers any message that depends on it. */
export interface HardState {
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
}

/** The membership of the cluster: voters decide elections and commits, learners only replicate. */
export interface ConfState {
  readonly voters: readonly number[];
  readonly learners: readonly number[];
}

export const ConfChangeType = {
  /** Add a voter, or promote an existing learner to voter. */
  AddVoter: 'addVoter',
  /** Add a non-voting learner. */
  AddLearner: 'addLearner',
  /** Remove a voter or learner. */
  RemoveNode: 'removeNode',
} as const;
export type ConfChangeType = (typeof ConfChangeType)[keyof typeof ConfChangeType];

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: number;
  /** Opaque application context (for example the new member's peer URL). */
  readonly context?: string;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The state machine's serialized state at `metadata.index`. */
  readonly data: Uint8Array;
}

interface Envelope {
  readonly from: number;
  readonly to: number;
  readonly term: number;
}

/** Leader → follower: append `entries` after (`index`, `logTerm`); carries the leader's commit. */
export interface MsgApp extends Envelope {
  readonly type: 'MsgApp';
  readonly index: number;
  readonly logTerm: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
}

/**
 * Follower → leader. On success `index` is the follower's last matching index. On rejection,
 * `index` echoes the rejected MsgApp's index, and (`rejectHint`, `logTerm`) let the leader skip
 * back a whole term at a time instead of one entry per round trip.
 */
export interface MsgAppResp extends Envelope {
  readonly type: 'MsgAppResp';
  readonly index: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly logTerm: number;
}

/** Leader → follower: keep-alive carrying a safe commit index and an optional ReadIndex context. */
export interface MsgHeartbeat extends Envelope {
  readonly type: 'MsgHeartbeat';
  readonly commit: number;
  readonly context: string;
}

export interface MsgHeartbeatResp extends Envelope {
  readonly type: 'MsgHeartbeatResp';
  readonly context: string;
}

/** Candidate (or pre-candidate) → voter. For MsgPreVote, `term` is the term it would campaign in. */
export interface MsgVote extends Envelope {
  readonly type: 'MsgVote' | 'MsgPreVote';
  readonly index: number;
  readonly logTerm: number;
  /** Set by a leadership transfer: voters ignore their leader lease. */
  readonly force: boolean;
  /**
   * The leader (of the voter's term, one below `term`) whose peer connection the candidate saw
   * closed, when it suspects that leader's process died. A voter still inside its leader lease
   * answers only if it suspects the same leader itself (raft.ts `sharesLeaderLoss`). Absent: none.
   */
  readonly lostLeader?: number;
}

export interface MsgVoteResp extends Envelope {
  readonly type: 'MsgVoteResp' | 'MsgPreVoteResp';
  readonly reject: boolean;
}

/** Leader → follower whose next entry was compacted away. */
export interface MsgSnap extends Envelope {
  readonly type: 'MsgSnap';
  readonly snapshot: Snapshot;
}

/** Leader → transfer target: campaign now, ignoring election timeouts and pre-vote. */
export interface MsgTimeoutNow extends Envelope {
  readonly type: 'MsgTimeoutNow';
}

/** Follower → leader: proposals forwarded from the follower's clients. Term 0 (local-ish). */
export interface MsgProp extends Envelope {
  readonly type: 'MsgProp';
  readonly entries: readonly Pick<Entry, 'type' | 'data'>[];
}

/** Follower → leader: a ReadIndex request forwarded by a follower. */
export interface MsgReadIndex extends Envelope {
  readonly type: 'MsgReadIndex';
  readonly context: string;
}

/** Leader → follower: the read index for a forwarded request, once leadership was confirmed. */
export interface MsgReadIndexResp extends Envelope {
  readonly type: 'MsgReadIndexResp';
  readonly index: number;
  readonly context: string;
}

/** Any member → leader: please transfer leadership to `transferee`. */
export interface MsgTransferLeader extends Envelope {
  readonly type: 'MsgTransferLeader';
  readonly transferee: number;
}

export type Message =
  | MsgApp
  | MsgAppResp
  | MsgHeartbeat
  | MsgHeartbeatResp
  | MsgVote
  | MsgVoteResp
  | MsgSnap
  | MsgTimeoutNow
  | MsgProp
  | MsgReadIndex
  | MsgReadIndexResp
  | MsgTransferLeader;

export type MessageType = Message['type'];

/**
 * Why a member started a campaign (RaftStatus.campaignReason): its election timer ran out, it
 * lost its connection to the leader (the early pre-vote), a leadership transfer, or an explicit
 * `campaign()` call.
 */
export const CampaignReason = {
  Timeout: 'timeout',
  LeaderLost: 'leaderLost',
  Transfer: 'transfer',
  Explicit: 'explicit',
} as const;
export type CampaignReason = (typeof CampaignReason)[keyof typeof CampaignReason];

export const Role = {
  Follower: 'follower',
  PreCandidate: 'preCandidate',
  Candidate: 'candidate',
  Leader: 'leader',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

/** Volatile state the application may want to observe (not persisted). */
export interface SoftState {
  readonly leader: number;
  readonly role: Role;
}

/** A confirmed linearizable read: reads for `context` may be served once applied ≥ `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

/**
 * Everything the application must do after a batch of inputs, in this order:
 *
 * 1. Persist `snapshot` (if any), then `entries` (replacing any stored entries at or after
 *    `entries[0].index`), then `hardState` (if any), and fsync when `mustSync`. Nothing in
 *    `messages` may leave before this is durable, because messages (votes, append
 *    acknowledgements) promise it — except the first `messagesBeforePersist`, which promise nothing.
 * 2. Send `messages` (the first `messagesBeforePersist` of them may go at once, before step 1).
 * 3. Apply `snapshot` (if any) to the state machine, then `committedEntries` in order. Those below
 *    the first of `entries` were made durable by earlier Readys and may be applied while step 1
 *    runs (`committedAppliableBeforePersist`).
 * 4. Call `advance(ready)`.
 *
 * `committedEntries` are always already durable on this member (they were in an earlier Ready's
 * `entries`, or in this one's — step 1 precedes step 3).
 */
export interface Ready {
  readonly softState: SoftState | undefined;
  readonly hardState: HardState | undefined;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /**
   * Whether step 1 needs an fsync: false when the only change is the commit index (a commit index
   * lost in a power loss is learnt again from the leader); every Ready with `mustSync` carries the
   * current hard state, so the next synced write makes the newer commit durable.
   */
  readonly mustSync: boolean;
  /**
   * How many of `messages` (the first ones) may leave while this Ready's write runs, because they
   * promise nothing about it: proposals and reads a follower forwards, and a leader's appends and
   * heartbeats (Raft thesis §10.2.1: a leader replicates in parallel with its own fsync). The term
   * and vote they carry are already durable, and none tells a commit index above what this member
   * has stored. The leader counts its own entries as stored at once, but a commit that relies on
   * that reaches nobody, and is applied nowhere, before the next Ready — which is only handed out
   * after this one's write is durable.
   */
  readonly messagesBeforePersist: number;
}

/** The durable state a member restarts from (as recovered by storage). */
export interface RaftBootState {
  readonly hardState: HardState;
  /** The newest snapshot; for a brand-new member, a metadata-only snapshot at index 0 with the initial membership. */
  readonly snapshot: Snapshot;
  /**
   * Entries after `snapshot.metadata.index`, contiguous. They may start at or before it (a
   * catch-up window kept by storage); the entry at the snapshot's index then has its term.
   */
  readonly entries: readonly Entry[];
}

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === 0 && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}
