/**
 * Transactions: compares, then the success or failure branch, applied atomically as one revision.
 *
 * As etcd (`etcdserver/txn/txn.go`), every compare — nested ones included — is evaluated first,
 * against the state before the txn, which fixes the path through the txn. Then the ops on that path
 * are validated (leases exist, ignoreValue keys exist, quota, sizes), and only then applied. Nothing
 * can fail after the first change, so no undo log is needed.
 *
 * A txn that could write one key twice is refused with DUPLICATE_KEY, by etcd's rule
 * (`checkIntervals` below): within one branch, two puts of a key, or a put inside a deleted range,
 * nested txns included. Overlapping deletes are allowed: the second sees the key already gone.
 */
import { unreachable } from '../assert.js';
import { evaluateCompare, validateCompare } from './compare.js';
import { applyDelete, checkDelete } from './delete.js';
import { DuplicateKeyError, InvalidArgumentError } from './errors.js';
import { keyToString, rangeContains, toKeyRange, type KeyRange } from './key-bytes.js';
import { applyPut, checkPut, putCostBytes } from './put.js';
import { checkReadRevision, range, validateRange } from './range.js';
import type { RequestOp, ResponseOp, TxnRequest, TxnResponse } from './requests.js';
import type { LeaseAttacher, StoreState } from './store-state.js';
import type { WriteTxn } from './write-txn.js';

export interface TxnLimits {
  readonly maxTxnOps: number;
  readonly maxRequestBytes: number;
}

/** The branch taken by a txn and, in op order, the paths of the txns nested in that branch. */
export interface TxnPath {
  readonly succeeded: boolean;
  readonly nested: readonly TxnPath[];
}

/** Static checks that need no state: sizes, compares, duplicate writes. */
export function validateTxn(req: TxnRequest, limits: TxnLimits): void {
  for (const [name, list] of [
    ['compare', req.compare],
    ['success', req.success],
    ['failure', req.failure],
  ] as const) {
    if (list.length > limits.maxTxnOps) {
      throw new InvalidArgumentError(
        `mvcc: too many operations in txn ${name} (${list.length} > ${limits.maxTxnOps})`,
      );
    }
  }
  for (const c of req.compare) validateCompare(c);
  for (const branch of [req.success, req.failure]) {
    checkNoDuplicateWrites(branch);
    for (const op of branch) {
      if (op.type === 'txn') validateTxn(op.request, limits);
      else if (op.type === 'range') validateRange(op.request);
      else if (op.type === 'deleteRange') checkDelete(op.request);
    }
  }
}

/** Evaluates every compare on the path against the state at `rev`. */
export function evaluatePath(state: StoreState, req: TxnRequest, rev: number): TxnPath {
  const succeeded = req.compare.every((c) => evaluateCompare(state, c, rev));
  const nested: TxnPath[] = [];
  for (const op of succeeded ? req.success : req.failure) {
    if (op.type === 'txn') nested.push(evaluatePath(state, op.request, rev));
  }
  return { succeeded, nested };
}

/**
 * Validates the ops on `path` against the state before the txn; returns the bytes its puts add
 * against the quota. A range at an explicit revision is checked here (as etcd's checkRequestRange),
 * so that nothing can fail once the first change is made.
 */
export function checkPath(
  state: StoreState,
  req: TxnRequest,
  path: TxnPath,
  leases: LeaseAttacher | undefined,
  limits: TxnLimits,
): number {
  let cost = 0;
  let n = 0;
  for (const op of path.succeeded ? req.success : req.failure) {
    if (op.type === 'put') {
      checkPut(state, op.request, leases, limits.maxRequestBytes);
      cost += putCostBytes(state, op.request);
    } else if (op.type === 'range') {
      const rev = op.request.revision ?? 0;
      if (rev > 0) checkReadRevision(state, rev, state.currentRevision);
    } else if (op.type === 'txn') {
      cost += checkPath(state, op.request, path.nested[n++] as TxnPath, leases, limits);
    }
  }
  return cost;
}

/** Applies the ops on `path` inside `wtxn`. Responses carry the revision the txn is applied at. */
export function applyTxn(wtxn: WriteTxn, state: StoreState, req: TxnRequest, path: TxnPath): TxnResponse {
  const responses: ResponseOp[] = [];
  let n = 0;
  for (const op of path.succeeded ? req.success : req.failure) {
    responses.push(applyOp(wtxn, state, op, () => path.nested[n++] as TxnPath));
  }
  return { revision: wtxn.readRevision, succeeded: path.succeeded, responses };
}

function applyOp(wtxn: WriteTxn, state: StoreState, op: RequestOp, nextPath: () => TxnPath): ResponseOp {
  switch (op.type) {
    case 'range':
      return { type: 'range', response: range(state, op.request, wtxn.readRevision) };
    case 'put':
      return { type: 'put', response: applyPut(wtxn, state, op.request) };
    case 'deleteRange':
      return { type: 'deleteRange', response: applyDelete(wtxn, state, op.request) };
    case 'txn':
      return { type: 'txn', response: applyTxn(wtxn, state, op.request, nextPath()) };
    default:
      return unreachable(op);
  }
}

/** Rewrites every response's revision to `revision` (the txn's final revision). */
export function withRevision(resp: TxnResponse, revision: number): TxnResponse {
  return {
    revision,
    succeeded: resp.succeeded,
    responses: resp.responses.map((r): ResponseOp => {
      switch (r.type) {
        case 'range':
          return { type: 'range', response: { ...r.response, revision } };
        case 'put':
          return { type: 'put', response: { ...r.response, revision } };
        case 'deleteRange':
          return { type: 'deleteRange', response: { ...r.response, revision } };
        case 'txn':
          return { type: 'txn', response: withRevision(r.response, revision) };
        default:
          return unreachable(r);
      }
    }),
  };
}

interface WriteSet {
  readonly puts: Set<string>;
  readonly dels: KeyRange[];
}

function checkNoDuplicateWrites(branch: readonly RequestOp[]): void {
  checkIntervals(branch);
}

/**
 * etcd's `checkIntervals`: the keys one branch puts and the ranges it deletes, nested txns
 * included, refusing a key put twice or put inside a deleted range. This level's deletes are
 * collected first, so a nested put inside them is refused wherever the delete sits. The two
 * branches of a nested txn exclude each other: a key put in both is fine, and one branch's
 * deletes are not held against the other's puts.
 */
function checkIntervals(branch: readonly RequestOp[]): WriteSet {
  const dels: KeyRange[] = [];
  for (const op of branch)
    if (op.type === 'deleteRange') dels.push(toKeyRange(op.request.key, op.request.rangeEnd));
  const puts = new Set<string>();
  const deleted = (key: string): boolean => dels.some((d) => rangeContains(d, key));
  for (const op of branch) {
    if (op.type !== 'txn') continue;
    const then = checkIntervals(op.request.success);
    const otherwise = checkIntervals(op.request.failure);
    for (const key of then.puts) {
      if (puts.has(key) || deleted(key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    for (const key of otherwise.puts) {
      if ((puts.has(key) && !then.puts.has(key)) || deleted(key)) throw new DuplicateKeyError();
      puts.add(key);
    }
    dels.push(...then.dels, ...otherwise.dels);
  }
  for (const op of branch) {
    if (op.type !== 'put') continue;
    const key = keyToString(op.request.key);
    if (puts.has(key) || deleted(key)) throw new DuplicateKeyError();
    puts.add(key);
  }
  return { puts, dels };
}
