/**
 * Codecs of etcd's KV messages: fields in proto order (api/etcdserverpb/rpc.proto,
 * api/mvccpb/kv.proto), the domain name of each, and request-level checks that etcd's API layer
 * makes (empty key, value or lease given with ignore_value / ignore_lease). Oneofs (RequestOp,
 * ResponseOp, Compare's target_union) are coded by hand.
 */
import { invalid } from './errors.js';
import {
  field,
  INT_ANY,
  INT_NON_NEGATIVE,
  joinPath,
  messageCodec,
  oneofCodec,
  T,
  type Codec,
} from './schema.js';
import type * as D from './types.js';
import type * as W from './wire.js';

const ANY = INT_ANY;
const REV = INT_NON_NEGATIVE;
const COUNT = INT_NON_NEGATIVE;
const ID = INT_NON_NEGATIVE;

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

/** The `header` field every response message starts with. */
export const HEADER = field(
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
    field('version', 'version', ANY, opt),
    field('create_revision', 'createRevision', ANY, opt),
    field('mod_revision', 'modRevision', ANY, opt),
    field('value', 'value', T.bytes, opt),
    field('lease', 'lease', ANY, opt),
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

function compareFromRaw(raw: RawCompare): D.Compare {
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
}

function compareToRaw(cmp: D.Compare): RawCompare {
  const base = { result: cmp.result, target: cmp.target, key: cmp.key, rangeEnd: cmp.rangeEnd };
  switch (cmp.target) {
    case 'value':
      return { ...base, value: cmp.value };
    case 'version':
      return { ...base, version: cmp.value };
    case 'create':
      return { ...base, createRevision: cmp.value };
    case 'mod':
      return { ...base, modRevision: cmp.value };
    case 'lease':
      return { ...base, lease: cmp.value };
  }
}

export const COMPARE: Codec<D.Compare, W.WireCompare> = {
  name: 'Compare',
  // Canonical form always carries the target's operand, even at its default (oneof presence).
  decodeWire: (value, path, ctx) =>
    COMPARE.toWire(COMPARE.fromWire(RAW_COMPARE.decodeWire(value, path, ctx))),
  fromWire: (wire) => compareFromRaw(RAW_COMPARE.fromWire(wire)),
  toWire: (cmp) => RAW_COMPARE.toWire(compareToRaw(cmp)),
  fromProto: (message, desc, path, ctx) => compareFromRaw(RAW_COMPARE.fromProto(message, desc, path, ctx)),
  toProto: (cmp, desc) => RAW_COMPARE.toProto(compareToRaw(cmp), desc),
};

// ---- Txn (RequestOp / ResponseOp oneofs) ----------------------------------------------------

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
