/**
 * Rebuilds the Raft log and hard state from WAL records, on top of the chosen snapshot at S.
 *
 * Rules, applied to records in log order:
 * - entry e with e.index ≤ S: covered by the snapshot, not kept — but, like any entry, it
 *   replaces everything at or after its index, so entries past S written before it are dead;
 * - entry e with e.index > S: it replaces every entry at or after e.index (this is how a new
 *   leader's overwrite survives restarts) and must be adjacent to what precedes it — a gap means
 *   lost data (a deleted segment, a snapshot that no longer exists): refuse;
 * - hard state: the newest wins;
 * - with `keepBefore` > 0, entries in (S − keepBefore, S] are also followed, by the same rules, as
 *   a catch-up window for followers a little behind: returned before the others when they run
 *   without a gap up to S and the entry at S has the snapshot's term (otherwise none are);
 * - snapshot marker that resets the log at M: entries after M written before it are dead. A reset
 *   marker newer than S means its snapshot file is missing or damaged: refuse.
 *
 * The hard state can lag the records written before it in the same batch (a torn tail may keep
 * a Ready's marker and entries but not its hard state), so:
 * - the commit index is raised to S if it lags (the snapshot holds only committed state), and must
 *   not exceed the last index;
 * - the term is raised to the newest term in the log (snapshot or entry) if it lags, with no
 *   vote. That is safe: the lost hard state was never durable, so no vote in that term was sent.
 */
import type { Entry, HardState, SnapshotMetadata } from '../raft/types.js';
import { assert } from '../assert.js';
import { CorruptionError, StorageErrorReason } from './errors.js';
import { isLeftOut } from './wal/decoder.js';
import type { LocatedRecord } from './wal/wal.js';

export interface ReplayResult {
  readonly hardState: HardState;
  readonly entries: Entry[];
}

export function replayLog(
  records: readonly LocatedRecord[],
  snapshot: SnapshotMetadata,
  walDir: string,
  keepBefore = 0,
): ReplayResult {
  const base = snapshot.index;
  const entries: Entry[] = [];
  // The catch-up window: entries at or below S, contiguous from index `windowStart`.
  let window: Entry[] = [];
  let windowStart = 0;
  let hardState: HardState = { term: 0, vote: 0, commit: 0 };
  let hardStateAt: LocatedRecord | undefined;
  for (const located of records) {
    const r = located.record;
    switch (r.type) {
      case 'entry': {
        const index = r.entry.index;
        if (index <= base) {
          entries.length = 0;
          if (index <= base - keepBefore) window = [];
          else if (window.length > 0 && index >= windowStart && index <= windowStart + window.length) {
            window.length = index - windowStart;
            window.push(r.entry);
          } else {
            window = [r.entry];
            windowStart = index;
          }
          break;
        }
        const pos = index - base - 1;
        if (pos > entries.length) {
          throw new CorruptionError(
            located.file,
            located.offset,
            `log gap: entry ${index} follows index ${base + entries.length} (snapshot at ${base})`,
            StorageErrorReason.MissingSegment,
          );
        }
        // Read without its data (Wal.open's entriesAfter above this snapshot): a caller's bug.
        assert(!isLeftOut(r.entry.data), () => `replay: entry ${index} was read without its data`);
        entries.length = pos;
        entries.push(r.entry);
        break;
      }
      case 'hardState':
        hardState = r.hardState;
        hardStateAt = located;
        break;
      case 'snapshot':
        if (!r.resetsLog) break;
        if (r.index > base) {
          throw new CorruptionError(
            located.file,
            located.offset,
            `the WAL records snapshot (index ${r.index}, term ${r.term}) but no valid snapshot file for it exists`,
            StorageErrorReason.MissingSegment,
          );
        }
        entries.length = 0;
        window = [];
        break;
      case 'metadata':
        break;
    }
  }
  const lastIndex = base + entries.length;
  if (hardState.commit > lastIndex) {
    throw new CorruptionError(
      hardStateAt?.file ?? walDir,
      hardStateAt?.offset ?? 0,
      `hard state commit ${hardState.commit} is beyond the last durable index ${lastIndex}`,
      StorageErrorReason.MissingSegment,
    );
  }
  if (hardState.commit < base) hardState = { ...hardState, commit: base };
  const newestTerm = Math.max(snapshot.term, entries[entries.length - 1]?.term ?? 0);
  if (hardState.term < newestTerm) hardState = { term: newestTerm, vote: 0, commit: hardState.commit };
  const atBase = window[window.length - 1];
  if (atBase === undefined || atBase.index !== base || atBase.term !== snapshot.term)
    return { hardState, entries };
  for (const e of window)
    assert(!isLeftOut(e.data), () => `replay: entry ${e.index} was read without its data`);
  return { hardState, entries: [...window, ...entries] };
}
