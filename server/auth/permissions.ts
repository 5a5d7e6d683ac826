/**
 * Does a set of permissions cover a key range? Pure functions over binary strings (one char per
 * byte, mvcc/key-bytes.ts), which sort exactly as the keys' bytes.
 *
 * A request's range and each permission are turned into half-open spans `[start, end)` (`end`
 * undefined: unbounded): a single key `k` is `[k, k + "\0")`, the smallest span holding only `k`.
 * The request is permitted when the union of the matching permissions' spans covers its span —
 * so a range over two adjacent granted prefixes is allowed, and a range that runs one key past a
 * granted prefix is not.
 *
 *   granted  [a, c) and [c, e)      request [b, d)  → covered
 *   granted  [a, c)                 request [b, d)  → not covered (c.. is outside)
 */
import { keyToString } from '../mvcc/index.js';
import type { Permission, PermType } from './model.js';

export interface Span {
  readonly start: string;
  /** Exclusive; undefined: no upper bound. */
  readonly end: string | undefined;
}

/** etcd's (key, rangeEnd) as a span; an empty range (end ≤ start) is checked as its first key. */
export function spanOf(key: Uint8Array, rangeEnd: Uint8Array | undefined): Span {
  const start = keyToString(key);
  if (rangeEnd === undefined || rangeEnd.length === 0) return { start, end: `${start}\0` };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start, end: undefined };
  const end = keyToString(rangeEnd);
  return end <= start ? { start, end: `${start}\0` } : { start, end };
}

/** Whether a permission of type `have` allows an access of type `need` ('read' or 'write'). */
export function allows(have: PermType, need: 'read' | 'write'): boolean {
  return have === 'readwrite' || have === need;
}

/** Whether the union of `granted` covers `wanted`. */
export function covers(granted: readonly Span[], wanted: Span): boolean {
  const sorted = [...granted].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let reached = wanted.start;
  for (const g of sorted) {
    if (g.start > reached) return false;
    if (g.end === undefined) return true;
    if (g.end > reached) reached = g.end;
    if (wanted.end !== undefined && reached >= wanted.end) return true;
  }
  return false;
}

/** Whether `permissions` allow `need` on the range (key, rangeEnd). */
export function permits(
  permissions: readonly Permission[],
  need: 'read' | 'write',
  key: Uint8Array,
  rangeEnd: Uint8Array | undefined,
): boolean {
  const spans = permissions.filter((p) => allows(p.permType, need)).map((p) => spanOf(p.key, p.rangeEnd));
  return covers(spans, spanOf(key, rangeEnd));
}
