/**
 * Key-value requests and results: building protocol requests from friendly arguments (strings or
 * bytes, options objects) inside a key space, and mapping responses back (keys stripped of the
 * namespace). Used by the client views and by the txn builder, so a txn op and a direct call build
 * exactly the same request.
 */
import {
  withDefaults,
  codecs,
  type DeleteRangeRequest,
  type DeleteRangeResponse,
  type KeyValue,
  type PutRequest,
  type PutResponse,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  type SortOrder,
  type SortTarget,
} from './protocol/index.js';
import { InvalidArgumentError } from './errors.js';
import type { KeySpace } from './namespace.js';
import { prefixEnd } from './namespace.js';
import { textDecoder, toBytes, type Bytes } from './util.js';

export interface Abortable {
  /** Aborts the call: it rejects with `signal.reason`. */
  readonly signal?: AbortSignal | undefined;
}

export interface GetOptions extends Abortable {
  /** Read at this revision (0: current). */
  readonly revision?: number;
  /** Serve from the member's local state, skipping the linearizable ReadIndex round (may be stale). */
  readonly serializable?: boolean;
}

export interface RangeOptions extends GetOptions {
  /** At most this many keys (0: no limit); `more` says whether keys were left out. */
  readonly limit?: number;
  readonly sortTarget?: SortTarget;
  readonly sortOrder?: SortOrder;
  readonly keysOnly?: boolean;
  /** Only `count`; `kvs` is empty. */
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface PutOptions extends Abortable {
  /** Attach the key to this lease (0/absent: none). */
  readonly lease?: number;
  /** Return the previous key-value. */
  readonly prevKv?: boolean;
  /** Keep the current value (value must be empty). */
  readonly ignoreValue?: boolean;
  /** Keep the current lease. */
  readonly ignoreLease?: boolean;
}

export interface DeleteOptions extends Abortable {
  readonly prevKv?: boolean;
}

export interface RangeResult {
  readonly header: ResponseHeader;
  /** The revision the range was read at. */
  readonly revision: number;
  readonly kvs: readonly KeyValue[];
  /** Keys in the range (before limit). */
  readonly count: number;
  /** Keys were left out by `limit`. */
  readonly more: boolean;
}

export interface PutResult {
  readonly header: ResponseHeader;
  /** The revision of this write. */
  readonly revision: number;
  readonly prevKv: KeyValue | undefined;
}

export interface DeleteResult {
  readonly header: ResponseHeader;
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs: readonly KeyValue[];
}

function nonNegativeInt(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${String(value)}`, {
      details: { field: name },
    });
  }
  return value;
}

function nonEmptyKey(key: Bytes): Uint8Array {
  const bytes = toBytes(key);
  if (bytes.length === 0)
    throw new InvalidArgumentError('key must not be empty', { details: { field: 'key' } });
  return bytes;
}

export function rangeRequest(
  space: KeySpace,
  key: Bytes,
  rangeEnd: Bytes,
  options: RangeOptions = {},
): RangeRequest {
  const range = space.range(nonEmptyKey(key), toBytes(rangeEnd));
  return withDefaults(codecs.RANGE_REQUEST, {
    ...range,
    limit: nonNegativeInt('limit', options.limit),
    revision: nonNegativeInt('revision', options.revision),
    sortOrder: options.sortOrder ?? 'none',
    sortTarget: options.sortTarget ?? 'key',
    serializable: options.serializable ?? false,
    keysOnly: options.keysOnly ?? false,
    countOnly: options.countOnly ?? false,
    minModRevision: nonNegativeInt('minModRevision', options.minModRevision),
    maxModRevision: nonNegativeInt('maxModRevision', options.maxModRevision),
    minCreateRevision: nonNegativeInt('minCreateRevision', options.minCreateRevision),
    maxCreateRevision: nonNegativeInt('maxCreateRevision', options.maxCreateRevision),
  });
}

/** The range end that selects every key starting with `prefix` (all keys for an empty prefix). */
export function prefixRange(prefix: Bytes): { key: Uint8Array; rangeEnd: Uint8Array } {
  const bytes = toBytes(prefix);
  if (bytes.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  return { key: bytes, rangeEnd: prefixEnd(bytes) };
}

/** Inside a namespace, an empty prefix means the whole namespace. */
export function spacePrefixRange(space: KeySpace, prefix: Bytes): { key: Uint8Array; rangeEnd: Uint8Array } {
  const bytes = toBytes(prefix);
  if (bytes.length === 0 && !space.isRoot) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  return prefixRange(bytes);
}

export function putRequest(space: KeySpace, key: Bytes, value: Bytes, options: PutOptions = {}): PutRequest {
  return withDefaults(codecs.PUT_REQUEST, {
    key: space.key(nonEmptyKey(key)),
    value: toBytes(value),
    lease: nonNegativeInt('lease', options.lease),
    prevKv: options.prevKv ?? false,
    ignoreValue: options.ignoreValue ?? false,
    ignoreLease: options.ignoreLease ?? false,
  });
}

export function deleteRequest(
  space: KeySpace,
  key: Bytes,
  rangeEnd: Bytes,
  options: DeleteOptions = {},
): DeleteRangeRequest {
  return { ...space.range(nonEmptyKey(key), toBytes(rangeEnd)), prevKv: options.prevKv ?? false };
}

export function rangeResult(space: KeySpace, r: RangeResponse): RangeResult {
  return {
    header: r.header,
    revision: r.header.revision,
    kvs: r.kvs.map((kv) => space.kv(kv)),
    count: r.count,
    more: r.more,
  };
}

export function putResult(space: KeySpace, r: PutResponse): PutResult {
  return {
    header: r.header,
    revision: r.header.revision,
    prevKv: r.prevKv === undefined ? undefined : space.kv(r.prevKv),
  };
}

export function deleteResult(space: KeySpace, r: DeleteRangeResponse): DeleteResult {
  return {
    header: r.header,
    revision: r.header.revision,
    deleted: r.deleted,
    prevKvs: r.prevKvs.map((kv) => space.kv(kv)),
  };
}

/** UTF-8 text of a key or value. */
export function asText(bytes: Uint8Array): string {
  return textDecoder.decode(bytes);
}

/** A value parsed as JSON (throws SyntaxError if it is not JSON). */
export function asJson(bytes: Uint8Array): unknown {
  return JSON.parse(asText(bytes)) as unknown;
}
