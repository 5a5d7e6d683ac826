/**
 * The state machine's snapshot as a stream of slices (state-snapshot.ts, version 3): the head
 * (applied index, leases, alarms — copied when the stream is created), then the mvcc store's
 * slices, each a bounded amount of work. Between two `next()` calls the state machine may apply
 * further entries: the stream still yields the state at `appliedIndex`, because the store is
 * pinned (mvcc/store.ts `pinRevision`). A compaction that overtook the pin makes `next()` throw
 * `SnapshotAbortedError` (the caller drops this snapshot and takes another later).
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { StateMachineError, type StorePin, type StoreSnapshotEncoder } from '../mvcc/index.js';

/** A snapshot being streamed could not stay consistent (its view was compacted away). */
export class SnapshotAbortedError extends StateMachineError {
  override readonly name = 'SnapshotAbortedError';
  constructor(index: number) {
    super(
      ErrorCode.Unavailable,
      `apply: the snapshot at index ${index} was abandoned: a compaction overtook it; a later one will be taken`,
    );
  }
}

export class StateSnapshotStream {
  private headSent = false;
  private released = false;

  constructor(
    /** The applied index the snapshot reflects. */
    readonly appliedIndex: number,
    private readonly head: Uint8Array,
    private readonly encoder: StoreSnapshotEncoder,
    private readonly pin: StorePin,
  ) {}

  /**
   * The next slice, or undefined once complete (the pin is then released). A slice is a view the
   * next call may overwrite: write or copy it first.
   */
  next(): Uint8Array | undefined {
    if (this.released) return undefined;
    if (!this.pin.intact) {
      this.release();
      throw new SnapshotAbortedError(this.appliedIndex);
    }
    if (!this.headSent) {
      this.headSent = true;
      return this.head;
    }
    const slice = this.encoder.next();
    if (slice === undefined) this.release();
    return slice;
  }

  /** Stops early (or after the end): lets compaction go on. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.pin.release();
  }
}
