/**
 * The history of one key as generations, after etcd's `keyIndex`. A generation starts with a put
 * that creates the key and ends with the tombstone that deletes it; the next put starts a new one.
 *
 * Worked example (main revisions only):
 *
 *   put k @1, put k @2, delete k @3, put k @5, put k @6
 *   generations: [ {entries: @1 @2, deletedAt 3}, {entries: @5 @6, open} ]
 *
 *   at(2) = @2, at(3) = at(4) = undefined (deleted), at(5) = @5.
 *
 * Compaction at R keeps what reads at revisions ≥ R need: every entry above R, plus the latest
 * entry ≤ R of a generation still open at R. A generation whose tombstone is ≤ R disappears:
 *
 *   compact(4) → [ {entries: @5 @6, open} ]      compact(5) → same      compact(6) → [{@6}]
 *
 * Invariants: generations are in revision order; every generation but the last is closed; entries
 * inside a generation strictly increase in modRevision; tombstones only close (they hold no entry).
 */
import { assert } from '../assert.js';
import type { KeyValue } from './kv-types.js';

interface Generation {
  /** Entries in modRevision order; never empty. */
  readonly entries: KeyValue[];
  /** Main revision of the tombstone that closed this generation, 0 while open. */
  deletedAt: number;
}

export class KeyIndex {
  private readonly generations: Generation[] = [];

  /** `key` is held once per key and shared by every KeyValue of it. */
  constructor(readonly key: Uint8Array) {}

  /** The live KeyValue at the newest revision, or undefined when the key is deleted. */
  latest(): KeyValue | undefined {
    const g = this.generations[this.generations.length - 1];
    if (g === undefined || g.deletedAt !== 0) return undefined;
    return g.entries[g.entries.length - 1];
  }

  /** The KeyValue visible at revision `rev`, or undefined when the key does not exist there. */
  at(rev: number): KeyValue | undefined {
    for (let i = this.generations.length - 1; i >= 0; i--) {
      const g = this.generations[i] as Generation;
      const first = g.entries[0] as KeyValue;
      if (first.modRevision > rev) continue;
      if (g.deletedAt !== 0 && g.deletedAt <= rev) return undefined;
      return latestAtOrBelow(g.entries, rev);
    }
    return undefined;
  }

  /** Records a put. `kv.modRevision` must exceed every revision already recorded. */
  put(kv: KeyValue): void {
    const g = this.generations[this.generations.length - 1];
    if (g === undefined || g.deletedAt !== 0) {
      assert(g === undefined || g.deletedAt < kv.modRevision, 'key-index: put below a tombstone');
      this.generations.push({ entries: [kv], deletedAt: 0 });
      return;
    }
    const last = g.entries[g.entries.length - 1] as KeyValue;
    assert(
      last.modRevision < kv.modRevision,
      () => `key-index: put @${kv.modRevision} after @${last.modRevision}`,
    );
    g.entries.push(kv);
  }

  /** Closes the open generation with a tombstone at `rev`. */
  tombstone(rev: number): void {
    const g = this.generations[this.generations.length - 1];
    assert(g !== undefined && g.deletedAt === 0, 'key-index: tombstone on a deleted key');
    const last = g.entries[g.entries.length - 1] as KeyValue;
    assert(last.modRevision < rev, 'key-index: tombstone not above the last put');
    g.deletedAt = rev;
  }

  /**
   * Restores a tombstone read back from a snapshot: closes the open generation if there is one
   * (there is none when compaction already dropped the generation the tombstone closed).
   */
  replayTombstone(rev: number): void {
    const g = this.generations[this.generations.length - 1];
    if (g !== undefined && g.deletedAt === 0) g.deletedAt = rev;
  }

  /**
   * Drops what no read at a revision ≥ `atRev` needs; pushes the dropped entries to `removed`.
   * Returns true when nothing is left (the key can leave the index).
   */
  compact(atRev: number, removed: KeyValue[]): boolean {
    let keepFrom = 0;
    for (let i = 0; i < this.generations.length; i++) {
      const g = this.generations[i] as Generation;
      if (g.deletedAt !== 0 && g.deletedAt <= atRev) {
        for (const kv of g.entries) removed.push(kv);
        keepFrom = i + 1;
        continue;
      }
      // The first generation alive at atRev (or created after it): trim entries below atRev's view.
      let cut = 0;
      while (cut + 1 < g.entries.length && (g.entries[cut + 1] as KeyValue).modRevision <= atRev) cut++;
      if (cut > 0) for (const kv of g.entries.splice(0, cut)) removed.push(kv);
      break;
    }
    if (keepFrom > 0) this.generations.splice(0, keepFrom);
    return this.generations.length === 0;
  }

  /** Entries of open-at-`rev` generations with modRevision < `rev` (what compaction kept). */
  entriesBelow(rev: number, out: KeyValue[]): void {
    for (const g of this.generations) {
      for (const kv of g.entries) {
        if (kv.modRevision >= rev) return;
        out.push(kv);
      }
    }
  }

  isEmpty(): boolean {
    return this.generations.length === 0;
  }

  /** One stable line: generations with their entry revisions. */
  describe(): string {
    return this.generations
      .map(
        (g) =>
          `{${g.entries.map((e) => `@${e.modRevision}`).join(' ')}${g.deletedAt !== 0 ? ` x@${g.deletedAt}` : ''}}`,
      )
      .join(' ');
  }
}

function latestAtOrBelow(entries: readonly KeyValue[], rev: number): KeyValue | undefined {
  const last = entries[entries.length - 1] as KeyValue;
  if (last.modRevision <= rev) return last;
  let lo = 0;
  let hi = entries.length - 1; // entries[hi] > rev
  if ((entries[0] as KeyValue).modRevision > rev) return undefined;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as KeyValue).modRevision <= rev) lo = mid;
    else hi = mid;
  }
  return entries[lo];
}
