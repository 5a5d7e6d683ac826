/**
 * Domain types of the client protocol: what the SDK and the server's API layer work with after
 * decoding. They follow etcd's v3 API message by message (docs/protocol.md maps every field to its
 * wire name) with three changes of representation:
 *
 * - bytes are `Uint8Array`;
 * - every 64-bit integer is a `number` that is a safe integer (|n| ≤ 2^53-1). Revisions, versions,
 *   counts, TTLs, sizes and Raft indexes cannot reach 2^53 in practice (10^6 writes/s for 285 years).
 *   Ids are 64-bit in etcd, but Concord generates them to fit 53 bits (member and cluster ids are
 *   48-bit hashes, lease ids are [16-bit member][37-bit counter], see server/replica/id-generator.ts),
 *   so they are numbers too: exact, JSON-friendly, usable as Map keys, and the same type as in the
 *   mvcc and replica layers. A larger id on the wire is refused with INVALID_ARGUMENT naming the
 *   field, never rounded;
 * - enums are lower-case strings (`'descend'`, `'notEqual'`), the same values server/mvcc uses.
 *
 * Requests have every field present (the decoder fills in proto3 defaults), so consumers never test
 * for undefined; only genuinely optional sub-messages (`prevKv`) are optional. The shapes are
 * assignable to server/mvcc's request types.
 */

export const SortOrder = { None: 'none', Ascend: 'ascend', Descend: 'descend' } as const;
export type SortOrder = (typeof SortOrder)[keyof typeof SortOrder];

export const SortTarget = {
  Key: 'key',
  Version: 'version',
  Create: 'create',
  Mod: 'mod',
  Value: 'value',
} as const;
export type SortTarget = (typeof SortTarget)[keyof typeof SortTarget];

export const CompareResult = {
  Equal: 'equal',
  Greater: 'greater',
  Less: 'less',
  NotEqual: 'notEqual',
} as const;
export type CompareResult = (typeof CompareResult)[keyof typeof CompareResult];

export const CompareTarget = {
  Version: 'version',
  Create: 'create',
  Mod: 'mod',
  Value: 'value',
  Lease: 'lease',
} as const;
export type CompareTarget = (typeof CompareTarget)[keyof typeof CompareTarget];

export const EventType = { Put: 'put', Delete: 'delete' } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const WatchFilter = { NoPut: 'noPut', NoDelete: 'noDelete' } as const;
export type WatchFilter = (typeof WatchFilter)[keyof typeof WatchFilter];

export const AlarmAction = { Get: 'get', Activate: 'activate', Deactivate: 'deactivate' } as const;
export type AlarmAction = (typeof AlarmAction)[keyof typeof AlarmAction];

export const AlarmType = { None: 'none', NoSpace: 'noSpace', Corrupt: 'corrupt' } as const;
export type AlarmType = (typeof AlarmType)[keyof typeof AlarmType];

/** A request without fields (status, leases, progress, snapshot). */
export interface EmptyRequest {
  readonly _?: never;
}

export interface ResponseHeader {
  readonly clusterId: number;
  readonly memberId: number;
  /**
   * The store revision when the request was applied (or read), else the current one. A brand-new
   * store is at revision 1 (as etcd's), so a member never answers 0.
   */
  readonly revision: number;
  readonly raftTerm: number;
}

export interface KeyValue {
  readonly key: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly value: Uint8Array;
  /** The lease attached to the key, 0 for none. */
  readonly lease: number;
}

export interface RangeRequest {
  readonly key: Uint8Array;
  /** Empty: only `key`. [0x00]: every key ≥ key. key+1: the prefix `key`. */
  readonly rangeEnd: Uint8Array;
  /** 0: no limit. */
  readonly limit: number;
  /** 0: the current revision. */
  readonly revision: number;
  readonly sortOrder: SortOrder;
  readonly sortTarget: SortTarget;
  /** Serve from the member's local state without the ReadIndex round. */
  readonly serializable: boolean;
  readonly keysOnly: boolean;
  readonly countOnly: boolean;
  readonly minModRevision: number;
  readonly maxModRevision: number;
  readonly minCreateRevision: number;
  readonly maxCreateRevision: number;
}

export interface RangeResponse {
  readonly header: ResponseHeader;
  readonly kvs: readonly KeyValue[];
  readonly more: boolean;
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** 0: no lease. */
  readonly lease: number;
  readonly prevKv: boolean;
  readonly ignoreValue: boolean;
  readonly ignoreLease: boolean;
}

export interface PutResponse {
  readonly header: ResponseHeader;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
  readonly prevKv: boolean;
}

export interface DeleteRangeResponse {
  readonly header: ResponseHeader;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

/** A txn guard. A VALUE compare carries bytes; the other targets carry a number. */
export type Compare = {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
  readonly result: CompareResult;
} & (
  | { readonly target: 'value'; readonly value: Uint8Array }
  | { readonly target: 'version' | 'create' | 'mod' | 'lease'; readonly value: number }
);

export type RequestOp =
  | { readonly type: 'range'; readonly request: RangeRequest }
  | { readonly type: 'put'; readonly request: PutRequest }
  | { readonly type: 'deleteRange'; readonly request: DeleteRangeRequest }
  | { readonly type: 'txn'; readonly request: TxnRequest };

export type ResponseOp =
  | { readonly type: 'range'; readonly response: RangeResponse }
  | { readonly type: 'put'; readonly response: PutResponse }
  | { readonly type: 'deleteRange'; readonly response: DeleteRangeResponse }
  | { readonly type: 'txn'; readonly response: TxnResponse };

export interface TxnRequest {
  readonly compare: readonly Compare[];
  readonly success: readonly RequestOp[];
  readonly failure: readonly RequestOp[];
}

export interface TxnResponse {
  readonly header: ResponseHeader;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactionRequest {
  readonly revision: number;
  readonly physical: boolean;
}

export interface CompactionResponse {
  readonly header: ResponseHeader;
}

export interface WatchCreateRequest {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
  /** 0: from the next revision ("now"). */
  readonly startRevision: number;
  readonly progressNotify: boolean;
  readonly filters: readonly WatchFilter[];
  readonly prevKv: boolean;
  /** 0: the server chooses. On the WebSocket the watch id is the request id (see docs). */
  readonly watchId: number;
  readonly fragment: boolean;
}

export interface WatchCancelRequest {
  readonly watchId: number;
}

/** The HTTP gateway's /v3/watch body: one of create, cancel, progress. */
export type WatchRequest =
  | { readonly type: 'create'; readonly request: WatchCreateRequest }
  | { readonly type: 'cancel'; readonly request: WatchCancelRequest }
  | { readonly type: 'progress' };

export interface WatchEvent {
  readonly type: EventType;
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}

/**
 * etcd's WatchResponse, told apart by what it means. `events` batches are never empty (a fragment
 * of a split revision may be); `progress` says every event up to header.revision has been sent;
 * `canceled` ends the watch (compactRevision > 0 when history was compacted past it). `watchId` is
 * -1 for a progress answer that covers every watch of the stream.
 */
export type WatchResponse =
  | { readonly type: 'created'; readonly header: ResponseHeader; readonly watchId: number }
  | {
      readonly type: 'events';
      readonly header: ResponseHeader;
      readonly watchId: number;
      readonly events: readonly WatchEvent[];
      readonly fragment: boolean;
    }
  | { readonly type: 'progress'; readonly header: ResponseHeader; readonly watchId: number }
  | {
      readonly type: 'canceled';
      readonly header: ResponseHeader;
      readonly watchId: number;
      readonly compactRevision: number;
      readonly cancelReason: string;
    };

export type WatchCreated = Extract<WatchResponse, { type: 'created' }>;
export type WatchCanceled = Extract<WatchResponse, { type: 'canceled' }>;
export type WatchProgress = Extract<WatchResponse, { type: 'progress' }>;
/** What a `watch` frame on the WebSocket carries. */
export type WatchStreamResponse = Extract<WatchResponse, { type: 'events' | 'progress' }>;

export interface LeaseGrantRequest {
  readonly ttlSec: number;
  /** 0: the server chooses the id. */
  readonly id: number;
}

export interface LeaseGrantResponse {
  readonly header: ResponseHeader;
  readonly id: number;
  readonly ttlSec: number;
  readonly error: string;
}

export interface LeaseRevokeRequest {
  readonly id: number;
}

export interface LeaseRevokeResponse {
  readonly header: ResponseHeader;
}

export interface LeaseKeepAliveRequest {
  readonly id: number;
}

export interface LeaseKeepAliveResponse {
  readonly header: ResponseHeader;
  readonly id: number;
  /** The renewed TTL; 0 (or less) means the lease is gone. */
  readonly ttlSec: number;
}

export interface LeaseTimeToLiveRequest {
  readonly id: number;
  /** Also list the keys attached to the lease. */
  readonly keys: boolean;
}

export interface LeaseTimeToLiveResponse {
  readonly header: ResponseHeader;
  readonly id: number;
  /** Remaining TTL; -1 when the lease has expired or does not exist. */
  readonly ttlSec: number;
  readonly grantedTtlSec: number;
  readonly keys: readonly Uint8Array[];
}

export interface LeaseStatus {
  readonly id: number;
}

export interface LeaseLeasesResponse {
  readonly header: ResponseHeader;
  readonly leases: readonly LeaseStatus[];
}

export interface MemberListRequest {
  readonly linearizable: boolean;
}

export interface Member {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

export interface MemberListResponse {
  readonly header: ResponseHeader;
  readonly members: readonly Member[];
}

export interface MemberAddRequest {
  /** The new member's advertised peer URLs (at least one). */
  readonly peerUrls: readonly string[];
  /** Add it as a non-voting learner (promote it later with memberPromote). */
  readonly isLearner: boolean;
}

export interface MemberAddResponse {
  readonly header: ResponseHeader;
  /** The added member (no name or client URLs until it starts and publishes them). */
  readonly member: Member;
  /** Every member after the change. */
  readonly members: readonly Member[];
}

export interface MemberRemoveRequest {
  readonly id: number;
}

export interface MemberRemoveResponse {
  readonly header: ResponseHeader;
  readonly members: readonly Member[];
}

export interface MemberPromoteRequest {
  readonly id: number;
}

export interface MemberPromoteResponse {
  readonly header: ResponseHeader;
  readonly members: readonly Member[];
}

export interface StatusResponse {
  readonly header: ResponseHeader;
  /** The etcd release whose API this member follows (where etcd puts its own version). */
  readonly version: string;
  readonly dbSizeBytes: number;
  /** The member id this member believes leads (0: none). */
  readonly leader: number;
  readonly raftIndex: number;
  readonly raftTerm: number;
  readonly raftAppliedIndex: number;
  /** Alarm and health messages. */
  readonly errors: readonly string[];
  readonly dbSizeInUseBytes: number;
  readonly isLearner: boolean;
  readonly storageVersion: string;
  readonly dbSizeQuotaBytes: number;
  /** Concord's own version (Concord's field; etcd has none). */
  readonly concordVersion: string;
}

export interface SnapshotResponse {
  readonly header: ResponseHeader;
  /** Bytes still to come after this message's blob. */
  readonly remainingBytes: number;
  readonly blob: Uint8Array;
  readonly version: string;
}

export interface AlarmRequest {
  readonly action: AlarmAction;
  /** 0: every member. */
  readonly memberId: number;
  readonly alarm: AlarmType;
}

export interface AlarmMember {
  readonly memberId: number;
  readonly alarm: AlarmType;
}

export interface AlarmResponse {
  readonly header: ResponseHeader;
  readonly alarms: readonly AlarmMember[];
}

// ---- Maintenance and membership: hash, hashKV, defragment, moveLeader, memberUpdate ---------

export interface HashResponse {
  readonly header: ResponseHeader;
  /** A 32-bit hash of this member's whole replicated state (differs between applied indexes). */
  readonly hash: number;
}

export interface HashKVRequest {
  /** Hash the key-value history up to this revision; 0: the current revision. */
  readonly revision: number;
}

export interface HashKVResponse {
  readonly header: ResponseHeader;
  /** A 32-bit hash of the MVCC key-values from the compaction point up to the revision. */
  readonly hash: number;
  /** The compaction revision the hash starts from (compare hashes only when these agree). */
  readonly compactRevision: number;
  /** The revision hashed up to (etcd 3.6's field). */
  readonly hashRevision: number;
}

export interface DefragmentResponse {
  readonly header: ResponseHeader;
}

export interface MoveLeaderRequest {
  /** The voter to hand leadership to. */
  readonly targetId: number;
}

export interface MoveLeaderResponse {
  readonly header: ResponseHeader;
}

export interface MemberUpdateRequest {
  readonly id: number;
  /** The member's new advertised peer URLs (at least one). */
  readonly peerUrls: readonly string[];
}

export interface MemberUpdateResponse {
  readonly header: ResponseHeader;
  readonly members: readonly Member[];
}
