/**
 * A set of watchers indexed for notification. Single-key watchers sit in a map by key. Range
 * watchers are grouped by their exact range, and the distinct ranges are scanned per event: many
 * watchers of one prefix (a service registry, an election) cost one comparison per event, not one
 * each. etcd uses an interval tree over the ranges; with the handful of distinct ranges a member
 * typically serves, a list is as fast and simpler — revisit if a workload shows thousands of
 * distinct ranges (see docs/data-model.md and bench/mvcc.ts).
 *
 * Iteration and notification order is insertion order, so it is deterministic.
 */
import type { KeyRange } from '../mvcc/index.js';
import type { Watcher } from './watcher.js';

interface RangeBucket {
  readonly range: Extract<KeyRange, { kind: 'span' }>;
  readonly watchers: Set<Watcher>;
}

export class WatcherGroup {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly byRange = new Map<string, RangeBucket>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: Watcher): void {
    const r = w.range;
    if (r.kind === 'single') {
      let set = this.byKey.get(r.key);
      if (set === undefined) this.byKey.set(r.key, (set = new Set()));
      set.add(w);
    } else {
      const id = rangeId(r);
      let bucket = this.byRange.get(id);
      if (bucket === undefined) this.byRange.set(id, (bucket = { range: r, watchers: new Set() }));
      bucket.watchers.add(w);
    }
    this.count++;
  }

  remove(w: Watcher): boolean {
    const r = w.range;
    let removed = false;
    if (r.kind === 'single') {
      const set = this.byKey.get(r.key);
      removed = set?.delete(w) ?? false;
      if (set !== undefined && set.size === 0) this.byKey.delete(r.key);
    } else {
      const id = rangeId(r);
      const bucket = this.byRange.get(id);
      removed = bucket?.watchers.delete(w) ?? false;
      if (bucket !== undefined && bucket.watchers.size === 0) this.byRange.delete(id);
    }
    if (removed) this.count--;
    return removed;
  }

  /** Calls `visit` for every watcher whose range holds `key`. */
  matching(key: string, visit: (w: Watcher) => void): void {
    const set = this.byKey.get(key);
    if (set !== undefined) for (const w of set) visit(w);
    for (const { range, watchers } of this.byRange.values()) {
      if (key >= range.start && (range.end === undefined || key < range.end))
        for (const w of watchers) visit(w);
    }
  }

  *[Symbol.iterator](): IterableIterator<Watcher> {
    for (const set of this.byKey.values()) yield* set;
    for (const bucket of this.byRange.values()) yield* bucket.watchers;
  }
}

/** A map key naming a span exactly (the length prefix keeps start and end apart). */
function rangeId(r: Extract<KeyRange, { kind: 'span' }>): string {
  return r.end === undefined ? `${r.start.length}:${r.start}` : `${r.start.length}:${r.start}:${r.end}`;
}
