/**
 * Txn compares, as etcd's `applyCompare`: the compare holds for a range when it holds for every key
 * in it; a missing key compares as zeros, except that a value compare on a missing key is false.
 */
import { unreachable } from '../assert.js';
import { InvalidArgumentError } from './errors.js';
import { toKeyRange } from './key-bytes.js';
import type { StoredKeyValue as KeyValue } from './kv-types.js';
import { bytesToLatin1, compareLatin1 } from './latin1.js';
import type { Compare, CompareResult } from './requests.js';
import { visitRange, type StoreState } from './store-state.js';

export function validateCompare(c: Compare): void {
  if (c.key.length === 0) throw new InvalidArgumentError('mvcc: compare key is not provided');
  if (c.target !== 'value' && !Number.isSafeInteger(c.value)) {
    throw new InvalidArgumentError(`mvcc: compare ${c.target} needs an integer`);
  }
}

export function evaluateCompare(state: StoreState, c: Compare, rev: number): boolean {
  const kvs: KeyValue[] = [];
  visitRange(state, toKeyRange(c.key, c.rangeEnd), rev, (kv) => {
    kvs.push(kv);
  });
  if (kvs.length === 0) return c.target === 'value' ? false : holds(0 - c.value, c.result);
  // Values are held as latin1 strings: the compared value is converted once, not each stored one.
  const value = c.target === 'value' ? bytesToLatin1(c.value) : '';
  return kvs.every((kv) => compareKv(c, kv, value));
}

function compareKv(c: Compare, kv: KeyValue, value: string): boolean {
  switch (c.target) {
    case 'value':
      return holds(compareLatin1(kv.valueString, value), c.result);
    case 'version':
      return holds(kv.version - c.value, c.result);
    case 'create':
      return holds(kv.createRevision - c.value, c.result);
    case 'mod':
      return holds(kv.modRevision - c.value, c.result);
    case 'lease':
      return holds(kv.lease - c.value, c.result);
    default:
      return unreachable(c);
  }
}

/** Whether `result` holds for `diff`, the kv's field minus the compare's value (its sign is all that counts). */
function holds(diff: number, result: CompareResult): boolean {
  switch (result) {
    case 'equal':
      return diff === 0;
    case 'notEqual':
      return diff !== 0;
    case 'less':
      return diff < 0;
    case 'greater':
      return diff > 0;
    default:
      return unreachable(result);
  }
}
