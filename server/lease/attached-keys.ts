/**
 * The keys attached to one lease, held as cheaply as the common cases allow: none (undefined), one
 * (the key's binary string itself) or several (a Set, in attach order). An empty Set costs ~200
 * bytes on the heap (bench/memory.ts), more than the rest of a lease, and most leases hold zero or
 * one key (a session, a lock, a registration). Iteration order is the attach order in every form,
 * as with the Set alone, so revokes delete the same keys in the same order as before.
 */
export type AttachedKeys = string | Set<string> | undefined;

/** `keys` with `key` attached (a no-op when it already is). */
export function withKey(keys: AttachedKeys, key: string): AttachedKeys {
  if (keys === undefined || keys === key) return key;
  if (typeof keys === 'string') return new Set([keys, key]);
  keys.add(key);
  return keys;
}

/** `keys` without `key`; back to the cheaper forms when one or none is left. */
export function withoutKey(keys: AttachedKeys, key: string): AttachedKeys {
  if (keys === undefined || typeof keys === 'string') return keys === key ? undefined : keys;
  keys.delete(key);
  if (keys.size > 1) return keys;
  const [only] = keys;
  return only;
}

/** The attached keys, in attach order. */
export function keyList(keys: AttachedKeys): string[] {
  if (keys === undefined) return [];
  return typeof keys === 'string' ? [keys] : [...keys];
}
