/**
 * The canonical wire JSON of every message (what Concord emits, what decodeWire returns): proto
 * field names, int64 as decimal strings (I64), bytes as padded standard base64 (B64), enums by
 * name, defaults omitted. Generated from the .proto files with the codecs
 * (client/protocol/gen/**\/*_codec.ts); this file gives them their SDK names.
 */
import type * as G from './gen/etcdserverpb/rpc_codec.js';
import type * as K from './gen/mvccpb/kv_codec.js';

export type WireSortOrder = G.WireRangeRequest_SortOrder;
export type WireSortTarget = G.WireRangeRequest_SortTarget;
export type WireCompareResult = G.WireCompare_CompareResult;
export type WireCompareTarget = G.WireCompare_CompareTarget;
export type WireEventType = K.WireEvent_EventType;
export type WireFilterType = G.WireWatchCreateRequest_FilterType;
export type WireAlarmAction = G.WireAlarmRequest_AlarmAction;
export type WireAlarmType = G.WireAlarmType;

/** Bytes as padded standard base64. */
export type B64 = string;
/** A 64-bit integer as a decimal string. */
export type I64 = string;

/** A message without fields. */
export interface WireEmpty {
  readonly _?: never;
}

export type { WireKeyValue, WireEvent } from './gen/mvccpb/kv_codec.js';
export type {
  WireResponseHeader,
  WireRangeRequest,
  WireRangeResponse,
  WirePutRequest,
  WirePutResponse,
  WireDeleteRangeRequest,
  WireDeleteRangeResponse,
  WireCompare,
  WireRequestOp,
  WireResponseOp,
  WireTxnRequest,
  WireTxnResponse,
  WireCompactionRequest,
  WireCompactionResponse,
  WireWatchCreateRequest,
  WireWatchCancelRequest,
  WireWatchRequest,
  WireWatchResponse,
  WireLeaseGrantRequest,
  WireLeaseGrantResponse,
  WireLeaseRevokeRequest,
  WireLeaseRevokeResponse,
  WireLeaseKeepAliveRequest,
  WireLeaseKeepAliveResponse,
  WireLeaseTimeToLiveRequest,
  WireLeaseTimeToLiveResponse,
  WireLeaseStatus,
  WireLeaseLeasesResponse,
  WireMemberListRequest,
  WireMember,
  WireMemberListResponse,
  WireMemberAddRequest,
  WireMemberAddResponse,
  WireMemberRemoveRequest,
  WireMemberRemoveResponse,
  WireMemberPromoteRequest,
  WireMemberPromoteResponse,
  WireStatusResponse,
  WireSnapshotResponse,
  WireAlarmRequest,
  WireAlarmMember,
  WireAlarmResponse,
  WireHashResponse,
  WireHashKVRequest,
  WireHashKVResponse,
  WireDefragmentResponse,
  WireMoveLeaderRequest,
  WireMoveLeaderResponse,
  WireMemberUpdateRequest,
  WireMemberUpdateResponse,
} from './gen/etcdserverpb/rpc_codec.js';
