/**
 * The range a verb addresses, from etcdctl's operands and flags: KEY alone (one key), KEY
 * RANGE_END, `--prefix` or `--from-key`. Shared by get/del/watch and the ops of `txn`.
 */
import { UsageError } from './exit-codes.js';

export interface KeyRange {
  readonly key: Uint8Array;
  /** undefined: the single key. */
  readonly rangeEnd: Uint8Array | undefined;
}

const enc = new TextEncoder();

export function keyRangeOf(
  key: string,
  rangeEnd: string | undefined,
  prefix: boolean,
  fromKey: boolean,
): KeyRange {
  if ([prefix, fromKey, rangeEnd !== undefined].filter(Boolean).length > 1)
    throw new UsageError('range_end, --prefix and --from-key exclude each other');
  const k = enc.encode(key);
  // No key is empty, so the empty prefix (`get '' --prefix`, etcdctl's "everything") is every key ≥ \0.
  if (prefix && k.length === 0) return { key: new Uint8Array([0]), rangeEnd: new Uint8Array([0]) };
  if (prefix) return { key: k, rangeEnd: prefixEndOf(k) };
  if (fromKey) return { key: k.length === 0 ? new Uint8Array([0]) : k, rangeEnd: new Uint8Array([0]) };
  if (rangeEnd !== undefined) return { key: k, rangeEnd: enc.encode(rangeEnd) };
  return { key: k, rangeEnd: undefined };
}

/** The end of the range of keys starting with `p` ([0x00], every key, when `p` is all 0xff). */
export function prefixEndOf(p: Uint8Array): Uint8Array {
  const end = Uint8Array.from(p);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i]! < 0xff) {
      end[i] = end[i]! + 1;
      return end.slice(0, i + 1);
    }
  }
  return new Uint8Array([0]);
}
