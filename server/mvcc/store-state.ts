/**
 * The data of one MVCC store, shared by the operation files (range.ts, put.ts, delete.ts, txn.ts,
 * compaction.ts, snapshot-codec.ts, hash.ts). Internal to server/mvcc: other folders go through
 * `MvccStore`.
 *
 * Invariants:
 * - `index` holds every key with a revision still held; a key leaves it only when compaction
 *   empties it.
 * - `history` holds every revision from `compactRevision` (or 1, the initial revision) to
 *   `currentRevision`; a brand-new store is at revision 1, which has no changes (revision.ts).
 *   Below `compactRevision` it may still hold revisions that physical compaction has not dropped
 *   yet (compaction.ts); nothing replicated may look at them.
 * - `compactRevision` 0: never compacted.
 * - The quota cost (`sizeBytes` below) is that of the *logical* state, the one a snapshot holds:
 *   the history events from the compaction point on, plus what the key index keeps below it. It
 *   never depends on how far physical compaction got.
 */
import type { KeyRange } from './key-bytes.js';
import { entryAt, entryLatest, type IndexEntry } from './index-entry.js';
import type { StoredKeyValue as KeyValue } from './kv-types.js';
import { History } from './history.js';
import { INITIAL_REVISION } from './revision.js';
import { TreeIndex } from './tree-index.js';

/** What the store needs from the lessor; the lessor implements it (mvcc never imports lease). */
export interface LeaseAttacher {
  hasLease(id: number): boolean;
  attach(id: number, key: string): void;
  detach(id: number, key: string): void;
}

export interface StoreState {
  /** Per key, in key order, its lone KeyValue or its KeyIndex (index-entry.ts, tree-index.ts). */
  readonly index: TreeIndex<IndexEntry>;
  history: History;
  currentRevision: number;
  /** The logical compaction point, set in apply: reads and watches below it fail. */
  compactRevision: number;
  /** Record bytes of the live key-values at the current revision. */
  liveBytes: number;
  /** Bytes of every event appended to the history since it began (history.ts `bytesBefore`). */
  eventBytes: number;
  /** Record bytes the key index keeps below `compactRevision` (logically). */
  keptBytes: number;
  /** `bytesBefore` of the first logical revision: event bytes no longer counted. */
  compactBase: number;
  /**
   * Physical compaction's cursor: the events of the oldest held revision already handed to key
   * compaction (that revision is dropped once all are).
   */
  dropCursor: number;
  /**
   * INJECTED BUG state (simulator self-tests only; never set in production): keys that vanished
   * from reads at the given revision without a revision, a history entry or an event (see
   * `MvccStore.vanishKeysWithoutRevision`). Not in the snapshot or the hash.
   */
  vanished?: Map<string, number>;
}

export function emptyState(): StoreState {
  return {
    index: new TreeIndex<IndexEntry>(),
    history: History.initial(),
    currentRevision: INITIAL_REVISION,
    compactRevision: 0,
    liveBytes: 0,
    eventBytes: 0,
    keptBytes: 0,
    compactBase: 0,
    dropCursor: 0,
  };
}

/** Bytes counted against the quota: the logical state's (see the invariants above). */
export function sizeBytes(state: StoreState): number {
  return state.keptBytes + state.eventBytes - state.compactBase;
}

/** Visits the keys of `range` (in ascending key order) that exist at `rev`, with their KeyValue. */
export function visitRange(
  state: StoreState,
  range: KeyRange,
  rev: number,
  visit: (kv: KeyValue, key: string) => boolean | void,
): void {
  const vanished = state.vanished;
  if (range.kind === 'single') {
    const kv = entryAt(state.index.get(range.key), rev);
    if (kv !== undefined && !(vanished !== undefined && hasVanished(vanished, range.key, kv, rev)))
      visit(kv, range.key);
    return;
  }
  if (range.end !== undefined && range.end <= range.start) return;
  state.index.scan(range.start, range.end, (key, entry) => {
    const kv = entryAt(entry, rev);
    if (kv === undefined || (vanished !== undefined && hasVanished(vanished, key, kv, rev))) return true;
    return visit(kv, key) !== false;
  });
}

/** Whether the injected bug hid `kv` from a read at `rev`: it vanished at or below `rev`, after its put. */
function hasVanished(vanished: Map<string, number>, key: string, kv: KeyValue, rev: number): boolean {
  const at = vanished.get(key);
  return at !== undefined && kv.modRevision <= at && at <= rev;
}

/** The live KeyValue of `key` at the newest revision (including a write txn's own changes). */
export function latestOf(state: StoreState, key: string): KeyValue | undefined {
  return entryLatest(state.index.get(key));
}
