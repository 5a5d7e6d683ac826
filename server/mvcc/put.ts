/**
 * Put: validation (before any change, so a txn stays atomic) and the change itself. Semantics as
 * etcd: the version counts puts since creation; `ignoreValue` / `ignoreLease` keep the current
 * value / lease and need the key to exist; a non-zero lease must exist.
 */
import {
  InvalidArgumentError,
  KeyNotFoundError,
  LeaseNotFoundError,
  RequestTooLargeError,
} from './errors.js';
import { keyToString } from './key-bytes.js';
import { bytesToLatin1 } from './latin1.js';
import { RECORD_OVERHEAD_BYTES } from './kv-types.js';
import type { PutRequest, PutResponse } from './requests.js';
import { latestOf, type LeaseAttacher, type StoreState } from './store-state.js';
import type { WriteTxn } from './write-txn.js';

export function checkPut(
  state: StoreState,
  req: PutRequest,
  leases: LeaseAttacher | undefined,
  maxRequestBytes: number,
): void {
  if (req.key.length === 0) throw new InvalidArgumentError('mvcc: key is not provided');
  const size = req.key.length + req.value.length;
  if (size > maxRequestBytes) throw new RequestTooLargeError(size, maxRequestBytes);
  const lease = req.lease ?? 0;
  if (!Number.isSafeInteger(lease) || lease < 0)
    throw new InvalidArgumentError('mvcc: lease must be a non-negative integer');
  if (req.ignoreValue === true && req.value.length > 0)
    throw new InvalidArgumentError('mvcc: value is provided with ignoreValue');
  if (req.ignoreLease === true && lease !== 0)
    throw new InvalidArgumentError('mvcc: lease is provided with ignoreLease');
  if (lease !== 0 && leases?.hasLease(lease) !== true) throw new LeaseNotFoundError(lease);
  if (
    (req.ignoreValue === true || req.ignoreLease === true) &&
    latestOf(state, keyToString(req.key)) === undefined
  ) {
    throw new KeyNotFoundError();
  }
}

/** What the put adds against the quota (an upper bound when ignoreValue keeps the old value). */
export function putCostBytes(state: StoreState, req: PutRequest): number {
  let valueBytes = req.value.length;
  if (req.ignoreValue === true) valueBytes = latestOf(state, keyToString(req.key))?.valueString.length ?? 0;
  return req.key.length + valueBytes + RECORD_OVERHEAD_BYTES;
}

/** Performs a checked put inside `txn`. */
export function applyPut(txn: WriteTxn, state: StoreState, req: PutRequest): PutResponse {
  const key = keyToString(req.key);
  const current = latestOf(state, key);
  // The one copy of the value: out of the request (a view of the Raft entry) into the heap.
  const value =
    req.ignoreValue === true && current !== undefined ? current.valueString : bytesToLatin1(req.value);
  const lease = req.ignoreLease === true && current !== undefined ? current.lease : (req.lease ?? 0);
  const prev = txn.put(key, value, lease);
  return req.prevKv === true && prev !== undefined
    ? { revision: txn.revision, prevKv: prev }
    : { revision: txn.revision };
}
