/**
 * The state machine's snapshot as a stream of slices (state-snapshot.ts, version 3): the head
 * (applied index, leases, alarms — copied when the stream is created), then the mvcc store's
 * slices, each a bounded amount of work. Between two `next()` calls the state machine may apply
 * further entries — compactions included — and the stream still yields the state at
 * `appliedIndex`: the store is pinned (mvcc/store.ts `pinRevision`), so physical compaction waits.
 */
import type { StorePin, StoreSnapshotEncoder } from '../mvcc/index.js';

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
