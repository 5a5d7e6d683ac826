/**
 * A candidate for the store's key index, measured by bench/index-rehash.ts and not adopted: the
 * ordered tree became the only index (server/mvcc/tree-index.ts; docs/performance.md, "The key
 * index's rehash stall"). Kept for that bench as the measured alternative for point lookups (a hash
 * in bounded shards is the recorded next step if the tree's lookups prove too slow).
 *
 * The store's key → entry map, split over `SHARDS` JS Maps by a few characters of the key, so
 * that no single Map grows past 1/SHARDS of the keys.
 *
 * Why: a V8 Map grows by doubling, and the insert that fills it rehashes every entry into a table
 * twice the size. With one Map for the whole index, one put paid for all the keys: measured
 * with `npm run bench -- index-rehash`, see docs/performance.md ("The key index's rehash stall").
 * Split, the largest rehash is a shard's: 1/SHARDS of that pause.
 *
 * The shard is picked from the key's length and four of its characters (the last three, which
 * differ most between neighbouring keys such as `…/0001`, `…/0002`, and the middle one), not from
 * a hash of the whole key: JS cannot reach the hash V8 keeps in the string, and hashing every byte
 * again would cost more than the lookup itself. Keys that share their length and those characters
 * land in one shard; at worst that shard grows as the single Map did, no worse than before.
 *
 * The same surface as the `Map` it replaces (get, set, delete, size, values), nothing more.
 */
const SHARD_BITS = 8;
const SHARDS = 1 << SHARD_BITS;

/** The shard of `key` (see the file comment). */
export function shardOf(key: string): number {
  const n = key.length;
  if (n === 0) return 0;
  let h = Math.imul(n ^ key.charCodeAt(n - 1), 0x9e3779b1);
  if (n > 1) h = Math.imul(h ^ key.charCodeAt(n - 2), 0x85ebca6b);
  if (n > 2) h = Math.imul(h ^ key.charCodeAt(n - 3), 0xc2b2ae35);
  if (n > 3) h = Math.imul(h ^ key.charCodeAt(n >>> 1), 0x27d4eb2f);
  return h >>> (32 - SHARD_BITS);
}

export class ShardedKeyMap<V> {
  private readonly shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map<string, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return (this.shards[shardOf(key)] as Map<string, V>).get(key);
  }

  has(key: string): boolean {
    return (this.shards[shardOf(key)] as Map<string, V>).has(key);
  }

  set(key: string, value: V): this {
    const shard = this.shards[shardOf(key)] as Map<string, V>;
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
    return this;
  }

  delete(key: string): boolean {
    const deleted = (this.shards[shardOf(key)] as Map<string, V>).delete(key);
    if (deleted) this.count--;
    return deleted;
  }

  /** Every value, shard by shard (no order is promised). */
  *values(): IterableIterator<V> {
    for (const shard of this.shards) yield* shard.values();
  }
}
