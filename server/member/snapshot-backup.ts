/**
 * The client's snapshot (backup) of the state machine, streamed from pinned views instead of
 * serialised whole: `maintenance.snapshot` answers with the total size first, so the size is
 * measured on one view and the bytes are read from a twin view taken at the same instant (same
 * applied index, so the same bytes: StateMachine.beginSnapshot is deterministic). Neither pass
 * holds more than one slice, and both give the event loop back after every slice, so a backup
 * of any size never blocks it for longer than one slice of encoding.
 *
 * The views pin the store's history (physical compaction waits, logical compaction goes on) until
 * the stream ends, is abandoned (`return()` on its iterator, which `for await` calls when it
 * breaks out), or fails.
 *
 * What is streamed is the snapshot file (client/protocol/snapshot-format.ts): the state machine's
 * snapshot framed in checksummed blocks, one framed chunk per slice, so that the client verifies
 * what it received and `concord snapshot status|restore` find damage at its offset.
 */
import { createHash } from 'node:crypto';
import { framedSizeBytes, frameSnapshot } from '../../client/protocol/snapshot-format.js';
import type { StateSnapshotStream } from '../apply/state-snapshot-stream.js';

export interface StreamedBackup {
  /** Bytes of the snapshot file `chunks` yields. */
  readonly sizeBytes: number;
  /** The bytes, one slice at a time (each a copy the consumer may keep). */
  readonly chunks: AsyncIterable<Uint8Array>;
}

/**
 * Starts a backup: `begin()` is called twice at once (the two views), the first is read through to
 * measure it, and the second is returned, to be read as the client takes it.
 */
export async function startStreamedBackup(
  begin: () => StateSnapshotStream,
  signal: AbortSignal | undefined,
  /** Gives the event loop a turn (timers, sockets) between two slices. */
  pause: () => Promise<void>,
): Promise<StreamedBackup> {
  const sizing = begin();
  const source = begin();
  let sizeBytes = 0;
  try {
    for (let slice = sizing.next(); slice !== undefined; slice = sizing.next()) {
      sizeBytes += slice.length;
      await pause();
      // As the replica's waits: the caller's abort reason (the request was cancelled or timed out).
      if (signal?.aborted === true)
        throw signal.reason instanceof Error ? signal.reason : new Error('snapshot aborted');
    }
  } catch (err) {
    sizing.release();
    source.release();
    throw err;
  }
  return {
    sizeBytes: framedSizeBytes(sizeBytes),
    chunks: frameSnapshot(new BackupChunks(source, pause), sizeBytes, createHash('sha256')),
  };
}

/** Iterable once; `return()` (break, error in the consumer, never started) releases the view. */
class BackupChunks implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  private first = true;

  constructor(
    private readonly source: StateSnapshotStream,
    private readonly pause: () => Promise<void>,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (!this.first) await this.pause();
    this.first = false;
    let slice: Uint8Array | undefined;
    try {
      slice = this.source.next();
    } catch (err) {
      this.source.release();
      throw err;
    }
    // The slice is a view of a buffer the next call overwrites.
    return slice === undefined ? { done: true, value: undefined } : { done: false, value: slice.slice() };
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.source.release();
    return Promise.resolve({ done: true, value: undefined });
  }
}
