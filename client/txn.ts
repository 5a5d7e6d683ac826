/**
 * The typed transaction builder:
 *
 *   const r = await client.txn()
 *     .if(Cmp.missing('config/owner'))
 *     .then(Op.put('config/owner', 'me'), Op.get('config/owner'))
 *     .else(Op.get('config/owner'))
 *     .commit();
 *   if (r.succeeded) r.results[1]; // KeyValue | undefined — typed by position
 *   else r.results[0];             // KeyValue | undefined
 *
 * Compares are ANDed and evaluated at one revision; the branch's ops run atomically and share one
 * revision. A txn is a write: it is never resent after it may have applied (IndeterminateError).
 */
import type {
  Compare,
  CompareResult,
  RequestOp,
  ResponseHeader,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from './protocol/index.js';
import { ClientError, InvalidArgumentError } from './errors.js';
import {
  deleteRequest,
  deleteResult,
  prefixRange,
  putRequest,
  putResult,
  rangeRequest,
  rangeResult,
  type Abortable,
  type DeleteOptions,
  type DeleteResult,
  type PutOptions,
  type PutResult,
  type RangeOptions,
  type RangeResult,
} from './kv.js';
import type { KeyValue } from './protocol/index.js';
import type { KeySpace } from './namespace.js';
import { toBytes, type Bytes } from './util.js';

export type CompareOperator = '==' | '!=' | '>' | '<';

const RESULTS: { readonly [K in CompareOperator]: CompareResult } = {
  '==': 'equal',
  '!=': 'notEqual',
  '>': 'greater',
  '<': 'less',
};

/** A txn guard, built by `Cmp.*`. */
export interface TxnCompare {
  /** @internal */
  readonly build: (space: KeySpace) => Compare;
}

/** An op of a txn branch whose result has type R, built by `Op.*`. */
export interface TxnOp<R> {
  /** @internal */
  readonly build: (space: KeySpace) => RequestOp;
  /** @internal */
  readonly result: (space: KeySpace, response: ResponseOp) => R;
}

function operator(op: CompareOperator): CompareResult {
  const result = RESULTS[op];
  if (result === undefined)
    throw new InvalidArgumentError(`unknown compare operator ${String(op)}`, {
      details: { field: 'compare' },
    });
  return result;
}

function numeric(
  target: 'version' | 'create' | 'mod' | 'lease',
  key: Bytes,
  op: CompareOperator,
  value: number,
): TxnCompare {
  const result = operator(op);
  if (!Number.isSafeInteger(value))
    throw new InvalidArgumentError(`compare ${target} needs an integer`, { details: { field: 'compare' } });
  return {
    build: (space) => ({ key: space.key(toBytes(key)), rangeEnd: new Uint8Array(), result, target, value }),
  };
}

export const Cmp = {
  /** The key's value compared with `value` (false for a missing key). */
  value(key: Bytes, op: CompareOperator, value: Bytes): TxnCompare {
    const result = operator(op);
    const bytes = toBytes(value);
    return {
      build: (space) => ({
        key: space.key(toBytes(key)),
        rangeEnd: new Uint8Array(),
        result,
        target: 'value',
        value: bytes,
      }),
    };
  },
  /** Puts since creation (0: missing). */
  version: (key: Bytes, op: CompareOperator, version: number): TxnCompare =>
    numeric('version', key, op, version),
  /** Revision that created the key (0: missing). */
  createRevision: (key: Bytes, op: CompareOperator, revision: number): TxnCompare =>
    numeric('create', key, op, revision),
  /** Revision of the last modification (0: missing). */
  modRevision: (key: Bytes, op: CompareOperator, revision: number): TxnCompare =>
    numeric('mod', key, op, revision),
  /** The key's lease (0: none or missing). */
  lease: (key: Bytes, op: CompareOperator, leaseId: number): TxnCompare => numeric('lease', key, op, leaseId),
  /** The key exists. */
  exists: (key: Bytes): TxnCompare => numeric('create', key, '>', 0),
  /** The key does not exist. */
  missing: (key: Bytes): TxnCompare => numeric('create', key, '==', 0),
} as const;

function expect<T extends ResponseOp['type']>(
  response: ResponseOp,
  type: T,
): Extract<ResponseOp, { type: T }> {
  if (response.type !== type)
    throw new ClientError('INTERNAL', `txn response ${response.type} where ${type} was expected`);
  return response as Extract<ResponseOp, { type: T }>;
}

export const Op = {
  /** The key's KeyValue, or undefined. */
  get(key: Bytes, options: Omit<RangeOptions, 'signal'> = {}): TxnOp<KeyValue | undefined> {
    return {
      build: (space) => ({ type: 'range', request: rangeRequest(space, key, new Uint8Array(), options) }),
      result: (space, r) => rangeResult(space, expect(r, 'range').response).kvs[0],
    };
  },
  /** Keys in [key, rangeEnd). */
  range(key: Bytes, rangeEnd: Bytes, options: Omit<RangeOptions, 'signal'> = {}): TxnOp<RangeResult> {
    return {
      build: (space) => ({ type: 'range', request: rangeRequest(space, key, rangeEnd, options) }),
      result: (space, r) => rangeResult(space, expect(r, 'range').response),
    };
  },
  /** Keys starting with `prefix`. */
  prefix(prefix: Bytes, options: Omit<RangeOptions, 'signal'> = {}): TxnOp<RangeResult> {
    const { key, rangeEnd } = prefixRange(prefix);
    return Op.range(key, rangeEnd, options);
  },
  put(key: Bytes, value: Bytes, options: Omit<PutOptions, 'signal'> = {}): TxnOp<PutResult> {
    return {
      build: (space) => ({ type: 'put', request: putRequest(space, key, value, options) }),
      result: (space, r) => putResult(space, expect(r, 'put').response),
    };
  },
  delete(key: Bytes, options: Omit<DeleteOptions, 'signal'> = {}): TxnOp<DeleteResult> {
    return {
      build: (space) => ({
        type: 'deleteRange',
        request: deleteRequest(space, key, new Uint8Array(), options),
      }),
      result: (space, r) => deleteResult(space, expect(r, 'deleteRange').response),
    };
  },
  deletePrefix(prefix: Bytes, options: Omit<DeleteOptions, 'signal'> = {}): TxnOp<DeleteResult> {
    const { key, rangeEnd } = prefixRange(prefix);
    return {
      build: (space) => ({ type: 'deleteRange', request: deleteRequest(space, key, rangeEnd, options) }),
      result: (space, r) => deleteResult(space, expect(r, 'deleteRange').response),
    };
  },
} as const;

type AnyOps = readonly TxnOp<unknown>[];

/** The results of a branch, position by position. */
export type TxnResults<T extends AnyOps> = {
  -readonly [K in keyof T]: T[K] extends TxnOp<infer R> ? R : never;
};

export type TxnResult<T extends AnyOps, E extends AnyOps> =
  | {
      readonly succeeded: true;
      readonly header: ResponseHeader;
      readonly revision: number;
      readonly results: TxnResults<T>;
    }
  | {
      readonly succeeded: false;
      readonly header: ResponseHeader;
      readonly revision: number;
      readonly results: TxnResults<E>;
    };

export type TxnExecutor = (request: TxnRequest, options: Abortable) => Promise<TxnResponse>;

export class TxnBuilder<T extends AnyOps = [], E extends AnyOps = []> {
  constructor(
    private readonly space: KeySpace,
    private readonly execute: TxnExecutor,
    private readonly compares: readonly TxnCompare[] = [],
    private readonly success: T = [] as unknown as T,
    private readonly failure: E = [] as unknown as E,
  ) {}

  /** Guards, ANDed (calling `if` again adds more). */
  if(...compares: TxnCompare[]): TxnBuilder<T, E> {
    return new TxnBuilder(
      this.space,
      this.execute,
      [...this.compares, ...compares],
      this.success,
      this.failure,
    );
  }

  /** Ops run when every guard holds. */
  then<N extends AnyOps>(...ops: N): TxnBuilder<N, E> {
    return new TxnBuilder(this.space, this.execute, this.compares, ops, this.failure);
  }

  /** Ops run otherwise. */
  else<N extends AnyOps>(...ops: N): TxnBuilder<T, N> {
    return new TxnBuilder(this.space, this.execute, this.compares, this.success, ops);
  }

  /** The protocol request this builder describes. */
  request(): TxnRequest {
    return {
      compare: this.compares.map((c) => c.build(this.space)),
      success: this.success.map((o) => o.build(this.space)),
      failure: this.failure.map((o) => o.build(this.space)),
    };
  }

  async commit(options: Abortable = {}): Promise<TxnResult<T, E>> {
    const response = await this.execute(this.request(), options);
    const ops: AnyOps = response.succeeded ? this.success : this.failure;
    if (response.responses.length !== ops.length) {
      throw new ClientError(
        'INTERNAL',
        `txn answered ${response.responses.length} results for ${ops.length} ops`,
      );
    }
    const results = ops.map((op, i) => op.result(this.space, response.responses[i] as ResponseOp));
    const base = { header: response.header, revision: response.header.revision };
    return (
      response.succeeded ? { ...base, succeeded: true, results } : { ...base, succeeded: false, results }
    ) as TxnResult<T, E>;
  }
}
