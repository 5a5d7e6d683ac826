/**
 * The KV requests the server-side lock and election (etcd's v3lock and v3election services) are
 * made of, with every field present as the backend expects. Keys are etcd's: `<name>/<lease in hex>`.
 */
import {
  CompareResult,
  prefixEnd,
  SortOrder,
  SortTarget,
  type Compare,
  type DeleteRangeRequest,
  type PutRequest,
  type RangeRequest,
} from '../../../client/protocol/index.js';

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** The prefix every contender of `name` writes under: `name/`. */
export function contenderPrefix(name: Uint8Array): Uint8Array {
  const out = new Uint8Array(name.length + 1);
  out.set(name, 0);
  out[name.length] = 0x2f; // '/'
  return out;
}

/** A contender's key: the prefix and the lease id in lower-case hex, as clientv3's concurrency writes it. */
export function contenderKey(name: Uint8Array, lease: number): Uint8Array {
  const prefix = contenderPrefix(name);
  const id = encoder.encode(lease.toString(16));
  const out = new Uint8Array(prefix.length + id.length);
  out.set(prefix, 0);
  out.set(id, prefix.length);
  return out;
}

function range(key: Uint8Array, overrides: Partial<RangeRequest>): RangeRequest {
  return {
    key,
    rangeEnd: EMPTY,
    limit: 0,
    revision: 0,
    sortOrder: SortOrder.None,
    sortTarget: SortTarget.Key,
    serializable: false,
    keysOnly: false,
    countOnly: false,
    minModRevision: 0,
    maxModRevision: 0,
    minCreateRevision: 0,
    maxCreateRevision: 0,
    ...overrides,
  };
}

/** One key. */
export function getKey(key: Uint8Array): RangeRequest {
  return range(key, {});
}

/** The oldest contender under `prefix` (the holder, or the leader). */
export function firstCreated(prefix: Uint8Array): RangeRequest {
  return range(prefix, {
    rangeEnd: prefixEnd(prefix),
    limit: 1,
    sortOrder: SortOrder.Ascend,
    sortTarget: SortTarget.Create,
  });
}

/** The youngest contender under `prefix` created at or before `maxCreateRevision`. */
export function lastCreatedUpTo(prefix: Uint8Array, maxCreateRevision: number): RangeRequest {
  return range(prefix, {
    rangeEnd: prefixEnd(prefix),
    limit: 1,
    sortOrder: SortOrder.Descend,
    sortTarget: SortTarget.Create,
    maxCreateRevision,
  });
}

export function putKey(key: Uint8Array, value: Uint8Array, lease: number): PutRequest {
  return { key, value, lease, prevKv: false, ignoreValue: false, ignoreLease: false };
}

export function deleteKey(key: Uint8Array): DeleteRangeRequest {
  return { key, rangeEnd: EMPTY, prevKv: false };
}

/** The guard "`key` was created at `revision`" (0: "`key` does not exist"). */
export function createdAt(key: Uint8Array, revision: number): Compare {
  return { key, rangeEnd: EMPTY, result: CompareResult.Equal, target: 'create', value: revision };
}
