/**
 * When to take a snapshot, and how much of the log to keep after one.
 *
 * The replica's Ready loop uses the two pure functions (`snapshotDue`, `catchUpCompactIndex`); the
 * `SnapshotPolicy` class wraps the same trigger with on-demand requests.
 *
 * Trigger: every `snapshotCount` applied entries, and on demand.
 *
 * Default 10 000 entries. etcd used 10 000 until v3.2 and 100 000 since; Concord's state machine
 * is in memory, so a snapshot is a full serialization of it, and the WAL it replaces is replayed at
 * boot: 10 000 keeps boot replay short (at 1 KiB per entry ≈ 10 MiB of WAL) while keeping
 * snapshot frequency low under load. Tunable through `--snapshot-count`.
 */
import { InvalidStorageConfigError } from './errors.js';

export interface SnapshotPolicyOptions {
  /** Applied entries between automatic snapshots. Default 10 000. */
  readonly snapshotCount?: number;
  /** Index of the snapshot the member booted from. Default 0. */
  readonly lastSnapshotIndex?: number;
}

export const SNAPSHOT_POLICY_DEFAULTS = { snapshotCount: 10_000 } as const;

/**
 * Whether a snapshot is due: `snapshotCount` entries applied since `lastSnapshotIndex`, the newest
 * snapshot durable (taken or received). The caller must count from the newest one: a snapshot that
 * became durable but is not yet accounted for would make the next one fire at once.
 */
export function snapshotDue(appliedIndex: number, lastSnapshotIndex: number, snapshotCount: number): boolean {
  return appliedIndex - lastSnapshotIndex >= snapshotCount;
}

/**
 * The index the Raft log is compacted to after a snapshot at `snapshotIndex`: the `keepEntries`
 * entries before it stay (etcd's SnapshotCatchUpEntries), so a follower that fell behind by fewer
 * than that is sent entries, not a snapshot. Counted from the new snapshot only, never from the
 * previous one: otherwise a setting above `snapshotCount` would keep no more than `snapshotCount`.
 */
export function catchUpCompactIndex(snapshotIndex: number, keepEntries: number): number {
  return Math.max(0, snapshotIndex - keepEntries);
}

export class SnapshotPolicy {
  readonly snapshotCount: number;
  private lastIndex: number;
  private requested = false;

  constructor(options: SnapshotPolicyOptions = {}) {
    this.snapshotCount = options.snapshotCount ?? SNAPSHOT_POLICY_DEFAULTS.snapshotCount;
    this.lastIndex = options.lastSnapshotIndex ?? 0;
    if (!Number.isSafeInteger(this.snapshotCount) || this.snapshotCount < 1) {
      throw new InvalidStorageConfigError(
        `snapshotCount must be a positive integer, got ${this.snapshotCount}`,
      );
    }
    if (!Number.isSafeInteger(this.lastIndex) || this.lastIndex < 0) {
      throw new InvalidStorageConfigError(`lastSnapshotIndex must be ≥ 0, got ${this.lastIndex}`);
    }
  }

  /** True when a snapshot at `appliedIndex` is due (and there is something new to snapshot). */
  shouldSnapshot(appliedIndex: number): boolean {
    if (appliedIndex <= this.lastIndex) return false;
    return this.requested || snapshotDue(appliedIndex, this.lastIndex, this.snapshotCount);
  }

  /** Asks for a snapshot at the next opportunity (operator command, before a planned restart). */
  request(): void {
    this.requested = true;
  }

  /** Records that a snapshot at `index` is durable (taken locally or received from the leader). */
  taken(index: number): void {
    if (index > this.lastIndex) this.lastIndex = index;
    this.requested = false;
  }

  get lastSnapshotIndex(): number {
    return this.lastIndex;
  }
}
