/**
 * The ordered set of every key in the index, as binary strings (see key-bytes.ts), for range scans.
 *
 * A two-level sorted structure: an array of sorted leaves of at most `2 × LEAF` keys, and beside it
 * the last key of each leaf. Lookups are two binary searches; an insert shifts at most one leaf
 * (a few hundred slots) and splits it when it doubles. For one million keys that is ~2,000 leaves:
 * cheaper in memory than a pointer-based B-tree node per few keys, and measured in bench/mvcc.ts
 * at well over a million inserts per second. Keys are only removed by compaction (when a key's
 * whole history is gone), as in etcd.
 *
 * Invariants: leaves are non-empty (except the single leaf of an empty set); all keys are sorted
 * strictly across leaves; `lasts[i]` is the last key of `leaves[i]`.
 */

const LEAF = 256;

export class TreeIndex {
  private leaves: string[][] = [[]];
  private lasts: string[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `key`; returns false when it was already present. */
  insert(key: string): boolean {
    let li = this.leafFor(key);
    if (li === this.leaves.length) li = this.leaves.length - 1;
    const leaf = this.leaves[li] as string[];
    const pos = lowerBound(leaf, key);
    if (leaf[pos] === key) return false;
    leaf.splice(pos, 0, key);
    this.count++;
    this.lasts[li] = leaf[leaf.length - 1] as string;
    if (leaf.length > 2 * LEAF) {
      const right = leaf.splice(LEAF);
      this.leaves.splice(li + 1, 0, right);
      this.lasts.splice(li, 1, leaf[leaf.length - 1] as string, right[right.length - 1] as string);
    }
    return true;
  }

  /** Removes `key`; returns false when it was absent. */
  remove(key: string): boolean {
    const li = this.leafFor(key);
    const leaf = this.leaves[li];
    if (leaf === undefined) return false;
    const pos = lowerBound(leaf, key);
    if (leaf[pos] !== key) return false;
    leaf.splice(pos, 1);
    this.count--;
    if (leaf.length === 0) {
      if (this.leaves.length > 1) {
        this.leaves.splice(li, 1);
        this.lasts.splice(li, 1);
      } else {
        this.lasts = [];
      }
    } else {
      this.lasts[li] = leaf[leaf.length - 1] as string;
    }
    return true;
  }

  has(key: string): boolean {
    const leaf = this.leaves[this.leafFor(key)];
    return leaf !== undefined && leaf[lowerBound(leaf, key)] === key;
  }

  /**
   * Visits keys in ascending order from the first key ≥ `start` while they are < `end`
   * (`end === undefined`: to the end). Stops early when `visit` returns false.
   */
  scan(start: string, end: string | undefined, visit: (key: string) => boolean): void {
    let li = this.leafFor(start);
    let pos = li < this.leaves.length ? lowerBound(this.leaves[li] as string[], start) : 0;
    for (; li < this.leaves.length; li++, pos = 0) {
      const leaf = this.leaves[li] as string[];
      for (; pos < leaf.length; pos++) {
        const key = leaf[pos] as string;
        if (end !== undefined && key >= end) return;
        if (!visit(key)) return;
      }
    }
  }

  /** The index of the first leaf whose last key is ≥ `key` (leaves.length when none). */
  private leafFor(key: string): number {
    return lowerBound(this.lasts, key);
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
