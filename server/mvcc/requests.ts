/**
 * Requests and responses of the key-value store, after etcd's v3 API (`etcdserverpb`). Keys and
 * values are bytes; `rangeEnd` follows key-bytes.ts (empty: one key; "\0": every key ≥ key).
 * Optional fields default to zero/false/empty.
 */
import type * as P from '../../client/protocol/types.js';
import type { KeyValue } from './kv-types.js';

// The requests are the client protocol's (client/protocol/types.ts, itself etcd's messages), with the
// fields that have a default made optional for callers inside the server: one description of each
// message, not a copy. `serializable` is the front door's business, not the store's.
export { CompareResult, CompareTarget, SortOrder, SortTarget } from '../../client/protocol/types.js';

/** `R` with only the fields named in `Needed` required, the others taking their proto3 defaults. */
type WithDefaults<R, Needed extends keyof R> = Pick<R, Needed> & Partial<Omit<R, Needed>>;

/** Reads `[key, rangeEnd)`; `limit` 0 is no limit, `revision` 0 the current one (`more` tells what `limit` left out). */
export type RangeRequest = WithDefaults<Omit<P.RangeRequest, 'serializable'>, 'key'>;

export interface RangeResponse {
  /** The store's current revision when the read was served (as etcd; inside a txn, the txn's). */
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  /** Whether more keys matched than `limit` let through. */
  readonly more: boolean;
  /** How many keys exist in the range at the read revision (before limit and filters). */
  readonly count: number;
}

/** `ignoreValue` keeps the current value (`value` must be empty), `ignoreLease` the lease (`lease` 0). */
export type PutRequest = WithDefaults<P.PutRequest, 'key' | 'value'>;

export interface PutResponse {
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

export type DeleteRangeRequest = WithDefaults<P.DeleteRangeRequest, 'key'>;

export interface DeleteRangeResponse {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

/**
 * Compares one field of the key (or of every key in `[key, rangeEnd)`) with a value. A missing key
 * compares as zeros, except that a value compare on a missing key is false (as etcd).
 */
export type Compare = P.Compare extends infer C
  ? C extends P.Compare
    ? Omit<C, 'rangeEnd'> & { readonly rangeEnd?: Uint8Array }
    : never
  : never;

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
