/**
 * The Raft log as one member sees it, held in memory between compactions.
 *
 *   offset (index S, term T) │ entries S+1 … L
 *                              │ ├── stable: ≤ stabled (persisted by an earlier Ready)
 *                              │ └── unstable: > stabled (handed out in the next Ready)
 *   committed ≤ L, applied ≤ committed
 *
 * Invariants: entries[i].index === S + 1 + i; terms never decrease along the log;
 * applied ≤ committed; committed entries are never truncated.
 */
import { assert } from '../assert.js';
import type { Entry, Snapshot } from './types.js';

export class RaftLog {
  private entries: Entry[];
  /** Newest snapshot: what a follower behind the log's start receives. Its index is ≥ the offset. */
  snapshot: Snapshot;
  /** The entry just before the first one held (the compaction point); at most the snapshot's index. */
  private offsetIndex: number;
  private offsetTerm: number;
  /** A snapshot received from the leader that the application has not yet persisted and applied. */
  pendingSnapshot: Snapshot | undefined;
  stabled: number;
  committed: number;
  applied: number;

  constructor(snapshot: Snapshot, entries: readonly Entry[], committed: number, applied: number) {
    this.snapshot = snapshot;
    // Boot entries may start at or before the snapshot's index (the catch-up window storage kept):
    // the first of them is then the compaction point, as after `compact` below the snapshot.
    const first = entries[0];
    const window = first !== undefined && first.index <= snapshot.metadata.index;
    this.offsetIndex = window ? first.index : snapshot.metadata.index;
    this.offsetTerm = window ? first.term : snapshot.metadata.term;
    this.pendingSnapshot = undefined;
    this.entries = window ? entries.slice(1) : [...entries];
    for (let i = 0; i < this.entries.length; i++) {
      assert(
        this.entries[i]!.index === this.offsetIndex + 1 + i,
        'raft log: boot entries are not contiguous',
      );
    }
    assert(
      this.term(snapshot.metadata.index) === snapshot.metadata.term,
      'raft log: boot entries disagree with the snapshot',
    );
    this.stabled = this.lastIndex();
    this.committed = Math.max(committed, snapshot.metadata.index);
    assert(
      this.committed <= this.lastIndex(),
      () => `raft log: commit ${committed} beyond last index ${this.lastIndex()}`,
    );
    this.applied = Math.max(applied, snapshot.metadata.index);
    assert(this.applied <= this.committed, 'raft log: applied beyond commit');
  }

  private get snapshotIndex(): number {
    return this.offsetIndex;
  }

  private get snapshotTerm(): number {
    return this.offsetTerm;
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    const t = this.term(this.lastIndex());
    assert(t !== undefined, 'raft log: last term unknown');
    return t;
  }

  /** The term of the entry at `index`, or undefined when it was compacted away or does not exist yet. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]!.term;
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi), or undefined if part of the range was compacted. `maxBytes` keeps at least one entry. */
  slice(lo: number, hi: number, maxBytes = Infinity): Entry[] | undefined {
    if (lo < this.firstIndex()) return undefined;
    assert(
      hi <= this.lastIndex() + 1,
      () => `raft log: slice [${lo}, ${hi}) beyond last index ${this.lastIndex()}`,
    );
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entries[i - this.snapshotIndex - 1]!;
      bytes += e.data.length;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** The leader appends its own entries. */
  append(entries: readonly Entry[]): void {
    for (const e of entries) {
      assert(e.index === this.lastIndex() + 1, 'raft log: append out of order');
      this.entries.push(e);
    }
  }

  /**
   * A follower's consistency check (§5.3): if our entry at `index` has `logTerm`, merge `entries`
   * after it and return the index of the last new entry; otherwise undefined.
   */
  maybeAppend(
    index: number,
    logTerm: number,
    committed: number,
    entries: readonly Entry[],
    skipCheck = false,
  ): number | undefined {
    if (!this.matchTerm(index, logTerm)) {
      // Injected bug for the simulator's self-test: trust the leader without the check.
      if (!skipCheck || index > this.lastIndex() || index < this.snapshotIndex) return undefined;
    }
    const lastNew = index + entries.length;
    const conflict = this.findConflict(entries);
    if (conflict !== 0) {
      assert(
        conflict > this.committed,
        () => `raft log: conflict at ${conflict} would truncate committed ${this.committed}`,
      );
      const first = entries[0]!.index;
      this.truncateAndAppend(entries.slice(conflict - first));
    }
    this.commitTo(Math.min(committed, lastNew));
    return lastNew;
  }

  /** Index of the first entry that is new or conflicts with ours; 0 if all are already present. */
  private findConflict(entries: readonly Entry[]): number {
    for (const e of entries) {
      if (!this.matchTerm(e.index, e.term)) return e.index;
    }
    return 0;
  }

  private truncateAndAppend(entries: readonly Entry[]): void {
    const after = entries[0]!.index;
    assert(after > this.snapshotIndex, 'raft log: truncation below the snapshot');
    assert(after <= this.lastIndex() + 1, 'raft log: gap in append');
    this.entries.length = after - this.snapshotIndex - 1;
    // Entries from `after` on must be persisted again; storage overwrites from there.
    if (this.stabled >= after) this.stabled = after - 1;
    for (const e of entries) this.entries.push(e);
  }

  /**
   * The largest index ≤ `index` whose term is ≤ `term`: where a follower that rejected an append
   * (or the leader, decoding a rejection) can resume, skipping a whole term at a time.
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshotIndex) {
      const t = this.term(i);
      if (t === undefined || t <= term) break;
      i--;
    }
    return i;
  }

  commitTo(index: number): void {
    if (index > this.committed) {
      assert(
        index <= this.lastIndex(),
        () => `raft log: commit ${index} beyond last index ${this.lastIndex()}`,
      );
      this.committed = index;
    }
  }

  unstableEntries(): Entry[] {
    return this.entries.slice(this.stabled - this.snapshotIndex);
  }

  /** Entries committed but not yet applied, none while a received snapshot is pending. */
  nextCommittedEntries(maxBytes = Infinity): Entry[] {
    if (this.pendingSnapshot !== undefined) return [];
    const hi = Math.min(this.committed, this.lastIndex());
    if (this.applied >= hi) return [];
    return this.slice(this.applied + 1, hi + 1, maxBytes) ?? [];
  }

  hasNextCommittedEntries(): boolean {
    return this.pendingSnapshot === undefined && this.committed > this.applied;
  }

  /** The application persisted entries up to (`index`, `term`); ignore if they were replaced meanwhile. */
  stableTo(index: number, term: number): void {
    if (index > this.stabled && this.matchTerm(index, term)) this.stabled = index;
  }

  appliedTo(index: number): void {
    assert(index <= this.committed, () => `raft log: applied ${index} beyond commit ${this.committed}`);
    if (index > this.applied) this.applied = index;
  }

  /** Replace the whole log with a snapshot received from the leader. */
  restore(snapshot: Snapshot): void {
    assert(snapshot.metadata.index > this.committed, 'raft log: restore of an already committed snapshot');
    this.entries = [];
    this.snapshot = snapshot;
    this.offsetIndex = snapshot.metadata.index;
    this.offsetTerm = snapshot.metadata.term;
    this.pendingSnapshot = snapshot;
    this.committed = snapshot.metadata.index;
    this.stabled = snapshot.metadata.index;
  }

  /** The application persisted and applied the pending snapshot. */
  snapshotApplied(index: number): void {
    if (this.pendingSnapshot !== undefined && this.pendingSnapshot.metadata.index === index) {
      this.pendingSnapshot = undefined;
    }
    if (index > this.applied) this.applied = index;
  }

  /**
   * The application took `snapshot` at an applied index: keep it for lagging followers and drop
   * entries up to `compactIndex` (at most the snapshot's index; lower keeps entries so that
   * followers only slightly behind catch up without a snapshot).
   */
  compact(snapshot: Snapshot, compactIndex = snapshot.metadata.index): void {
    const index = snapshot.metadata.index;
    assert(compactIndex <= index, 'raft log: compact index beyond the snapshot');
    if (index > this.snapshot.metadata.index) {
      assert(index <= this.applied, () => `raft log: snapshot ${index} beyond applied ${this.applied}`);
      assert(index <= this.stabled, 'raft log: snapshot beyond stable entries');
      assert(
        this.term(index) === undefined || this.term(index) === snapshot.metadata.term,
        'raft log: snapshot term does not match the log',
      );
      this.snapshot = snapshot;
    } else if (
      index === this.snapshot.metadata.index &&
      snapshot.metadata.term === this.snapshot.metadata.term
    ) {
      // The same snapshot in another form (the replica's: its data left in its file).
      this.snapshot = snapshot;
    }
    if (compactIndex <= this.offsetIndex) return;
    const term = this.term(compactIndex);
    assert(term !== undefined, 'raft log: compact index outside the log');
    this.entries = this.entries.slice(compactIndex - this.offsetIndex);
    this.offsetIndex = compactIndex;
    this.offsetTerm = term;
  }

  /** Whether a committed but unapplied entry is a membership change. */
  hasUnappliedConfChange(isConfChange: (e: Entry) => boolean): boolean {
    const hi = Math.min(this.committed, this.lastIndex());
    for (let i = Math.max(this.applied + 1, this.firstIndex()); i <= hi; i++) {
      if (isConfChange(this.entries[i - this.snapshotIndex - 1]!)) return true;
    }
    return false;
  }
}
