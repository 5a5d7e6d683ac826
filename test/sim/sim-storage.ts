/**
 * A member's durable state in the simulator, behind the narrow `DurableStore` interface so that the
 * real storage (server/storage/raft-storage.ts over server/platform/memory-disk.ts) can replace it.
 *
 * Model: handling a Ready *stages* its snapshot, entries and hard state; they become durable only
 * when `sync()` runs (the node schedules it after a simulated fsync delay). A crash drops whatever
 * was staged and not yet synced. A staged Ready is durable all or nothing, which is what the real
 * storage promises (one WAL batch per Ready, one fsync). A crash may also keep an ordered prefix of
 * the unsynced writes (they were in the page cache, or partly flushed): Raft must be safe either way.
 *
 * `LogState` is the log as a snapshot plus the contiguous entries after it; the simulator also uses
 * it to mirror each member's in-memory Raft log for the checkers.
 */
import { assert } from '../../server/assert.js';
import type { ConfState, Entry, HardState, RaftBootState, Snapshot } from '../../server/raft/index.js';

export interface ReadyWrite {
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
  readonly hardState: HardState | undefined;
}

export interface DurableStore {
  /** Stage a Ready's persistent parts, in the Ready contract's order: snapshot, entries, hard state. */
  stage(write: ReadyWrite): void;
  /** fsync: everything staged so far becomes durable. */
  sync(): void;
  /**
   * Crash: the first `keepStaged` staged writes reached the disk anyway (a process crash keeps the
   * page cache; a power loss may keep an ordered prefix), the rest are forgotten.
   */
  crash(keepStaged: number): void;
  /** Writes staged and not yet synced. */
  readonly stagedCount: number;
  /** The application took `snapshot` at its applied index; store it durably and drop the entries it covers. */
  saveSnapshot(snapshot: Snapshot): void;
  /** What a restarting member recovers. */
  boot(): RaftBootState;
  /** Term of the durable entry at `index` (the snapshot's term at its index), if durable. */
  durableTerm(index: number): number | undefined;
}

export function initialSnapshot(confState: ConfState): Snapshot {
  return { metadata: { index: 0, term: 0, confState }, data: new Uint8Array(0) };
}

export class LogState {
  snapshot: Snapshot;
  entries: Entry[];

  constructor(snapshot: Snapshot, entries: readonly Entry[] = []) {
    this.snapshot = snapshot;
    this.entries = entries.slice();
  }

  get snapIndex(): number {
    return this.snapshot.metadata.index;
  }

  get lastIndex(): number {
    return this.snapIndex + this.entries.length;
  }

  term(index: number): number | undefined {
    const snapIndex = this.snapIndex;
    if (index === snapIndex) return this.snapshot.metadata.term;
    if (index < snapIndex || index > snapIndex + this.entries.length) return undefined;
    return (this.entries[index - snapIndex - 1] as Entry).term;
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - this.snapIndex - 1];
  }

  /** A snapshot from the leader replaces the whole log. */
  install(snapshot: Snapshot): void {
    assert(snapshot.metadata.index >= this.snapIndex, () => {
      return `storage: snapshot ${snapshot.metadata.index} older than stored ${this.snapIndex}`;
    });
    this.snapshot = snapshot;
    this.entries = [];
  }

  /** Replace everything at or after entries[0].index with `entries`. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    assert(first.index > this.snapIndex && first.index <= this.lastIndex + 1, () => {
      return `storage: append at ${first.index} outside (${this.snapIndex}, ${this.lastIndex + 1}]`;
    });
    this.entries.length = first.index - this.snapIndex - 1;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k] as Entry;
      assert(e.index === first.index + k, () => `storage: non-contiguous entries at ${e.index}`);
      this.entries.push(e);
    }
  }

  /** Drop entries up to the snapshot's index, keeping the ones after it. */
  compact(snapshot: Snapshot): void {
    const index = snapshot.metadata.index;
    if (index <= this.snapIndex) return;
    assert(index <= this.lastIndex, () => `storage: compact to ${index} beyond last index ${this.lastIndex}`);
    assert(
      this.term(index) === snapshot.metadata.term,
      () => `storage: compact to ${index} with a wrong term`,
    );
    this.entries.splice(0, index - this.snapIndex);
    this.snapshot = snapshot;
  }

  apply(write: ReadyWrite): void {
    if (write.snapshot !== undefined) this.install(write.snapshot);
    this.append(write.entries);
  }
}

/** The in-memory model of a disk that loses unsynced writes at a crash. */
export class SimStorage implements DurableStore {
  private readonly log: LogState;
  private hardState: HardState = { term: 0, vote: 0, commit: 0 };
  private staged: ReadyWrite[] = [];
  fsyncs = 0;

  constructor(confState: ConfState) {
    this.log = new LogState(initialSnapshot(confState));
  }

  stage(write: ReadyWrite): void {
    this.staged.push(write);
  }

  sync(): void {
    this.fsyncs++;
    for (const write of this.staged) {
      this.log.apply(write);
      if (write.hardState !== undefined) this.hardState = write.hardState;
    }
    this.staged = [];
  }

  crash(keepStaged: number): void {
    this.staged.length = Math.min(this.staged.length, Math.max(0, keepStaged));
    this.sync();
    this.fsyncs--;
  }

  get stagedCount(): number {
    return this.staged.length;
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.log.compact(snapshot);
  }

  boot(): RaftBootState {
    return { hardState: this.hardState, snapshot: this.log.snapshot, entries: this.log.entries.slice() };
  }

  durableTerm(index: number): number | undefined {
    return this.log.term(index);
  }
}
