/**
 * Compaction to revision R: afterwards reads and watches at revisions ≥ R work exactly as before,
 * and below R they fail with COMPACTED. What is dropped:
 * - every history revision below R (the changes at R itself are kept, so a watch may start at R);
 * - in the key index, what no read at ≥ R needs (see key-index.ts); a key with nothing left leaves
 *   the index and the tree.
 *
 * The work is proportional to the history dropped, not to the number of keys: only keys changed in
 * a dropped revision can hold something to trim (an untouched key has one entry, which stays).
 *
 * Quota accounting: a dropped history record stops counting unless the key index keeps it (the
 * latest entry ≤ R of a live generation); an index entry below the previous compaction point that
 * is now trimmed stops counting too (it had left the history at the previous compaction).
 */
import { assert } from '../assert.js';
import { CompactedError, FutureRevisionError } from './errors.js';
import { recordSizeBytes, type KeyValue, type MvccEvent } from './kv-types.js';
import type { StoreState } from './store-state.js';

export function checkCompact(state: StoreState, rev: number): void {
  if (rev <= state.compactRevision) throw new CompactedError(state.compactRevision);
  if (rev > state.currentRevision) throw new FutureRevisionError(rev, state.currentRevision);
}

export function compact(state: StoreState, rev: number): void {
  checkCompact(state, rev);
  const previous = state.compactRevision;
  const touched = new Set<string>();
  let freed = 0;
  state.history.dropBelow(rev, (changes) => {
    for (let i = 0; i < changes.events.length; i++) {
      const event = changes.events[i] as MvccEvent;
      const key = changes.keys[i] as string;
      touched.add(key);
      const keptByIndex = event.type === 'put' && state.index.get(key)?.at(rev) === event.kv;
      if (!keptByIndex) freed += recordSizeBytes(event.kv);
    }
  });
  const removed: KeyValue[] = [];
  for (const key of touched) {
    const ki = state.index.get(key);
    if (ki === undefined) continue;
    removed.length = 0;
    if (ki.compact(rev, removed)) {
      state.index.delete(key);
      state.tree.remove(key);
    }
    for (const kv of removed) if (kv.modRevision < previous) freed += recordSizeBytes(kv);
  }
  state.compactRevision = rev;
  state.sizeBytes -= freed;
  assert(state.sizeBytes >= 0, 'compaction: negative size');
}
