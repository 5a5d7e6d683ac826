/**
 * What each request needs of the caller's permissions (etcd's rules), as a list the auth gate
 * checks against the auth store. Pure functions of the request.
 *
 * - range: read on [key, rangeEnd) — the whole range, so a range over a granted prefix's boundary
 *   is refused;
 * - put: write on the key, plus read with prev_kv (the old value comes back);
 * - deleteRange: write on the range, plus read with prev_kv;
 * - txn: read on every compare's key or range, and what each operation of **both** branches needs,
 *   nested txns included (whichever branch runs, the caller was allowed to run it);
 * - watch: read on the watched range, checked at creation;
 * - lease revoke / keep-alive: write on every key attached to the lease (the caller's keys go away
 *   or stay alive);
 * - lease timeToLive with `keys`: read on every key attached to the lease (the answer names them;
 *   etcd's checkLeaseTimeToLive); without `keys`, a valid token only;
 * - lease list: read on every key attached to every lease, or PERMISSION_DENIED (etcd's
 *   checkLeaseLeases: which leases exist tells who holds what);
 * - member, maintenance (snapshot, alarms), compaction and auth management: the root role.
 */
import type * as P from '../../client/protocol/index.js';

export type Need =
  | {
      readonly kind: 'key';
      readonly need: 'read' | 'write';
      readonly key: Uint8Array;
      readonly rangeEnd: Uint8Array | undefined;
    }
  | { readonly kind: 'root' };

export const ROOT_NEED: readonly Need[] = [{ kind: 'root' }];

const read = (key: Uint8Array, rangeEnd?: Uint8Array): Need => ({ kind: 'key', need: 'read', key, rangeEnd });
const write = (key: Uint8Array, rangeEnd?: Uint8Array): Need => ({
  kind: 'key',
  need: 'write',
  key,
  rangeEnd,
});

export function rangeNeeds(req: P.RangeRequest): Need[] {
  return [read(req.key, req.rangeEnd)];
}

export function putNeeds(req: P.PutRequest): Need[] {
  return req.prevKv ? [write(req.key), read(req.key)] : [write(req.key)];
}

export function deleteRangeNeeds(req: P.DeleteRangeRequest): Need[] {
  const w = write(req.key, req.rangeEnd);
  return req.prevKv ? [w, read(req.key, req.rangeEnd)] : [w];
}

export function txnNeeds(req: P.TxnRequest): Need[] {
  const needs: Need[] = req.compare.map((c) => read(c.key, c.rangeEnd));
  for (const op of [...req.success, ...req.failure]) needs.push(...opNeeds(op));
  return needs;
}

function opNeeds(op: P.RequestOp): Need[] {
  switch (op.type) {
    case 'range':
      return rangeNeeds(op.request);
    case 'put':
      return putNeeds(op.request);
    case 'deleteRange':
      return deleteRangeNeeds(op.request);
    case 'txn':
      return txnNeeds(op.request);
  }
}

export function watchNeeds(req: P.WatchCreateRequest): Need[] {
  return [read(req.key, req.rangeEnd)];
}

/** Write on each key attached to a lease (`keys`: binary strings as the lessor holds them). */
export function leaseNeeds(keys: readonly Uint8Array[]): Need[] {
  return keys.map((k) => write(k));
}

/** Read on each key attached to a lease or leases: what an answer naming those keys needs. */
export function leaseKeysReadNeeds(keys: Iterable<Uint8Array>): Need[] {
  return Array.from(keys, (k) => read(k));
}
