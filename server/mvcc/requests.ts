/**
 * Requests and responses of the key-value store, after etcd's v3 API (`etcdserverpb`). Keys and
 * values are bytes; `rangeEnd` follows key-bytes.ts (empty: one key; "\0": every key ≥ key).
 * Optional fields default to zero/false/empty.
 */
import type { KeyValue } from './kv-types.js';

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

export interface RangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  /** At most this many keys (0: no limit). `more` tells whether keys were left out. */
  readonly limit?: number;
  /** Read at this past revision (0: the current one). */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  /** The store's current revision when the read was served (as etcd; inside a txn, the txn's). */
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  /** Whether more keys matched than `limit` let through. */
  readonly more: boolean;
  /** How many keys exist in the range at the read revision (before limit and filters). */
  readonly count: number;
}

export interface PutRequest {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  readonly lease?: number;
  readonly prevKv?: boolean;
  /** Keep the current value (the key must exist; `value` must be empty). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease (the key must exist; `lease` must be 0). */
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

export const CompareTarget = {
  Value: 'value',
  Version: 'version',
  Create: 'create',
  Mod: 'mod',
  Lease: 'lease',
} as const;
export type CompareTarget = (typeof CompareTarget)[keyof typeof CompareTarget];

export const CompareResult = {
  Equal: 'equal',
  NotEqual: 'notEqual',
  Less: 'less',
  Greater: 'greater',
} as const;
export type CompareResult = (typeof CompareResult)[keyof typeof CompareResult];

/**
 * Compares one field of the key (or of every key in `[key, rangeEnd)`) with a value. A missing key
 * compares as zeros, except that a value compare on a missing key is false (as etcd).
 */
export type Compare = {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
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
  readonly revision: number;
  readonly succeeded: boolean;
  readonly responses: readonly ResponseOp[];
}

export interface CompactResponse {
  readonly revision: number;
  readonly compactRevision: number;
}
