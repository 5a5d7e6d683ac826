/**
 * The store's key index: an ordered map from every key (a binary string, see key-bytes.ts) to its
 * entry (index-entry.ts), serving point lookups, writes, range scans and compaction alike.
 *
 * Why not a JS `Map` beside an ordered set, as before: a V8 Map grows by doubling and rehashes every
 * entry on the insert that fills it, so one put paid for all the keys (0.4–0.6 s at 2^19 keys, ~4 s
 * at 2^22, the key count of 1 GiB of 256-byte values; docs/performance.md, "The key index's rehash
 * stall"). Here no insert moves more than one leaf and one slot array of the leaf directory, and a
 * lookup is two binary searches with string compares instead of a hash probe (measured against the
 * Map in docs/performance.md; the put path pays it once, see the lookup cache below). Scans read
 * each entry beside its key instead of looking it up again, and the Map's ~40–50 bytes a key are
 * gone.
 *
 * A two-level sorted structure: an array of sorted leaves of at most `2 × LEAF` keys (each leaf a
 * key array and a parallel entry array), and beside it the last key of each leaf (the directory).
 * An insert shifts at most one leaf and splits it when it doubles; a split shifts the directory, an
 * array of one slot per ~LEAF keys (~16,000 slots at 4 M keys: ~0.1 MB moved once per ~256 inserts,
 * tens of µs). Appending past the last key (a restore, a load in key order) fills the last leaf to
 * `2 × LEAF` and starts a new one, so such leaves end full. Keys leave only by compaction (when a
 * key's whole history is gone), as in etcd; a leaf leaves when it empties (no merging of thin
 * leaves: compaction removes keys rarely and evenly).
 *
 * Lookup cache: the put path asks for the same key up to three times in a row (the write
 * transaction's read, `indexPut`'s read, its insert or replacement). The last search's position is
 * kept and reused while the tree has not changed shape since and the key is the same string; and a
 * search for a key in the span of the last search's leaf skips the directory (a finger, for walks
 * in key order).
 *
 * Invariants: leaves are non-empty (except the single leaf of an empty map); all keys are sorted
 * strictly across leaves; `lasts[i]` is the last key of leaf i; `keys[i].length === vals[i].length`.
 */

const LEAF = 256;

export class TreeIndex<V> {
  private leafKeys: string[][] = [[]];
  private leafVals: V[][] = [[]];
  private lasts: string[] = [];
  private count = 0;
  /** Bumped whenever a key is inserted or removed (positions move); replacing a value keeps it. */
  private shape = 0;
  // The lookup cache: the last searched key, the shape it was searched in, and where it is (or
  // would be inserted).
  private cachedKey: string | undefined;
  private cachedShape = -1;
  private cachedLeaf = 0;
  private cachedPos = 0;

  get size(): number {
    return this.count;
  }

  /** The greatest key held, undefined when empty. */
  get lastKey(): string | undefined {
    const keys = this.leafKeys[this.leafKeys.length - 1] as string[];
    return keys[keys.length - 1];
  }

  get(key: string): V | undefined {
    this.locate(key);
    const keys = this.leafKeys[this.cachedLeaf] as string[];
    return keys[this.cachedPos] === key ? (this.leafVals[this.cachedLeaf] as V[])[this.cachedPos] : undefined;
  }

  has(key: string): boolean {
    this.locate(key);
    return (this.leafKeys[this.cachedLeaf] as string[])[this.cachedPos] === key;
  }

  /** Sets the entry of `key`, inserting the key when it is new. */
  set(key: string, value: V): void {
    this.locate(key);
    const li = this.cachedLeaf;
    const pos = this.cachedPos;
    const keys = this.leafKeys[li] as string[];
    const vals = this.leafVals[li] as V[];
    if (keys[pos] === key) {
      vals[pos] = value;
      return;
    }
    this.count++;
    this.shape++;
    if (pos === keys.length) {
      keys.push(key);
      vals.push(value);
    } else {
      keys.splice(pos, 0, key);
      vals.splice(pos, 0, value);
    }
    this.lasts[li] = keys[keys.length - 1] as string;
    if (keys.length > 2 * LEAF) {
      // Appended at the very end: keep the full leaf and start a new one (restores and loads in key
      // order). Anywhere else: split in halves, so the next inserts there do not split again.
      const at = li === this.leafKeys.length - 1 && pos === keys.length - 1 ? keys.length - 1 : LEAF;
      const rightKeys = keys.splice(at);
      const rightVals = vals.splice(at);
      this.leafKeys.splice(li + 1, 0, rightKeys);
      this.leafVals.splice(li + 1, 0, rightVals);
      this.lasts.splice(li, 1, keys[keys.length - 1] as string, rightKeys[rightKeys.length - 1] as string);
    }
  }

  /**
   * Inserts `key` with `value` when it sorts after every key held, without a search (a restore
   * reads a snapshot's keys in key order); returns false, changing nothing, otherwise. The tree
   * is then exactly what `set(key, value)` would have made: the last leaf fills to `2 × LEAF` keys
   * and the next key starts a new one.
   */
  appendPastEnd(key: string, value: V): boolean {
    const li = this.leafKeys.length - 1;
    const keys = this.leafKeys[li] as string[];
    const n = keys.length;
    if (n > 0 && !((keys[n - 1] as string) < key)) return false;
    this.count++;
    this.shape++;
    if (n < 2 * LEAF) {
      keys.push(key);
      (this.leafVals[li] as V[]).push(value);
      this.lasts[li] = key;
    } else {
      this.leafKeys.push([key]);
      this.leafVals.push([value]);
      this.lasts.push(key);
    }
    return true;
  }

  /** Removes `key`; returns false when it was absent. */
  delete(key: string): boolean {
    this.locate(key);
    const li = this.cachedLeaf;
    const pos = this.cachedPos;
    const keys = this.leafKeys[li] as string[];
    if (keys[pos] !== key) return false;
    keys.splice(pos, 1);
    (this.leafVals[li] as V[]).splice(pos, 1);
    this.count--;
    this.shape++;
    if (keys.length === 0) {
      if (this.leafKeys.length > 1) {
        this.leafKeys.splice(li, 1);
        this.leafVals.splice(li, 1);
        this.lasts.splice(li, 1);
      } else {
        this.lasts = [];
      }
    } else {
      this.lasts[li] = keys[keys.length - 1] as string;
    }
    return true;
  }

  /**
   * Visits keys in ascending order from the first key ≥ `start` while they are < `end`
   * (`end === undefined`: to the end), with their entries. Stops early when `visit` returns false.
   * The visitor must not insert or remove keys (replacing entries is fine).
   */
  scan(start: string, end: string | undefined, visit: (key: string, value: V) => boolean): void {
    this.locate(start);
    let pos = this.cachedPos;
    for (let li = this.cachedLeaf; li < this.leafKeys.length; li++, pos = 0) {
      const keys = this.leafKeys[li] as string[];
      const vals = this.leafVals[li] as V[];
      for (; pos < keys.length; pos++) {
        const key = keys[pos] as string;
        if (end !== undefined && key >= end) return;
        if (!visit(key, vals[pos] as V)) return;
      }
    }
  }

  /** Every entry, in key order. */
  *values(): IterableIterator<V> {
    for (const vals of this.leafVals) yield* vals;
  }

  /**
   * Sets the cache to where `key` is or would be inserted: the first leaf whose last key is ≥ `key`
   * (the last leaf when none) and the first position there whose key is ≥ `key`.
   */
  private locate(key: string): void {
    if (this.cachedShape === this.shape && this.cachedKey === key) return;
    const lasts = this.lasts;
    const last = this.leafKeys.length - 1;
    // The finger: the last search's leaf or the next one, when `key` falls in its span (a few
    // compares against keys just read), as in-order walks do (restores, loads in key order);
    // otherwise a search of the directory.
    let li = this.cachedLeaf;
    // A walk in key order that skipped past the leaf lands in the next one.
    if (li < last && (lasts[li] as string) < key) li++;
    if (
      li > last ||
      (li < last && (lasts[li] as string) < key) ||
      (li > 0 && key <= (lasts[li - 1] as string))
    ) {
      li = lowerBound(lasts, key);
      if (li > last) li = last;
    }
    this.cachedLeaf = li;
    this.cachedPos = lowerBound(this.leafKeys[li] as string[], key);
    this.cachedKey = key;
    this.cachedShape = this.shape;
  }
}

/** The first index whose element is ≥ `key`. */
function lowerBound(arr: readonly string[], key: string): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
