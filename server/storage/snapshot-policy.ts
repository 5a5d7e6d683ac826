/**
 * When to take a snapshot, and how much of the log to keep after one.
 *
 * Trigger (size-relative spacing): a snapshot is due once both
 *   - `snapshotCount` entries were applied since the newest snapshot, and
 *   - the log written since it weighs at least `logRatio` × that snapshot's size,
 * and on demand. The log's weight is each entry's data plus `ENTRY_WEIGHT_OVERHEAD` bytes.
 *
 * Why both. Concord's state machine is in memory, so a snapshot serialises the whole state: S bytes.
 * Spaced by a count alone, each put pays S / snapshotCount bytes of serialisation, a cost that grows
 * with the data (29 KB a put at 1 M keys, 122 KB at 1 GiB, against ~340 bytes of entry; measured in
 * docs/performance.md, "Snapshot spacing"). Spaced by the log's weight as well, each put pays about
 * its own weight / `logRatio`: a constant (the rule of a Redis AOF rewrite or an LSM compaction).
 * The same rule bounds what the spacing costs: the WAL tail replayed at boot and the entries Raft
 * keeps in memory are at most `logRatio` × the state (plus `snapshotCount` entries), so they grow
 * with the state, never faster. The per-entry overhead bounds a run of tiny entries the same way.
 * While the state is small (below `snapshotCount` × entry weight / `logRatio`, ~34 MB at 256-byte
 * values), the count decides, as it always did.
 *
 * `logRatio` 0.1 (docs/storage.md, "Snapshot policy", has the numbers): a put then pays ~3.4 KB of
 * serialisation at any size (~3 % of a member's CPU), Raft's in-memory log and the WAL tail hold at
 * most a tenth of the state, and at 256 MiB of 256-byte values snapshots come every ~90,000
 * entries, where etcd's default count is 100,000.
 *
 * The replica's Ready loop keeps a `SnapshotSpacing`; the pure functions are the rule itself.
 */
import { InvalidStorageConfigError } from './errors.js';

export const SNAPSHOT_POLICY_DEFAULTS = { snapshotCount: 10_000, logRatio: 0.1 } as const;

/**
 * What an entry weighs beyond its data: its WAL frame (26 bytes) and the fixed cost of decoding and
 * applying it at boot, counted as bytes, so that a long run of small entries also cuts snapshots.
 */
export const ENTRY_WEIGHT_OVERHEAD = 64;

/** The weight an entry of `dataBytes` adds to the log (see `ENTRY_WEIGHT_OVERHEAD`). */
export function entryWeight(dataBytes: number): number {
  return dataBytes + ENTRY_WEIGHT_OVERHEAD;
}

/** How far the log has grown past the newest snapshot. */
export interface LogSinceSnapshot {
  readonly appliedIndex: number;
  /** Index of the newest durable snapshot (taken or received). */
  readonly snapshotIndex: number;
  /** Bytes of that snapshot (its file, or the image received). */
  readonly snapshotBytes: number;
  /** Weight (`entryWeight`) of the entries applied after it. */
  readonly logWeight: number;
}

export interface SnapshotSpacingOptions {
  /** Applied entries between automatic snapshots, at least. Default 10 000. */
  readonly snapshotCount?: number;
  /** Log weight between automatic snapshots, at least, as a share of the newest one. Default 0.1. */
  readonly logRatio?: number;
}

/**
 * Whether a snapshot is due (see the file comment). The caller must count from the newest durable
 * snapshot: one that became durable but is not yet accounted for would make the next one fire at once.
 */
export function snapshotDue(since: LogSinceSnapshot, snapshotCount: number, logRatio: number): boolean {
  return (
    since.appliedIndex - since.snapshotIndex >= snapshotCount &&
    since.logWeight >= logRatio * since.snapshotBytes
  );
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

/** A snapshot started at `index`, when the log applied so far weighed `logWeightAt`. */
export interface SnapshotMark {
  readonly index: number;
  readonly logWeightAt: number;
}

/**
 * The spacing state of one member: the log applied since the newest snapshot, that snapshot's
 * size, and on-demand requests. Snapshots are taken in the background, so one is *marked* when
 * it starts (the entries applied until it is durable count towards the next one) and *taken*
 * once durable.
 */
export class SnapshotSpacing {
  readonly snapshotCount: number;
  readonly logRatio: number;
  private snapshotIndex: number;
  private snapshotBytes: number;
  /** Weight of every entry applied since this object was made (monotonic). */
  private appliedWeight = 0;
  /** `appliedWeight` when the newest snapshot's index was applied. */
  private weightAtSnapshot = 0;
  private requested = false;

  constructor(options: SnapshotSpacingOptions & { snapshotIndex?: number; snapshotBytes?: number } = {}) {
    this.snapshotCount = options.snapshotCount ?? SNAPSHOT_POLICY_DEFAULTS.snapshotCount;
    this.logRatio = options.logRatio ?? SNAPSHOT_POLICY_DEFAULTS.logRatio;
    this.snapshotIndex = options.snapshotIndex ?? 0;
    this.snapshotBytes = options.snapshotBytes ?? 0;
    if (!Number.isSafeInteger(this.snapshotCount) || this.snapshotCount < 1) {
      throw new InvalidStorageConfigError(
        `snapshotCount must be a positive integer, got ${this.snapshotCount}`,
      );
    }
    if (!Number.isFinite(this.logRatio) || this.logRatio < 0) {
      throw new InvalidStorageConfigError(`logRatio must be a number ≥ 0, got ${this.logRatio}`);
    }
    if (!Number.isSafeInteger(this.snapshotIndex) || this.snapshotIndex < 0) {
      throw new InvalidStorageConfigError(`snapshotIndex must be ≥ 0, got ${this.snapshotIndex}`);
    }
    if (!Number.isSafeInteger(this.snapshotBytes) || this.snapshotBytes < 0) {
      throw new InvalidStorageConfigError(`snapshotBytes must be ≥ 0, got ${this.snapshotBytes}`);
    }
  }

  /** An entry of `dataBytes` was applied. */
  applied(dataBytes: number): void {
    this.appliedWeight += entryWeight(dataBytes);
  }

  /** The log since the newest snapshot, at `appliedIndex`. */
  since(appliedIndex: number): LogSinceSnapshot {
    return {
      appliedIndex,
      snapshotIndex: this.snapshotIndex,
      snapshotBytes: this.snapshotBytes,
      logWeight: this.appliedWeight - this.weightAtSnapshot,
    };
  }

  /** True when a snapshot at `appliedIndex` is due, or requested (and there is something new). */
  shouldSnapshot(appliedIndex: number): boolean {
    if (appliedIndex <= this.snapshotIndex) return false;
    return this.requested || snapshotDue(this.since(appliedIndex), this.snapshotCount, this.logRatio);
  }

  /** Asks for a snapshot at the next opportunity (operator command, before a planned restart). */
  request(): void {
    this.requested = true;
  }

  /** A snapshot starts at `appliedIndex` (everything up to it applied, nothing after). */
  mark(appliedIndex: number): SnapshotMark {
    return { index: appliedIndex, logWeightAt: this.appliedWeight };
  }

  /** The snapshot started at `mark` is durable, `bytes` long: the next one counts from it. */
  taken(mark: SnapshotMark, bytes: number): void {
    if (mark.index <= this.snapshotIndex) return;
    this.snapshotIndex = mark.index;
    this.snapshotBytes = bytes;
    this.weightAtSnapshot = mark.logWeightAt;
    this.requested = false;
  }

  /** A snapshot at `index`, `bytes` long, replaced the state (received from the leader). */
  restored(index: number, bytes: number): void {
    this.taken(this.mark(index), bytes);
  }

  get lastSnapshotIndex(): number {
    return this.snapshotIndex;
  }

  get lastSnapshotBytes(): number {
    return this.snapshotBytes;
  }
}
