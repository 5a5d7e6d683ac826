/**
 * Delete range: tombstones every key of the range that is live, in key order, within the caller's
 * write transaction (so a txn's deletes share one revision).
 */
import { InvalidArgumentError } from './errors.js';
import { toKeyRange } from './key-bytes.js';
import type { KeyValue } from './kv-types.js';
import type { DeleteRangeRequest, DeleteRangeResponse } from './requests.js';
import { visitRange, type StoreState } from './store-state.js';
import type { WriteTxn } from './write-txn.js';

export function checkDelete(req: DeleteRangeRequest): void {
  if (req.key.length === 0) throw new InvalidArgumentError('mvcc: key is not provided');
}

export function applyDelete(txn: WriteTxn, state: StoreState, req: DeleteRangeRequest): DeleteRangeResponse {
  const keys: string[] = [];
  visitRange(state, toKeyRange(req.key, req.rangeEnd), txn.readRevision, (_kv, key) => {
    keys.push(key);
  });
  const prevKvs: KeyValue[] = [];
  for (const key of keys) {
    const prev = txn.delete(key);
    if (prev !== undefined && req.prevKv === true) prevKvs.push(prev);
  }
  return { revision: txn.readRevision, deleted: keys.length, prevKvs };
}

/** Deletes the given keys (binary strings) in one transaction, as a lease revoke does. */
export function deleteKeys(txn: WriteTxn, keys: readonly string[]): number {
  let deleted = 0;
  for (const key of [...keys].sort()) if (txn.delete(key) !== undefined) deleted++;
  return deleted;
}
