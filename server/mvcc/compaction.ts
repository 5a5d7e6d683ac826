/**
 * Compaction to revision R, in two parts (as etcd: the compact revision is recorded when the
 * command applies, the history is dropped afterwards in bounded batches):
 *
 * 1. Logical, in apply (`compact`): constant time. R becomes the compaction point: reads, compares
 *    and watches below R fail with COMPACTED from now on, the quota stops counting what R frees,
 *    and the hash and the snapshot hold only the logical state (snapshot-codec.ts). Nothing
 *    replicated looks at what is still physically held below R.
 * 2. Physical, later (`dropCompactedBatch`, from the member's tick): drops the history below the
 *    compaction point and, in the key index, what no read at ≥ R needs (see key-index.ts); a key
 *    with nothing left leaves the index. Each call handles at most `maxEvents` events,
 *    so it costs a bounded time whatever the size of the store. Members drop at different moments;
 *    a later compaction retargets the batches still to run (they always compact to the newest
 *    point, which is correct for keys already compacted to an older one: see below).
 *
 * Quota accounting without visiting the dropped history: after a compaction to R the store costs
 * what the key index keeps below R (the live records at R written before R) plus the events from R
 * on. The history records both per revision as it is written (history.ts), so the logical
 * compaction reads them at R.
 *
 * Why compacting a key to the newest point is right even when an older batch already compacted
 * it to an older point R1 < R2: a key index compacted to R1 answers every read at ≥ R1 as before;
 * compacting it again to R2 gives the same as compacting the original to R2. And a key touched
 * only below R1 (so by no revision in [R1, R2)) is compacted alike to R1 or R2.
 */
import { indexCompact } from './index-entry.js';
import { CompactedError, FutureRevisionError } from './errors.js';
import type { StoreState } from './store-state.js';

/**
 * Events one physical batch handles by default (etcd's batch limit is 1,000 revisions too).
 * Measured with `npm run bench -- compaction` (docs/performance.md): about 0.3 µs an event once
 * the code is warm, so a batch takes ~0.3 ms (a few ms cold), well under one synced write, and
 * one batch per event-loop turn still drops a 500k-revision history in well under a second.
 */
export const COMPACTION_BATCH_EVENTS = 1000;

export function checkCompact(state: StoreState, rev: number): void {
  if (rev <= state.compactRevision) throw new CompactedError(state.compactRevision);
  if (rev > state.currentRevision) throw new FutureRevisionError(rev, state.currentRevision);
}

/** The logical compaction to `rev`: O(1), whatever the history it frees. */
export function compact(state: StoreState, rev: number): void {
  checkCompact(state, rev);
  // rev > the previous point ≥ the oldest revision held, and rev ≤ current: the history holds it.
  state.keptBytes = state.history.keptBytesAt(rev);
  state.compactBase = state.history.bytesBefore(rev);
  state.compactRevision = rev;
}

/**
 * Whether history below the compaction point (or `limit` if lower: a pinned revision, see
 * MvccStore.pinRevision) is still physically held.
 */
export function compactionPending(state: StoreState, limit = state.compactRevision): boolean {
  return state.history.firstRevision < Math.min(state.compactRevision, limit);
}

/**
 * Drops at most `maxEvents` events of history below the compaction point (a revision without
 * events counts as one), compacting the keys they touched, never past `limit` (a pinned revision).
 * Returns whether more remains.
 */
export function dropCompactedBatch(
  state: StoreState,
  maxEvents: number,
  limit = state.compactRevision,
): boolean {
  const target = Math.min(state.compactRevision, limit);
  const history = state.history;
  const touched = new Set<string>();
  let budget = Math.max(1, maxEvents);
  while (budget > 0 && history.firstRevision < target) {
    const changes = history.at(history.firstRevision);
    if (changes === undefined) break;
    const end = Math.min(changes.keys.length, state.dropCursor + budget);
    for (let i = state.dropCursor; i < end; i++) touched.add(changes.keys[i] as string);
    budget -= Math.max(1, end - state.dropCursor);
    if (end === changes.keys.length) {
      history.dropFirst();
      state.dropCursor = 0;
    } else {
      state.dropCursor = end;
    }
  }
  for (const key of touched) indexCompact(state.index, key, target);
  return compactionPending(state, limit);
}
