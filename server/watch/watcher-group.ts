/**
 * A set of watchers indexed for notification: single-key watchers in a map by key, range watchers
 * in a list scanned per event (etcd uses an interval tree; a list is enough for the hundreds of
 * range watchers a member typically holds and is easy to make deterministic — see docs).
 * Iteration order is insertion order, so notification order is deterministic.
 */
import type { Watcher } from './watcher.js';

export class WatcherGroup {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly ranges = new Set<Watcher>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(w: Watcher): void {
    if (w.range.kind === 'single') {
      let set = this.byKey.get(w.range.key);
      if (set === undefined) this.byKey.set(w.range.key, (set = new Set()));
      set.add(w);
    } else {
      this.ranges.add(w);
    }
    this.count++;
  }

  remove(w: Watcher): boolean {
    let removed: boolean;
    if (w.range.kind === 'single') {
      const set = this.byKey.get(w.range.key);
      removed = set?.delete(w) ?? false;
      if (set !== undefined && set.size === 0) this.byKey.delete(w.range.key);
    } else {
      removed = this.ranges.delete(w);
    }
    if (removed) this.count--;
    return removed;
  }

  /** Calls `visit` for every watcher whose range holds `key`. */
  matching(key: string, visit: (w: Watcher) => void): void {
    const set = this.byKey.get(key);
    if (set !== undefined) for (const w of set) visit(w);
    for (const w of this.ranges) if (w.matches(key)) visit(w);
  }

  *[Symbol.iterator](): IterableIterator<Watcher> {
    for (const set of this.byKey.values()) yield* set;
    yield* this.ranges;
  }
}
