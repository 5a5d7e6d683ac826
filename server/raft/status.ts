import type { CampaignReason, ConfState, Role } from './types.js';

export const ProgressState = {
  /** Leader does not know where the follower's log ends: one MsgApp per heartbeat until it answers. */
  Probe: 'probe',
  /** Follower is known to match: stream MsgApps optimistically, bounded by the in-flight window. */
  Replicate: 'replicate',
  /** Follower needs a snapshot: wait until it reports having applied it. */
  Snapshot: 'snapshot',
} as const;
export type ProgressState = (typeof ProgressState)[keyof typeof ProgressState];

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly recentActive: boolean;
}

export interface RaftStatus {
  readonly id: number;
  readonly term: number;
  readonly vote: number;
  readonly commit: number;
  readonly applied: number;
  readonly lead: number;
  readonly role: Role;
  readonly lastIndex: number;
  readonly firstIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: number;
  /**
   * Why this member started its latest campaign (for a leader: the one that won it), undefined if
   * it never campaigned in this incarnation.
   */
  readonly campaignReason: CampaignReason | undefined;
  /** Campaigns this member started in this incarnation, by reason. */
  readonly campaigns: Readonly<Record<CampaignReason, number>>;
  /** The leader whose peer connection closed and has not come back (NONE if none). */
  readonly suspectLeader: number;
  /** Present on the leader only. */
  readonly progress: ReadonlyMap<number, ProgressStatus> | undefined;
}
