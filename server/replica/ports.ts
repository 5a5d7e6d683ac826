/**
 * What the replica needs from the rest of the member, each as narrow as the replica's use of it.
 * The Node composition root and the simulator provide different implementations.
 */
import type { Clock } from '../platform/clock.js';
import type { Random } from '../platform/random.js';
import type { Timers } from '../platform/timers.js';
import type { Entry, HardState, Message, MsgSnap, Snapshot, SnapshotMetadata } from '../raft/types.js';

/** Durable Raft state. Each promise resolves only once the data is fsynced (unless told otherwise). */
export interface ReplicaStorage {
  /**
   * Persist a Ready's snapshot (if any), then entries (overwriting from the first), then hard
   * state. With `mustSync: false` (only the commit index changed) it may resolve before an fsync.
   */
  save(update: {
    readonly hardState: HardState | undefined;
    readonly entries: readonly Entry[];
    readonly snapshot: Snapshot | undefined;
    readonly mustSync?: boolean;
  }): Promise<void>;
  /** Persist a snapshot this member took itself; older WAL segments may then be released. */
  saveSnapshot(snapshot: Snapshot): Promise<void>;
  /**
   * Optional (with `loadSnapshot`), preferred when the state machine has `beginSnapshot`: persist a
   * snapshot this member took itself, its data pulled from `next()` a slice at a time (undefined:
   * the end; a slice is used up before the next is pulled) in the background, the caller going on
   * meanwhile. Resolves once it is durable (its WAL marker too). An error `next()` throws is
   * rethrown. The data is not kept: `loadSnapshot` reads it back.
   */
  saveSnapshotStream?(metadata: SnapshotMetadata, next: () => Uint8Array | undefined): Promise<void>;
  /** The snapshot written by `saveSnapshotStream` at `metadata`, read back (to send to a follower). */
  loadSnapshot?(metadata: SnapshotMetadata): Promise<Snapshot>;
  /**
   * Optional, preferred over `loadSnapshot` when the peers take `sendSnapshotStream`: the data of
   * the snapshot file at `metadata`, to be read slice by slice while it is sent.
   */
  openSnapshot?(metadata: SnapshotMetadata): Promise<SnapshotReader>;
}

/** A snapshot's data read slice by slice (in order from 0: it may verify its checksum on the way). */
export interface SnapshotReader {
  readonly size: number;
  /** `length` bytes at `offset` (fewer only past the end); rejects when the data is found corrupt. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): void;
}

/** A snapshot being serialised slice by slice while the state machine goes on applying. */
export interface SnapshotSource {
  /**
   * The next slice — a small bounded amount of work — or undefined when complete. Whatever was
   * applied since `beginSnapshot`, the slices together are the state at that moment. Throws when
   * the view could not be kept (the snapshot is then abandoned and a later one taken). A slice
   * may be overwritten by the next call: write or copy it first.
   */
  next(): Uint8Array | undefined;
  /** Abandons the snapshot, or ends it after the last slice; idempotent. */
  release(): void;
}

/** The deterministic state machine committed entries are applied to. */
export interface StateMachine<R> {
  /** Apply one committed command. Must be deterministic and synchronous. */
  apply(index: number, command: Uint8Array): R;
  /** Serialize the whole state (taken at the last applied index). */
  snapshot(): Uint8Array;
  /**
   * Optional, preferred: a consistent view of the state at the last applied index, taken in time
   * that does not grow with the data, serialised later slice by slice (same bytes as `snapshot()`).
   */
  beginSnapshot?(): SnapshotSource;
  /** Replace the whole state with a snapshot taken at `index`. */
  restore(data: Uint8Array, index: number): void;
}

export interface PeerSender {
  /** Never blocks and never throws: messages that cannot be delivered are dropped (Raft retries). */
  send(messages: readonly Message[]): void;
  /**
   * Optional: sends a MsgSnap whose data is read from `body` as it goes out rather than carried by
   * the message, so the sender never holds the whole snapshot. Closes `body` when done.
   */
  sendSnapshotStream?(message: MsgSnap, body: SnapshotReader): void;
  /**
   * Optional: whether the connection to `peer` was closed by its side (reset or FIN) and is not
   * back yet, so that a message sent to it now would be lost for certain. Silence is not closure.
   */
  connectionClosed?(peer: number): boolean;
}

export interface ReplicaPlatform {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
}
