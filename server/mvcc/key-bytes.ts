/**
 * Keys are bytes and compare bytewise. Inside the store a key is also held as a "binary string":
 * one UTF-16 code unit per byte, each in 0..255. JavaScript compares strings by code unit, so the
 * binary string of a key sorts exactly like its bytes, and it can be a Map key. The conversion is
 * O(key length) and done once per operation.
 *
 * Ranges follow etcd: an empty `rangeEnd` means the single key `key`; a `rangeEnd` of one zero byte
 * means every key ≥ `key` (and with `key` also "\0", every key); otherwise the half-open range
 * `[key, rangeEnd)`, empty when `rangeEnd <= key`.
 */
import { bytesToLatin1, latin1ToBytes } from './latin1.js';

/** The binary string of a key (one char per byte; a latin1 string, latin1.ts). */
export function keyToString(key: Uint8Array): string {
  return bytesToLatin1(key);
}

/** The bytes of a binary string made by `keyToString`. */
export function keyFromString(s: string): Uint8Array {
  return latin1ToBytes(s);
}

/** Bytewise comparison: negative, zero or positive. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export { bytesEqual } from '../bytes.js';

/**
 * The `rangeEnd` that selects every key starting with `prefix`: the prefix with its last byte
 * below 0xff incremented and what follows dropped; "\0" (all keys ≥ prefix) when every byte is 0xff
 * or the prefix is empty.
 */
export function prefixEnd(prefix: Uint8Array): Uint8Array {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const b = prefix[i] as number;
    if (b < 0xff) {
      const end = prefix.slice(0, i + 1);
      end[i] = b + 1;
      return end;
    }
  }
  return new Uint8Array([0]);
}

/** A normalized key range over binary strings. */
export type KeyRange =
  | { readonly kind: 'single'; readonly key: string }
  /** `[start, end)`; `end === undefined` means unbounded above. */
  | { readonly kind: 'span'; readonly start: string; readonly end: string | undefined };

/** Normalizes an etcd-style (key, rangeEnd) pair. */
export function toKeyRange(key: Uint8Array, rangeEnd: Uint8Array | undefined): KeyRange {
  if (rangeEnd === undefined || rangeEnd.length === 0) return { kind: 'single', key: keyToString(key) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) {
    return { kind: 'span', start: keyToString(key), end: undefined };
  }
  return { kind: 'span', start: keyToString(key), end: keyToString(rangeEnd) };
}

export function rangeContains(range: KeyRange, key: string): boolean {
  if (range.kind === 'single') return range.key === key;
  return key >= range.start && (range.end === undefined || key < range.end);
}

/** Whether two ranges share at least one key. */
export function rangesOverlap(a: KeyRange, b: KeyRange): boolean {
  if (a.kind === 'single') return rangeContains(b, a.key);
  if (b.kind === 'single') return rangeContains(a, b.key);
  const aBelowB = a.end !== undefined && a.end <= b.start;
  const bBelowA = b.end !== undefined && b.end <= a.start;
  const aEmpty = a.end !== undefined && a.end <= a.start;
  const bEmpty = b.end !== undefined && b.end <= b.start;
  return !aBelowB && !bBelowA && !aEmpty && !bEmpty;
}

/** One stable line for logs and test names. */
export function describeKey(key: string): string {
  return /^[\x20-\x7e]*$/.test(key)
    ? JSON.stringify(key)
    : `0x${[...key].map((c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('')}`;
}
