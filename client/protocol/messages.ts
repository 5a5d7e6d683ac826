/**
 * One codec per etcd message: its fields in proto order (api/etcdserverpb/rpc.proto and
 * api/mvccpb/kv.proto), the domain name of each, and request-level checks that etcd's API layer
 * makes (empty key, value or lease given with ignore_value / ignore_lease). Oneofs (RequestOp,
 * ResponseOp, Compare's target_union, WatchRequest) and WatchResponse's meaning are coded by hand.
 */
import { invalid } from './errors.js';
import { field, joinPath, messageCodec, T, type Codec, type DecodeContext } from './schema.js';
import type * as D from './types.js';
import type * as W from './wire.js';

const ANY = Number.MIN_SAFE_INTEGER;
const REV = T.int(0);
const COUNT = T.int(0);
const ID = T.int(0);

const req = { presence: 'required' } as const;
const opt = { presence: 'optional' } as const;
const rep = { repeated: true } as const;

// ---- shared ---------------------------------------------------------------------------------

export const RESPONSE_HEADER: Codec<D.ResponseHeader, W.WireResponseHeader> = messageCodec('ResponseHeader', [
  field('cluster_id', 'clusterId', ID),
  field('member_id', 'memberId', ID),
  field('revision', 'revision', REV),
  field('raft_term', 'raftTerm', COUNT),
]);

const HEADER = field(
  'header',
  'header',
  T.message(() => RESPONSE_HEADER),
  req,
);

export const KEY_VALUE: Codec<D.KeyValue, W.WireKeyValue> = messageCodec('KeyValue', [
  field('key', 'key', T.bytes),
  field('create_revision', 'createRevision', REV),
  field('mod_revision', 'modRevision', REV),
  field('version', 'version', COUNT),
  field('value', 'value', T.bytes),
  field('lease', 'lease', ID),
]);

function requireKey(wire: { readonly key?: string }, path: string): void {
  if (wire.key === undefined) throw invalid(joinPath(path, 'key'), 'key is not provided');
}

// ---- KV -------------------------------------------------------------------------------------

const SORT_ORDER = T.enumOf(['NONE', 'ASCEND', 'DESCEND'], ['none', 'ascend', 'descend']);
const SORT_TARGET = T.enumOf(
  ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'],
  ['key', 'version', 'create', 'mod', 'value'],
);

export const RANGE_REQUEST: Codec<D.RangeRequest, W.WireRangeRequest> = messageCodec(
  'RangeRequest',
  [
    field('key', 'key', T.bytes),
    field('range_end', 'rangeEnd', T.bytes),
    field('limit', 'limit', COUNT),
    field('revision', 'revision', REV),
    field('sort_order', 'sortOrder', SORT_ORDER),
    field('sort_target', 'sortTarget', SORT_TARGET),
    field('serializable', 'serializable', T.bool),
    field('keys_only', 'keysOnly', T.bool),
    field('count_only', 'countOnly', T.bool),
    field('min_mod_revision', 'minModRevision', REV),
    field('max_mod_revision', 'maxModRevision', REV),
    field('min_create_revision', 'minCreateRevision', REV),
    field('max_create_revision', 'maxCreateRevision', REV),
  ],
  requireKey,
);

export const RANGE_RESPONSE: Codec<D.RangeResponse, W.WireRangeResponse> = messageCodec('RangeResponse', [
  HEADER,
  field(
    'kvs',
    'kvs',
    T.message(() => KEY_VALUE),
    rep,
  ),
  field('more', 'more', T.bool),
  field('count', 'count', COUNT),
]);

export const PUT_REQUEST: Codec<D.PutRequest, W.WirePutRequest> = messageCodec(
  'PutRequest',
  [
    field('key', 'key', T.bytes),
    field('value', 'value', T.bytes),
    field('lease', 'lease', ID),
    field('prev_kv', 'prevKv', T.bool),
    field('ignore_value', 'ignoreValue', T.bool),
    field('ignore_lease', 'ignoreLease', T.bool),
  ],
  (wire, path) => {
    requireKey(wire, path);
    if (wire.ignore_value === true && wire.value !== undefined) {
      throw invalid(joinPath(path, 'value'), 'value is provided (ignore_value is set)');
    }
    if (wire.ignore_lease === true && wire.lease !== undefined) {
      throw invalid(joinPath(path, 'lease'), 'lease is provided (ignore_lease is set)');
    }
  },
);

export const PUT_RESPONSE: Codec<D.PutResponse, W.WirePutResponse> = messageCodec('PutResponse', [
  HEADER,
  field(
    'prev_kv',
    'prevKv',
    T.message(() => KEY_VALUE),
    opt,
  ),
]);

export const DELETE_RANGE_REQUEST: Codec<D.DeleteRangeRequest, W.WireDeleteRangeRequest> = messageCodec(
  'DeleteRangeRequest',
  [field('key', 'key', T.bytes), field('range_end', 'rangeEnd', T.bytes), field('prev_kv', 'prevKv', T.bool)],
  requireKey,
);

export const DELETE_RANGE_RESPONSE: Codec<D.DeleteRangeResponse, W.WireDeleteRangeResponse> = messageCodec(
  'DeleteRangeResponse',
  [
    HEADER,
    field('deleted', 'deleted', COUNT),
    field(
      'prev_kvs',
      'prevKvs',
      T.message(() => KEY_VALUE),
      rep,
    ),
  ],
);

// ---- Compare (oneof target_union) -----------------------------------------------------------

const COMPARE_RESULT = T.enumOf(
  ['EQUAL', 'GREATER', 'LESS', 'NOT_EQUAL'],
  ['equal', 'greater', 'less', 'notEqual'],
);
const COMPARE_TARGET = T.enumOf(
  ['VERSION', 'CREATE', 'MOD', 'VALUE', 'LEASE'],
  ['version', 'create', 'mod', 'value', 'lease'],
);

/** target (wire name) → the oneof member that carries its operand. */
const UNION_FIELD = {
  VERSION: 'version',
  CREATE: 'create_revision',
  MOD: 'mod_revision',
  VALUE: 'value',
  LEASE: 'lease',
} as const satisfies Record<W.WireCompareTarget, keyof W.WireCompare>;
const UNION_FIELDS = Object.values(UNION_FIELD);

interface RawCompare {
  readonly result: D.CompareResult;
  readonly target: D.CompareTarget;
  readonly key: Uint8Array;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Uint8Array;
  readonly lease?: number;
  readonly rangeEnd: Uint8Array;
}

const RAW_COMPARE: Codec<RawCompare, W.WireCompare> = messageCodec(
  'Compare',
  [
    field('result', 'result', COMPARE_RESULT),
    field('target', 'target', COMPARE_TARGET),
    field('key', 'key', T.bytes),
    field('version', 'version', T.int(ANY), opt),
    field('create_revision', 'createRevision', T.int(ANY), opt),
    field('mod_revision', 'modRevision', T.int(ANY), opt),
    field('value', 'value', T.bytes, opt),
    field('lease', 'lease', T.int(ANY), opt),
    field('range_end', 'rangeEnd', T.bytes),
  ],
  (wire, path) => {
    const set = UNION_FIELDS.filter((name) => wire[name] !== undefined);
    if (set.length > 1) throw invalid(joinPath(path, set[1]!), `only one of ${set.join(', ')} may be given`);
    const expected = UNION_FIELD[wire.target ?? 'VERSION'];
    if (set.length === 1 && set[0] !== expected) {
      throw invalid(
        joinPath(path, set[0]!),
        `does not match target ${wire.target ?? 'VERSION'} (expected ${expected})`,
      );
    }
  },
);

export const COMPARE: Codec<D.Compare, W.WireCompare> = {
  name: 'Compare',
  // Canonical form always carries the target's operand, even at its default (oneof presence).
  decodeWire: (value, path, ctx) =>
    COMPARE.toWire(COMPARE.fromWire(RAW_COMPARE.decodeWire(value, path, ctx))),
  fromWire(wire) {
    const raw = RAW_COMPARE.fromWire(wire);
    const base = { key: raw.key, rangeEnd: raw.rangeEnd, result: raw.result };
    switch (raw.target) {
      case 'value':
        return { ...base, target: 'value', value: raw.value ?? new Uint8Array(0) };
      case 'version':
        return { ...base, target: 'version', value: raw.version ?? 0 };
      case 'create':
        return { ...base, target: 'create', value: raw.createRevision ?? 0 };
      case 'mod':
        return { ...base, target: 'mod', value: raw.modRevision ?? 0 };
      case 'lease':
        return { ...base, target: 'lease', value: raw.lease ?? 0 };
    }
  },
  toWire(cmp) {
    const base = { result: cmp.result, target: cmp.target, key: cmp.key, rangeEnd: cmp.rangeEnd };
    switch (cmp.target) {
      case 'value':
        return RAW_COMPARE.toWire({ ...base, value: cmp.value });
      case 'version':
        return RAW_COMPARE.toWire({ ...base, version: cmp.value });
      case 'create':
        return RAW_COMPARE.toWire({ ...base, createRevision: cmp.value });
      case 'mod':
        return RAW_COMPARE.toWire({ ...base, modRevision: cmp.value });
      case 'lease':
        return RAW_COMPARE.toWire({ ...base, lease: cmp.value });
    }
  },
};

// ---- Txn (RequestOp / ResponseOp oneofs) ----------------------------------------------------

/** Builds a codec for a oneof container: exactly one member, mapped to `{ type, [payload] }`. */
function oneofCodec<Dom extends { readonly type: string }, Wire extends object>(
  name: string,
  payload: 'request' | 'response',
  members: readonly {
    wire: string;
    type: Dom['type'];
    codec: () => Codec<unknown, unknown>;
    nested?: boolean;
  }[],
): Codec<Dom, Wire> {
  const raw = messageCodec<Record<string, unknown>, Record<string, unknown>>(
    name,
    members.map((m) =>
      field(m.wire, m.wire, T.message(m.codec), { presence: 'optional', txnNesting: m.nested ?? false }),
    ),
    (wire, path) => {
      const set = members.filter((m) => wire[m.wire] !== undefined);
      if (set.length !== 1) {
        const names = members.map((m) => m.wire).join(', ');
        throw invalid(path, set.length === 0 ? `must set one of ${names}` : `must set only one of ${names}`);
      }
    },
  );
  return {
    name,
    decodeWire: (value, path, ctx: DecodeContext) => raw.decodeWire(value, path, ctx) as Wire,
    fromWire(wire) {
      const w = wire as Record<string, unknown>;
      const member = members.find((m) => w[m.wire] !== undefined) ?? members[0]!;
      return { type: member.type, [payload]: member.codec().fromWire(w[member.wire]) } as unknown as Dom;
    },
    toWire(domain) {
      const member = members.find((m) => m.type === domain.type)!;
      const inner = (domain as unknown as Record<string, unknown>)[payload];
      return { [member.wire]: member.codec().toWire(inner) } as Wire;
    },
  };
}

export const REQUEST_OP: Codec<D.RequestOp, W.WireRequestOp> = oneofCodec('RequestOp', 'request', [
  { wire: 'request_range', type: 'range', codec: () => RANGE_REQUEST },
  { wire: 'request_put', type: 'put', codec: () => PUT_REQUEST },
  { wire: 'request_delete_range', type: 'deleteRange', codec: () => DELETE_RANGE_REQUEST },
  { wire: 'request_txn', type: 'txn', codec: () => TXN_REQUEST, nested: true },
]);

export const RESPONSE_OP: Codec<D.ResponseOp, W.WireResponseOp> = oneofCodec('ResponseOp', 'response', [
  { wire: 'response_range', type: 'range', codec: () => RANGE_RESPONSE },
  { wire: 'response_put', type: 'put', codec: () => PUT_RESPONSE },
  { wire: 'response_delete_range', type: 'deleteRange', codec: () => DELETE_RANGE_RESPONSE },
  { wire: 'response_txn', type: 'txn', codec: () => TXN_RESPONSE, nested: true },
]);

export const TXN_REQUEST: Codec<D.TxnRequest, W.WireTxnRequest> = messageCodec('TxnRequest', [
  field(
    'compare',
    'compare',
    T.message(() => COMPARE),
    { repeated: true, txnOpsLimit: true },
  ),
  field(
    'success',
    'success',
    T.message(() => REQUEST_OP),
    { repeated: true, txnOpsLimit: true },
  ),
  field(
    'failure',
    'failure',
    T.message(() => REQUEST_OP),
    { repeated: true, txnOpsLimit: true },
  ),
]);

export const TXN_RESPONSE: Codec<D.TxnResponse, W.WireTxnResponse> = messageCodec('TxnResponse', [
  HEADER,
  field('succeeded', 'succeeded', T.bool),
  field(
    'responses',
    'responses',
    T.message(() => RESPONSE_OP),
    rep,
  ),
]);

export const COMPACTION_REQUEST: Codec<D.CompactionRequest, W.WireCompactionRequest> = messageCodec(
  'CompactionRequest',
  [field('revision', 'revision', REV), field('physical', 'physical', T.bool)],
);

export const COMPACTION_RESPONSE: Codec<D.CompactionResponse, W.WireCompactionResponse> = messageCodec(
  'CompactionResponse',
  [HEADER],
);

// ---- Watch ----------------------------------------------------------------------------------

export const EMPTY_REQUEST: Codec<D.EmptyRequest, W.WireEmpty> = messageCodec('Empty', []);

export const WATCH_CREATE_REQUEST: Codec<D.WatchCreateRequest, W.WireWatchCreateRequest> = messageCodec(
  'WatchCreateRequest',
  [
    field('key', 'key', T.bytes),
    field('range_end', 'rangeEnd', T.bytes),
    field('start_revision', 'startRevision', REV),
    field('progress_notify', 'progressNotify', T.bool),
    field('filters', 'filters', T.enumOf(['NOPUT', 'NODELETE'], ['noPut', 'noDelete']), rep),
    field('prev_kv', 'prevKv', T.bool),
    field('watch_id', 'watchId', T.int(0)),
    field('fragment', 'fragment', T.bool),
  ],
);

export const WATCH_CANCEL_REQUEST: Codec<D.WatchCancelRequest, W.WireWatchCancelRequest> = messageCodec(
  'WatchCancelRequest',
  [field('watch_id', 'watchId', T.int(0))],
);

type WatchRequestMember = { readonly type: 'create' | 'cancel' | 'progress'; readonly request: unknown };

const WATCH_REQUEST_ONEOF: Codec<WatchRequestMember, W.WireWatchRequest> = oneofCodec(
  'WatchRequest',
  'request',
  [
    { wire: 'create_request', type: 'create', codec: () => WATCH_CREATE_REQUEST },
    { wire: 'cancel_request', type: 'cancel', codec: () => WATCH_CANCEL_REQUEST },
    { wire: 'progress_request', type: 'progress', codec: () => EMPTY_REQUEST },
  ],
);

/** The HTTP gateway's /v3/watch request body. */
export const WATCH_REQUEST: Codec<D.WatchRequest, W.WireWatchRequest> = {
  name: 'WatchRequest',
  decodeWire: (value, path, ctx) => WATCH_REQUEST_ONEOF.decodeWire(value, path, ctx),
  fromWire(wire) {
    const m = WATCH_REQUEST_ONEOF.fromWire(wire);
    return m.type === 'progress' ? { type: 'progress' } : (m as D.WatchRequest);
  },
  toWire: (d) => WATCH_REQUEST_ONEOF.toWire(d.type === 'progress' ? { type: 'progress', request: {} } : d),
};

export const EVENT: Codec<D.WatchEvent, W.WireEvent> = messageCodec('Event', [
  field('type', 'type', T.enumOf(['PUT', 'DELETE'], ['put', 'delete'])),
  field(
    'kv',
    'kv',
    T.message(() => KEY_VALUE),
    req,
  ),
  field(
    'prev_kv',
    'prevKv',
    T.message(() => KEY_VALUE),
    opt,
  ),
]);

interface RawWatchResponse {
  readonly header: D.ResponseHeader;
  readonly watchId: number;
  readonly created: boolean;
  readonly canceled: boolean;
  readonly compactRevision: number;
  readonly cancelReason: string;
  readonly fragment: boolean;
  readonly events: readonly D.WatchEvent[];
}

const RAW_WATCH_RESPONSE: Codec<RawWatchResponse, W.WireWatchResponse> = messageCodec('WatchResponse', [
  HEADER,
  field('watch_id', 'watchId', T.int(-1)),
  field('created', 'created', T.bool),
  field('canceled', 'canceled', T.bool),
  field('compact_revision', 'compactRevision', REV),
  field('cancel_reason', 'cancelReason', T.string),
  field('fragment', 'fragment', T.bool),
  field(
    'events',
    'events',
    T.message(() => EVENT),
    rep,
  ),
]);

/**
 * etcd's WatchResponse, classified: canceled, else created, else events (non-empty or a fragment),
 * else a progress notification.
 */
export const WATCH_RESPONSE: Codec<D.WatchResponse, W.WireWatchResponse> = {
  name: 'WatchResponse',
  // Canonical form is the classified one (flags that contradict the kind are dropped).
  decodeWire: (value, path, ctx) =>
    WATCH_RESPONSE.toWire(WATCH_RESPONSE.fromWire(RAW_WATCH_RESPONSE.decodeWire(value, path, ctx))),
  fromWire(wire) {
    const r = RAW_WATCH_RESPONSE.fromWire(wire);
    const { header, watchId } = r;
    if (r.canceled) {
      return {
        type: 'canceled',
        header,
        watchId,
        compactRevision: r.compactRevision,
        cancelReason: r.cancelReason,
      };
    }
    if (r.created) return { type: 'created', header, watchId };
    if (r.events.length > 0 || r.fragment) {
      return { type: 'events', header, watchId, events: r.events, fragment: r.fragment };
    }
    return { type: 'progress', header, watchId };
  },
  toWire(d) {
    const base: RawWatchResponse = {
      header: d.header,
      watchId: d.watchId,
      created: d.type === 'created',
      canceled: d.type === 'canceled',
      compactRevision: d.type === 'canceled' ? d.compactRevision : 0,
      cancelReason: d.type === 'canceled' ? d.cancelReason : '',
      fragment: d.type === 'events' ? d.fragment : false,
      events: d.type === 'events' ? d.events : [],
    };
    return RAW_WATCH_RESPONSE.toWire(base);
  },
};

/** A WatchResponse restricted to some of its kinds (the decoder refuses the others). */
export function watchResponseOf<K extends D.WatchResponse['type']>(
  name: string,
  kinds: readonly K[],
): Codec<Extract<D.WatchResponse, { type: K }>, W.WireWatchResponse> {
  return {
    name,
    decodeWire(value, path, ctx) {
      const wire = WATCH_RESPONSE.decodeWire(value, path, ctx);
      const kind = WATCH_RESPONSE.fromWire(wire).type;
      if (!(kinds as readonly string[]).includes(kind)) {
        throw invalid(path, `a ${kind} watch response is not allowed here (expected ${kinds.join(' or ')})`);
      }
      return wire;
    },
    fromWire: (wire) => WATCH_RESPONSE.fromWire(wire) as Extract<D.WatchResponse, { type: K }>,
    toWire: (d) => WATCH_RESPONSE.toWire(d),
  };
}

// ---- Lease ----------------------------------------------------------------------------------

export const LEASE_GRANT_REQUEST: Codec<D.LeaseGrantRequest, W.WireLeaseGrantRequest> = messageCodec(
  'LeaseGrantRequest',
  [field('TTL', 'ttlSec', T.int(0)), field('ID', 'id', ID)],
);

export const LEASE_GRANT_RESPONSE: Codec<D.LeaseGrantResponse, W.WireLeaseGrantResponse> = messageCodec(
  'LeaseGrantResponse',
  [HEADER, field('ID', 'id', ID), field('TTL', 'ttlSec', T.int(ANY)), field('error', 'error', T.string)],
);

export const LEASE_REVOKE_REQUEST: Codec<D.LeaseRevokeRequest, W.WireLeaseRevokeRequest> = messageCodec(
  'LeaseRevokeRequest',
  [field('ID', 'id', ID)],
);

export const LEASE_REVOKE_RESPONSE: Codec<D.LeaseRevokeResponse, W.WireLeaseRevokeResponse> = messageCodec(
  'LeaseRevokeResponse',
  [HEADER],
);

export const LEASE_KEEP_ALIVE_REQUEST: Codec<D.LeaseKeepAliveRequest, W.WireLeaseKeepAliveRequest> =
  messageCodec('LeaseKeepAliveRequest', [field('ID', 'id', ID)]);

export const LEASE_KEEP_ALIVE_RESPONSE: Codec<D.LeaseKeepAliveResponse, W.WireLeaseKeepAliveResponse> =
  messageCodec('LeaseKeepAliveResponse', [HEADER, field('ID', 'id', ID), field('TTL', 'ttlSec', T.int(ANY))]);

export const LEASE_TIME_TO_LIVE_REQUEST: Codec<D.LeaseTimeToLiveRequest, W.WireLeaseTimeToLiveRequest> =
  messageCodec('LeaseTimeToLiveRequest', [field('ID', 'id', ID), field('keys', 'keys', T.bool)]);

export const LEASE_TIME_TO_LIVE_RESPONSE: Codec<D.LeaseTimeToLiveResponse, W.WireLeaseTimeToLiveResponse> =
  messageCodec('LeaseTimeToLiveResponse', [
    HEADER,
    field('ID', 'id', ID),
    field('TTL', 'ttlSec', T.int(ANY)),
    field('grantedTTL', 'grantedTtlSec', T.int(ANY)),
    field('keys', 'keys', T.bytes, rep),
  ]);

export const LEASE_STATUS: Codec<D.LeaseStatus, W.WireLeaseStatus> = messageCodec('LeaseStatus', [
  field('ID', 'id', ID),
]);

export const LEASE_LEASES_RESPONSE: Codec<D.LeaseLeasesResponse, W.WireLeaseLeasesResponse> = messageCodec(
  'LeaseLeasesResponse',
  [
    HEADER,
    field(
      'leases',
      'leases',
      T.message(() => LEASE_STATUS),
      rep,
    ),
  ],
);

// ---- Cluster and maintenance ----------------------------------------------------------------

export const MEMBER_LIST_REQUEST: Codec<D.MemberListRequest, W.WireMemberListRequest> = messageCodec(
  'MemberListRequest',
  [field('linearizable', 'linearizable', T.bool)],
);

export const MEMBER: Codec<D.Member, W.WireMember> = messageCodec('Member', [
  field('ID', 'id', ID),
  field('name', 'name', T.string),
  field('peerURLs', 'peerUrls', T.string, rep),
  field('clientURLs', 'clientUrls', T.string, rep),
  field('isLearner', 'isLearner', T.bool),
]);

export const MEMBER_LIST_RESPONSE: Codec<D.MemberListResponse, W.WireMemberListResponse> = messageCodec(
  'MemberListResponse',
  [
    HEADER,
    field(
      'members',
      'members',
      T.message(() => MEMBER),
      rep,
    ),
  ],
);

export const STATUS_RESPONSE: Codec<D.StatusResponse, W.WireStatusResponse> = messageCodec('StatusResponse', [
  HEADER,
  field('version', 'version', T.string),
  field('dbSize', 'dbSizeBytes', COUNT),
  field('leader', 'leader', ID),
  field('raftIndex', 'raftIndex', COUNT),
  field('raftTerm', 'raftTerm', COUNT),
  field('raftAppliedIndex', 'raftAppliedIndex', COUNT),
  field('errors', 'errors', T.string, rep),
  field('dbSizeInUse', 'dbSizeInUseBytes', COUNT),
  field('isLearner', 'isLearner', T.bool),
  field('storageVersion', 'storageVersion', T.string),
  field('dbSizeQuota', 'dbSizeQuotaBytes', COUNT),
]);

export const SNAPSHOT_RESPONSE: Codec<D.SnapshotResponse, W.WireSnapshotResponse> = messageCodec(
  'SnapshotResponse',
  [
    HEADER,
    field('remaining_bytes', 'remainingBytes', COUNT),
    field('blob', 'blob', T.bytes),
    field('version', 'version', T.string),
  ],
);

const ALARM_TYPE = T.enumOf(['NONE', 'NOSPACE', 'CORRUPT'], ['none', 'noSpace', 'corrupt']);

export const ALARM_REQUEST: Codec<D.AlarmRequest, W.WireAlarmRequest> = messageCodec('AlarmRequest', [
  field('action', 'action', T.enumOf(['GET', 'ACTIVATE', 'DEACTIVATE'], ['get', 'activate', 'deactivate'])),
  field('memberID', 'memberId', ID),
  field('alarm', 'alarm', ALARM_TYPE),
]);

export const ALARM_MEMBER: Codec<D.AlarmMember, W.WireAlarmMember> = messageCodec('AlarmMember', [
  field('memberID', 'memberId', ID),
  field('alarm', 'alarm', ALARM_TYPE),
]);

export const ALARM_RESPONSE: Codec<D.AlarmResponse, W.WireAlarmResponse> = messageCodec('AlarmResponse', [
  HEADER,
  field(
    'alarms',
    'alarms',
    T.message(() => ALARM_MEMBER),
    rep,
  ),
]);
