/**
 * The history of one key, after etcd's `keyIndex`: its puts and the tombstones that delete it.
 * A tombstone ends a *generation* (the key's life from a creating put to its delete); the next put
 * starts a new one. Held flat — the puts in one array, the tombstone revisions in another (absent
 * until the first delete) — because most keys have one generation and one entry, and every object
 * per key costs memory and GC time.
 *
 * Worked example (main revisions only):
 *
 *   put k @1, put k @2, delete k @3, put k @5, put k @6
 *   entries: @1 @2 @5 @6      tombstones: 3      generations: {@1 @2 x@3} {@5 @6}
 *
 *   at(2) = @2, at(3) = at(4) = undefined (deleted), at(5) = @5.
 *
 * Compaction at R keeps what reads at revisions ≥ R need: every entry above R, plus the latest
 * entry ≤ R if the key is alive at R. Tombstones ≤ R go:
 *
 *   compact(4) → {@5 @6}      compact(5) → same      compact(6) → {@6}      compact(2) → {@2 x@3} {@5 @6}
 *
 * A key with exactly one put and no tombstone (most keys) has no KeyIndex at all: the index Map
 * holds its KeyValue alone, and turns it into a KeyIndex when the key changes (index-entry.ts).
 *
 * Invariants: entries strictly increase in modRevision; tombstones strictly increase; puts and
 * tombstones alternate by generation (a tombstone follows at least one put of its generation and
 * precedes the next generation's first put).
 */
import { assert } from '../assert.js';
import type { StoredKeyValue as KeyValue } from './kv-types.js';

export class KeyIndex {
  /**
   * The puts. A lone entry is held as itself, not in an array (~56 bytes less per key: most keys
   * have exactly one after a compaction); several are kept without spare capacity while short
   * (appendExact). Read through `list()` / `last()`.
   */
  private entries: KeyValue | readonly KeyValue[] = NONE;
  private tombstones: number[] | undefined;

  /** `key` (a binary string, also the index's Map key) is shared by every KeyValue of it. */
  constructor(readonly key: string) {}

  /** The live KeyValue at the newest revision, or undefined when the key is deleted. */
  latest(): KeyValue | undefined {
    const last = this.last();
    if (last === undefined) return undefined;
    const t = this.tombstones;
    return t !== undefined && t.length > 0 && (t[t.length - 1] as number) > last.modRevision
      ? undefined
      : last;
  }

  /** The KeyValue visible at revision `rev`, or undefined when the key does not exist there. */
  at(rev: number): KeyValue | undefined {
    const e = this.entries;
    const kv = isList(e) ? latestAtOrBelow(e, rev) : e.modRevision <= rev ? e : undefined;
    if (kv === undefined || this.tombstones === undefined) return kv;
    return this.deletedBetween(kv.modRevision, rev) ? undefined : kv;
  }

  /** Records a put. `kv.modRevision` must exceed every revision already recorded. */
  put(kv: KeyValue): void {
    const last = this.last();
    assert(
      last === undefined || last.modRevision < kv.modRevision,
      () => `key-index: put @${kv.modRevision} after @${last?.modRevision}`,
    );
    const t = this.tombstones;
    assert(
      t === undefined || t.length === 0 || (t[t.length - 1] as number) < kv.modRevision,
      'key-index: put below a tombstone',
    );
    const e = this.entries;
    this.entries = !isList(e) ? [e, kv] : e.length === 0 ? kv : appendExact(e as KeyValue[], kv);
  }

  /** Deletes the key at `rev` (it must be live, with its last put below `rev`). */
  tombstone(rev: number): void {
    const live = this.latest();
    assert(live !== undefined, 'key-index: tombstone on a deleted key');
    assert(live.modRevision < rev, 'key-index: tombstone not above the last put');
    this.tombstones = appendExact(this.tombstones ?? [], rev);
  }

  /**
   * Restores a tombstone read back from a snapshot: deletes the key if it is live (it is not when
   * compaction already dropped the generation the tombstone closed).
   */
  replayTombstone(rev: number): void {
    const live = this.latest();
    if (live !== undefined && live.modRevision < rev)
      this.tombstones = appendExact(this.tombstones ?? [], rev);
  }

  /**
   * Drops what no read at a revision ≥ `atRev` needs; pushes the dropped entries to `removed` when
   * given. Returns true when nothing is left (the key can leave the index).
   */
  compact(atRev: number, removed?: KeyValue[]): boolean {
    const entries = this.list();
    const idx = lastIndexAtOrBelow(entries, atRev);
    if (idx >= 0) {
      const kv = entries[idx] as KeyValue;
      const dropUpTo =
        this.tombstones !== undefined && this.deletedBetween(kv.modRevision, atRev) ? idx + 1 : idx;
      if (dropUpTo > 0) {
        if (removed !== undefined) for (let i = 0; i < dropUpTo; i++) removed.push(entries[i] as KeyValue);
        const kept = entries.slice(dropUpTo);
        this.entries = kept.length === 1 ? (kept[0] as KeyValue) : kept;
      }
    }
    if (this.tombstones !== undefined) {
      let n = 0;
      while (n < this.tombstones.length && (this.tombstones[n] as number) <= atRev) n++;
      if (n === this.tombstones.length) this.tombstones = undefined;
      else if (n > 0) this.tombstones = this.tombstones.slice(n);
    }
    return isList(this.entries) && this.entries.length === 0;
  }

  /** The only entry when there is exactly one put and no tombstone (index-entry.ts holds it alone). */
  lone(): KeyValue | undefined {
    const e = this.entries;
    return !isList(e) && this.tombstones === undefined ? e : undefined;
  }

  isEmpty(): boolean {
    return isList(this.entries) && this.entries.length === 0;
  }

  /** One stable line: generations with their entry revisions, e.g. `{@1 @2 x@3} {@5 @6}`. */
  describe(): string {
    const out: string[] = [];
    let gen: string[] = [];
    let ti = 0;
    const t = this.tombstones ?? [];
    for (const kv of this.list()) {
      while (ti < t.length && (t[ti] as number) < kv.modRevision) {
        out.push(`{${gen.join(' ')} x@${t[ti++]}}`);
        gen = [];
      }
      gen.push(`@${kv.modRevision}`);
    }
    if (ti < t.length) out.push(`{${gen.join(' ')} x@${t[ti]}}`);
    else if (gen.length > 0) out.push(`{${gen.join(' ')}}`);
    return out.join(' ');
  }

  /** The puts as an array (allocates for a lone entry: not for the hot read paths). */
  private list(): readonly KeyValue[] {
    const e = this.entries;
    return isList(e) ? e : [e];
  }

  /** The newest put, if any. */
  private last(): KeyValue | undefined {
    const e = this.entries;
    return isList(e) ? e[e.length - 1] : e;
  }

  /** Whether a tombstone falls in `(afterRev, atRev]`. */
  private deletedBetween(afterRev: number, atRev: number): boolean {
    for (const t of this.tombstones ?? []) {
      if (t > atRev) return false;
      if (t > afterRev) return true;
    }
    return false;
  }
}

/**
 * `arr` with `item` appended, without spare capacity while it is short. V8 grows an array on push
 * to at least 17 slots (~150 bytes), which for the one or two entries most keys hold was the
 * largest single cost per key (bench/memory.ts). Short arrays are copied at their exact length
 * instead (cheap below EXACT_UP_TO); longer ones, a key rewritten often between compactions, grow
 * by push as usual so that a put stays O(1) amortised.
 */
function appendExact<T>(arr: T[], item: T): T[] {
  if (arr.length >= EXACT_UP_TO) {
    arr.push(item);
    return arr;
  }
  return arr.concat([item]); // exact capacity, unlike a push (measured: ~65 vs ~190 bytes)
}
const EXACT_UP_TO = 8;

const NONE: readonly KeyValue[] = [];

function isList(e: KeyValue | readonly KeyValue[]): e is readonly KeyValue[] {
  return Array.isArray(e);
}

/** The index of the last entry with modRevision ≤ `rev`, or -1. */
function lastIndexAtOrBelow(entries: readonly KeyValue[], rev: number): number {
  let lo = 0;
  let hi = entries.length; // answer in [lo - 1, hi - 1]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as KeyValue).modRevision <= rev) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function latestAtOrBelow(entries: readonly KeyValue[], rev: number): KeyValue | undefined {
  const last = entries[entries.length - 1];
  if (last === undefined || last.modRevision <= rev) return last;
  return entries[lastIndexAtOrBelow(entries, rev)];
}
