/**
 * Wire types: etcd's v3 messages exactly as canonical JSON carries them (proto3 JSON mapping with
 * the proto field names, as etcd's gateway emits them). Bytes are padded standard base64 strings,
 * 64-bit integers are decimal strings, enums are their proto names, and a field at its default
 * value is absent. The decoders in messages.ts accept a more lenient input and produce these.
 */

export type WireSortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type WireSortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
export type WireCompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type WireCompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
export type WireEventType = 'PUT' | 'DELETE';
export type WireFilterType = 'NOPUT' | 'NODELETE';
export type WireAlarmAction = 'GET' | 'ACTIVATE' | 'DEACTIVATE';
export type WireAlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';

/** Base64 text (standard alphabet, padded). */
export type B64 = string;
/** A 64-bit integer as decimal text. */
export type I64 = string;

export interface WireEmpty {
  readonly _?: never;
}

export interface WireResponseHeader {
  readonly cluster_id?: I64;
  readonly member_id?: I64;
  readonly revision?: I64;
  readonly raft_term?: I64;
}

export interface WireKeyValue {
  readonly key?: B64;
  readonly create_revision?: I64;
  readonly mod_revision?: I64;
  readonly version?: I64;
  readonly value?: B64;
  readonly lease?: I64;
}

export interface WireRangeRequest {
  readonly key?: B64;
  readonly range_end?: B64;
  readonly limit?: I64;
  readonly revision?: I64;
  readonly sort_order?: WireSortOrder;
  readonly sort_target?: WireSortTarget;
  readonly serializable?: boolean;
  readonly keys_only?: boolean;
  readonly count_only?: boolean;
  readonly min_mod_revision?: I64;
  readonly max_mod_revision?: I64;
  readonly min_create_revision?: I64;
  readonly max_create_revision?: I64;
}

export interface WireRangeResponse {
  readonly header: WireResponseHeader;
  readonly kvs?: readonly WireKeyValue[];
  readonly more?: boolean;
  readonly count?: I64;
}

export interface WirePutRequest {
  readonly key?: B64;
  readonly value?: B64;
  readonly lease?: I64;
  readonly prev_kv?: boolean;
  readonly ignore_value?: boolean;
  readonly ignore_lease?: boolean;
}

export interface WirePutResponse {
  readonly header: WireResponseHeader;
  readonly prev_kv?: WireKeyValue;
}

export interface WireDeleteRangeRequest {
  readonly key?: B64;
  readonly range_end?: B64;
  readonly prev_kv?: boolean;
}

export interface WireDeleteRangeResponse {
  readonly header: WireResponseHeader;
  readonly deleted?: I64;
  readonly prev_kvs?: readonly WireKeyValue[];
}

/** Exactly one of version, create_revision, mod_revision, value, lease: the one `target` names. */
export interface WireCompare {
  readonly result?: WireCompareResult;
  readonly target?: WireCompareTarget;
  readonly key?: B64;
  readonly version?: I64;
  readonly create_revision?: I64;
  readonly mod_revision?: I64;
  readonly value?: B64;
  readonly lease?: I64;
  readonly range_end?: B64;
}

/** Exactly one member is set. */
export interface WireRequestOp {
  readonly request_range?: WireRangeRequest;
  readonly request_put?: WirePutRequest;
  readonly request_delete_range?: WireDeleteRangeRequest;
  readonly request_txn?: WireTxnRequest;
}

/** Exactly one member is set. */
export interface WireResponseOp {
  readonly response_range?: WireRangeResponse;
  readonly response_put?: WirePutResponse;
  readonly response_delete_range?: WireDeleteRangeResponse;
  readonly response_txn?: WireTxnResponse;
}

export interface WireTxnRequest {
  readonly compare?: readonly WireCompare[];
  readonly success?: readonly WireRequestOp[];
  readonly failure?: readonly WireRequestOp[];
}

export interface WireTxnResponse {
  readonly header: WireResponseHeader;
  readonly succeeded?: boolean;
  readonly responses?: readonly WireResponseOp[];
}

export interface WireCompactionRequest {
  readonly revision?: I64;
  readonly physical?: boolean;
}

export interface WireCompactionResponse {
  readonly header: WireResponseHeader;
}

export interface WireWatchCreateRequest {
  readonly key?: B64;
  readonly range_end?: B64;
  readonly start_revision?: I64;
  readonly progress_notify?: boolean;
  readonly filters?: readonly WireFilterType[];
  readonly prev_kv?: boolean;
  readonly watch_id?: I64;
  readonly fragment?: boolean;
}

export interface WireWatchCancelRequest {
  readonly watch_id?: I64;
}

/** The gateway's /v3/watch body: exactly one member is set. */
export interface WireWatchRequest {
  readonly create_request?: WireWatchCreateRequest;
  readonly cancel_request?: WireWatchCancelRequest;
  readonly progress_request?: WireEmpty;
}

export interface WireEvent {
  readonly type?: WireEventType;
  readonly kv: WireKeyValue;
  readonly prev_kv?: WireKeyValue;
}

export interface WireWatchResponse {
  readonly header: WireResponseHeader;
  readonly watch_id?: I64;
  readonly created?: boolean;
  readonly canceled?: boolean;
  readonly compact_revision?: I64;
  readonly cancel_reason?: string;
  readonly fragment?: boolean;
  readonly events?: readonly WireEvent[];
}

export interface WireLeaseGrantRequest {
  readonly TTL?: I64;
  readonly ID?: I64;
}

export interface WireLeaseGrantResponse {
  readonly header: WireResponseHeader;
  readonly ID?: I64;
  readonly TTL?: I64;
  readonly error?: string;
}

export interface WireLeaseRevokeRequest {
  readonly ID?: I64;
}

export interface WireLeaseRevokeResponse {
  readonly header: WireResponseHeader;
}

export interface WireLeaseKeepAliveRequest {
  readonly ID?: I64;
}

export interface WireLeaseKeepAliveResponse {
  readonly header: WireResponseHeader;
  readonly ID?: I64;
  readonly TTL?: I64;
}

export interface WireLeaseTimeToLiveRequest {
  readonly ID?: I64;
  readonly keys?: boolean;
}

export interface WireLeaseTimeToLiveResponse {
  readonly header: WireResponseHeader;
  readonly ID?: I64;
  readonly TTL?: I64;
  readonly grantedTTL?: I64;
  readonly keys?: readonly B64[];
}

export interface WireLeaseStatus {
  readonly ID?: I64;
}

export interface WireLeaseLeasesResponse {
  readonly header: WireResponseHeader;
  readonly leases?: readonly WireLeaseStatus[];
}

export interface WireMemberListRequest {
  readonly linearizable?: boolean;
}

export interface WireMember {
  readonly ID?: I64;
  readonly name?: string;
  readonly peerURLs?: readonly string[];
  readonly clientURLs?: readonly string[];
  readonly isLearner?: boolean;
}

export interface WireMemberListResponse {
  readonly header: WireResponseHeader;
  readonly members?: readonly WireMember[];
}

export interface WireMemberAddRequest {
  readonly peerURLs?: readonly string[];
  readonly isLearner?: boolean;
}

export interface WireMemberAddResponse {
  readonly header: WireResponseHeader;
  readonly member?: WireMember;
  readonly members?: readonly WireMember[];
}

export interface WireMemberRemoveRequest {
  readonly ID?: I64;
}

export interface WireMemberRemoveResponse {
  readonly header: WireResponseHeader;
  readonly members?: readonly WireMember[];
}

export interface WireMemberPromoteRequest {
  readonly ID?: I64;
}

export interface WireMemberPromoteResponse {
  readonly header: WireResponseHeader;
  readonly members?: readonly WireMember[];
}

export interface WireStatusResponse {
  readonly header: WireResponseHeader;
  readonly version?: string;
  readonly dbSize?: I64;
  readonly leader?: I64;
  readonly raftIndex?: I64;
  readonly raftTerm?: I64;
  readonly raftAppliedIndex?: I64;
  readonly errors?: readonly string[];
  readonly dbSizeInUse?: I64;
  readonly isLearner?: boolean;
  readonly storageVersion?: string;
  readonly dbSizeQuota?: I64;
  readonly concordVersion?: string;
}

export interface WireSnapshotResponse {
  readonly header: WireResponseHeader;
  readonly remaining_bytes?: I64;
  readonly blob?: B64;
  readonly version?: string;
}

export interface WireAlarmRequest {
  readonly action?: WireAlarmAction;
  readonly memberID?: I64;
  readonly alarm?: WireAlarmType;
}

export interface WireAlarmMember {
  readonly memberID?: I64;
  readonly alarm?: WireAlarmType;
}

export interface WireAlarmResponse {
  readonly header: WireResponseHeader;
  readonly alarms?: readonly WireAlarmMember[];
}

// ---- Maintenance and membership: hash, hashKV, defragment, moveLeader, memberUpdate ---------

export interface WireHashResponse {
  readonly header: WireResponseHeader;
  readonly hash?: number;
}

export interface WireHashKVRequest {
  readonly revision?: I64;
}

export interface WireHashKVResponse {
  readonly header: WireResponseHeader;
  readonly hash?: number;
  readonly compact_revision?: I64;
  readonly hash_revision?: I64;
}

export interface WireDefragmentResponse {
  readonly header: WireResponseHeader;
}

export interface WireMoveLeaderRequest {
  readonly targetID?: I64;
}

export interface WireMoveLeaderResponse {
  readonly header: WireResponseHeader;
}

export interface WireMemberUpdateRequest {
  readonly ID?: I64;
  readonly peerURLs?: readonly string[];
}

export interface WireMemberUpdateResponse {
  readonly header: WireResponseHeader;
  readonly members?: readonly WireMember[];
}
