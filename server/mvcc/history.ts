/**
 * The change history keyed by main revision: for each write transaction, its events in sub-revision
 * order. Every write transaction has at least one change, so main revisions are dense and a lookup
 * is an array index. Physical compaction drops a prefix, one revision at a time (compaction.ts).
 *
 * Beside each revision the history keeps two numbers of quota accounting, so that a compaction can
 * tell what the store costs once compacted to that revision without visiting what it drops:
 * - `keptBytes`: what the key index keeps below the revision after a compaction to it (the live
 *   records at the revision that were written before it);
 * - `bytesBefore`: the bytes of every event appended before the revision (a running total since
 *   the store, or the snapshot it was restored from, began).
 *
 * A brand-new store's history holds one revision, `INITIAL_REVISION` (1), with no changes: the
 * store's state before any write, as in etcd. A watch or a read may start there like at any other
 * revision, until a compaction above it drops it.
 *
 * Invariants: the revisions held are `first … first + length - 1`, each with its accounting; only
 * `INITIAL_REVISION` may have no changes; the last held revision is the store's current revision.
 */
import { assert } from '../assert.js';
import { EventType, StoredKeyValue, type StoredChanges } from './kv-types.js';
import { INITIAL_REVISION } from './revision.js';

/** Revisions per chunk: dropping a whole chunk shifts an array of (revisions / CHUNK) slots. */
const CHUNK = 4096;

/**
 * The revisions `first … first + CHUNK - 1` of one chunk, with their accounting.
 *
 * A revision with a single change (by far the most common: a put, a delete of one key) is held as
 * its KeyValue alone in `changes`: the KeyValue is the one the key index already holds, and it
 * carries its key's binary string, so such a revision costs one slot instead of a RevisionChanges,
 * an MvccEvent and two one-element arrays (~200 bytes, bench/memory.ts). `at()` builds the
 * RevisionChanges back; the event type follows from the KeyValue (a tombstone has version 0, a
 * put at least 1), and a revision where it would not is held whole.
 */
interface Chunk {
  readonly changes: (StoredChanges | StoredKeyValue | undefined)[];
  readonly kept: Float64Array;
  readonly before: Float64Array;
}

function newChunk(): Chunk {
  return { changes: [], kept: new Float64Array(CHUNK), before: new Float64Array(CHUNK) };
}

/** The event type a lone KeyValue in the history stands for. */
function typeOf(kv: StoredKeyValue): EventType {
  return kv.version === 0 ? EventType.Delete : EventType.Put;
}

/**
 * Held in fixed-size chunks so that every operation, dropping included, costs a bounded time
 * whatever the length: no array proportional to the history is ever copied.
 */
export class History {
  private readonly chunks: Chunk[] = [];
  /** The slot of `first` in `chunks[0]`. */
  private head = 0;
  private count = 0;
  /** The main revision of the oldest held revision (or the next to be appended when empty). */
  private first: number;

  constructor(firstRevision: number) {
    this.first = firstRevision;
  }

  /** The history of a brand-new store: the initial revision, without changes or cost. */
  static initial(): History {
    const h = new History(INITIAL_REVISION);
    h.push({ revision: INITIAL_REVISION, events: [], keys: [] }, 0, 0);
    return h;
  }

  /** The oldest revision held (or the next to be appended when empty). */
  get firstRevision(): number {
    return this.first;
  }

  get length(): number {
    return this.count;
  }

  append(changes: StoredChanges, keptBytes: number, bytesBefore: number): void {
    assert(
      changes.revision === this.first + this.count,
      () => `history: append @${changes.revision}, expected @${this.first + this.count}`,
    );
    assert(changes.events.length > 0, 'history: a revision without changes');
    this.push(changes, keptBytes, bytesBefore);
  }

  at(revision: number): StoredChanges | undefined {
    const slot = this.slot(revision);
    if (slot < 0) return undefined;
    const held = (this.chunks[Math.floor(slot / CHUNK)] as Chunk).changes[slot % CHUNK];
    if (!(held instanceof StoredKeyValue)) return held;
    return { revision, events: [{ type: typeOf(held), kv: held }], keys: [held.keyString] };
  }

  /** `keptBytes` recorded with `revision` (which must be held). */
  keptBytesAt(revision: number): number {
    return this.accounting(revision, 'kept');
  }

  /** `bytesBefore` recorded with `revision` (which must be held). */
  bytesBefore(revision: number): number {
    return this.accounting(revision, 'before');
  }

  /** Drops the oldest revision held (there must be one). */
  dropFirst(): void {
    assert(this.count > 0, 'history: drop from an empty history');
    const chunk = this.chunks[0] as Chunk;
    chunk.changes[this.head] = undefined; // let the dropped changes go now
    this.head++;
    this.count--;
    this.first++;
    if (this.head === CHUNK || this.count === 0) {
      this.chunks.shift();
      this.head = 0;
    }
  }

  private push(changes: StoredChanges, keptBytes: number, bytesBefore: number): void {
    const slot = this.head + this.count;
    let chunk = this.chunks[Math.floor(slot / CHUNK)];
    if (chunk === undefined) this.chunks.push((chunk = newChunk()));
    const only = changes.events.length === 1 ? changes.events[0] : undefined;
    chunk.changes.push(only !== undefined && only.type === typeOf(only.kv) ? only.kv : changes);
    chunk.kept[slot % CHUNK] = keptBytes;
    chunk.before[slot % CHUNK] = bytesBefore;
    this.count++;
  }

  /** The slot of `revision` counted from the start of `chunks[0]`, or -1 when not held. */
  private slot(revision: number): number {
    const i = revision - this.first;
    return i >= 0 && i < this.count ? this.head + i : -1;
  }

  private accounting(revision: number, which: 'kept' | 'before'): number {
    const slot = this.slot(revision);
    assert(slot >= 0, () => `history: no accounting @${revision} (held from @${this.first})`);
    return (this.chunks[Math.floor(slot / CHUNK)] as Chunk)[which][slot % CHUNK] as number;
  }
}
