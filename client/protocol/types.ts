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
 *
 * The message types are generated from the .proto files (client/protocol/gen/**\/*_codec.ts, by
 * tools/protoc-gen-concord-codecs.ts) and re-exported here under the SDK's names; written by hand
 * are only the enum constants (checked against the generated values) and the three types whose
 * shape differs from their message (Compare, WatchRequest, WatchResponse: codec-adapters.ts).
 */

import type * as G from './gen/etcdserverpb/rpc_codec.js';
import type * as K from './gen/mvccpb/kv_codec.js';

export const SortOrder = {
  None: 'none',
  Ascend: 'ascend',
  Descend: 'descend',
} as const satisfies Record<string, G.RangeRequest_SortOrder>;
export type SortOrder = G.RangeRequest_SortOrder;

export const SortTarget = {
  Key: 'key',
  Version: 'version',
  Create: 'create',
  Mod: 'mod',
  Value: 'value',
} as const satisfies Record<string, G.RangeRequest_SortTarget>;
export type SortTarget = G.RangeRequest_SortTarget;

export const CompareResult = {
  Equal: 'equal',
  Greater: 'greater',
  Less: 'less',
  NotEqual: 'notEqual',
} as const satisfies Record<string, G.Compare_CompareResult>;
export type CompareResult = G.Compare_CompareResult;

export const CompareTarget = {
  Version: 'version',
  Create: 'create',
  Mod: 'mod',
  Value: 'value',
  Lease: 'lease',
} as const satisfies Record<string, G.Compare_CompareTarget>;
export type CompareTarget = G.Compare_CompareTarget;

export const EventType = { Put: 'put', Delete: 'delete' } as const satisfies Record<
  string,
  K.Event_EventType
>;
export type EventType = K.Event_EventType;

export const WatchFilter = { NoPut: 'noPut', NoDelete: 'noDelete' } as const satisfies Record<
  string,
  G.WatchCreateRequest_FilterType
>;
export type WatchFilter = G.WatchCreateRequest_FilterType;

export const AlarmAction = {
  Get: 'get',
  Activate: 'activate',
  Deactivate: 'deactivate',
} as const satisfies Record<string, G.AlarmRequest_AlarmAction>;
export type AlarmAction = G.AlarmRequest_AlarmAction;

export const AlarmType = {
  None: 'none',
  NoSpace: 'noSpace',
  Corrupt: 'corrupt',
} as const satisfies Record<string, G.AlarmType>;
export type AlarmType = G.AlarmType;

/** A request without fields (status, leases, progress, snapshot). */
export interface EmptyRequest {
  readonly _?: never;
}

export type { KeyValue } from './gen/mvccpb/kv_codec.js';
export type {
  ResponseHeader,
  RangeRequest,
  RangeResponse,
  PutRequest,
  PutResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  CompactionRequest,
  CompactionResponse,
  WatchCreateRequest,
  WatchCancelRequest,
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  LeaseStatus,
  LeaseLeasesResponse,
  MemberListRequest,
  Member,
  MemberListResponse,
  MemberAddRequest,
  MemberAddResponse,
  MemberRemoveRequest,
  MemberRemoveResponse,
  MemberPromoteRequest,
  MemberPromoteResponse,
  MemberUpdateRequest,
  MemberUpdateResponse,
  StatusResponse,
  SnapshotResponse,
  AlarmRequest,
  AlarmMember,
  AlarmResponse,
  HashResponse,
  HashKVRequest,
  HashKVResponse,
  DefragmentResponse,
  MoveLeaderRequest,
  MoveLeaderResponse,
} from './gen/etcdserverpb/rpc_codec.js';

/** One change seen by a watch (mvccpb.Event). */
export type WatchEvent = K.Event;

/** A txn guard. A VALUE compare carries bytes; the other targets carry a number. */
export type Compare = {
  readonly key: Uint8Array;
  readonly rangeEnd: Uint8Array;
  readonly result: CompareResult;
} & (
  | { readonly target: 'value'; readonly value: Uint8Array }
  | { readonly target: 'version' | 'create' | 'mod' | 'lease'; readonly value: number }
);

/** The HTTP gateway's /v3/watch body: one of create, cancel, progress. */
export type WatchRequest =
  | { readonly type: 'create'; readonly request: G.WatchCreateRequest }
  | { readonly type: 'cancel'; readonly request: G.WatchCancelRequest }
  | { readonly type: 'progress' };

/**
 * etcd's WatchResponse, told apart by what it means. `events` batches are never empty (a fragment
 * of a split revision may be); `progress` says every event up to header.revision has been sent;
 * `canceled` ends the watch (compactRevision > 0 when history was compacted past it). `watchId` is
 * -1 for a progress answer that covers every watch of the stream.
 */
export type WatchResponse =
  | { readonly type: 'created'; readonly header: G.ResponseHeader; readonly watchId: number }
  | {
      readonly type: 'events';
      readonly header: G.ResponseHeader;
      readonly watchId: number;
      readonly events: readonly K.Event[];
      readonly fragment: boolean;
    }
  | { readonly type: 'progress'; readonly header: G.ResponseHeader; readonly watchId: number }
  | {
      readonly type: 'canceled';
      readonly header: G.ResponseHeader;
      readonly watchId: number;
      readonly compactRevision: number;
      readonly cancelReason: string;
    };

export type WatchCreated = Extract<WatchResponse, { type: 'created' }>;
export type WatchCanceled = Extract<WatchResponse, { type: 'canceled' }>;
export type WatchProgress = Extract<WatchResponse, { type: 'progress' }>;
/** What a `watch` frame on the WebSocket carries. */
export type WatchStreamResponse = Extract<WatchResponse, { type: 'events' | 'progress' }>;
