/**
 * Range reads with etcd's options: limit, sort, keysOnly, countOnly, the min/max mod/create
 * revision filters, and reads at a past revision. As etcd (`etcdserver/txn/range.go`): `count` is
 * the number of keys in the range at the read revision before filters and limit; sorting by a
 * target other than the key with order "none" sorts ascending; ties keep key order.
 */
import { CompactedError, FutureRevisionError, InvalidArgumentError } from './errors.js';
import { toKeyRange } from './key-bytes.js';
import { compareLatin1 } from './latin1.js';
import { unreachable } from '../assert.js';
import type { StoredKeyValue as KeyValue } from './kv-types.js';
import type { RangeRequest, RangeResponse, SortTarget } from './requests.js';
import { visitRange, type StoreState } from './store-state.js';

/** Checks that `rev` can be read when the newest readable revision is `readRevision`. */
export function checkReadRevision(state: StoreState, rev: number, readRevision: number): void {
  if (rev > readRevision) throw new FutureRevisionError(rev, readRevision);
  if (rev < state.compactRevision) throw new CompactedError(state.compactRevision);
}

export function validateRange(req: RangeRequest): void {
  if (req.key.length === 0) throw new InvalidArgumentError('mvcc: key is not provided');
  for (const [name, n] of [
    ['limit', req.limit],
    ['revision', req.revision],
    ['minModRevision', req.minModRevision],
    ['maxModRevision', req.maxModRevision],
    ['minCreateRevision', req.minCreateRevision],
    ['maxCreateRevision', req.maxCreateRevision],
  ] as const) {
    if (n !== undefined && !(Number.isSafeInteger(n) && n >= 0)) {
      throw new InvalidArgumentError(`mvcc: ${name} must be a non-negative integer`);
    }
  }
}

/** Serves `req` at `readRevision` (the current revision, or a write txn's own pending one). */
export function range(state: StoreState, req: RangeRequest, readRevision: number): RangeResponse {
  validateRange(req);
  const rev = req.revision !== undefined && req.revision > 0 ? req.revision : readRevision;
  checkReadRevision(state, rev, readRevision);
  const minMod = req.minModRevision ?? 0;
  const maxMod = req.maxModRevision ?? 0;
  const minCreate = req.minCreateRevision ?? 0;
  const maxCreate = req.maxCreateRevision ?? 0;
  const limit = req.limit ?? 0;
  const target: SortTarget = req.sortTarget ?? 'key';
  let order = req.sortOrder ?? 'none';
  if (target !== 'key' && order === 'none') order = 'ascend';
  if (target === 'key' && order === 'ascend') order = 'none';
  const filtered = minMod !== 0 || maxMod !== 0 || minCreate !== 0 || maxCreate !== 0;
  // Without sorting or filters the scan may stop collecting after limit + 1 keys (it still counts).
  const collectCap = limit > 0 && order === 'none' && !filtered ? limit + 1 : Infinity;

  let count = 0;
  let kvs: KeyValue[] = [];
  visitRange(state, toKeyRange(req.key, req.rangeEnd), rev, (kv) => {
    count++;
    if (req.countOnly === true || kvs.length >= collectCap) return;
    if (minMod !== 0 && kv.modRevision < minMod) return;
    if (maxMod !== 0 && kv.modRevision > maxMod) return;
    if (minCreate !== 0 && kv.createRevision < minCreate) return;
    if (maxCreate !== 0 && kv.createRevision > maxCreate) return;
    kvs.push(kv);
  });
  if (order !== 'none') sortKvs(kvs, target, order === 'descend');
  let more = false;
  if (limit > 0 && kvs.length > limit) {
    kvs = kvs.slice(0, limit);
    more = true;
  }
  if (req.keysOnly === true) kvs = kvs.map((kv) => kv.withoutValue());
  return { revision: readRevision, kvs, more, count };
}

function sortKvs(kvs: KeyValue[], target: SortTarget, descending: boolean): void {
  const sign = descending ? -1 : 1;
  const byField = (f: (kv: KeyValue) => number) => (a: KeyValue, b: KeyValue) => sign * (f(a) - f(b));
  switch (target) {
    case 'key':
      if (descending) kvs.reverse();
      return;
    case 'version':
      kvs.sort(byField((kv) => kv.version));
      return;
    case 'create':
      kvs.sort(byField((kv) => kv.createRevision));
      return;
    case 'mod':
      kvs.sort(byField((kv) => kv.modRevision));
      return;
    case 'value':
      // Latin1 strings compare by code unit, i.e. bytewise (latin1.ts).
      kvs.sort((a, b) => sign * compareLatin1(a.valueString, b.valueString));
      return;
    default:
      unreachable(target);
  }
}
