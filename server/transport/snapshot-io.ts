/**
 * Where a snapshot transfer reads its data from and writes it to, so that neither end has to hold
 * the whole snapshot while it crosses the network:
 *
 * - a `SnapshotBody` is read slice by slice by the sender (the member's: its snapshot file);
 * - a `SnapshotSink` takes the received chunks as they arrive (the member's: a temporary file in
 *   its snap directory) and, once the transfer is complete and its checksum verified, makes them
 *   durable and hands back the data delivered to Raft in the MsgSnap.
 *
 * Without them (tests, a MsgSnap that carries its data) the data is read from and assembled in
 * memory, as `memoryBody` and `memorySink` do.
 */
import type { MsgSnap } from '../raft/types.js';

export interface SnapshotBody {
  /** Bytes of snapshot data. */
  readonly size: number;
  /**
   * The `length` bytes at `offset` (fewer only past the end). The sender reads in order from 0, so
   * a body may verify what it reads as it goes and reject the read that reaches a bad end.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /** The transfer is over (whatever its outcome): release what the body holds. Idempotent. */
  close(): void;
}

export interface SnapshotSink {
  /** Takes the next chunk (written in order; it is the sink's to keep). */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Every chunk was written and the transfer's checksum matched: make the snapshot durable and
   * resolve with the data the MsgSnap delivered to Raft carries.
   */
  finish(): Promise<Uint8Array>;
  /** The transfer failed or was refused: discard what was written. Idempotent, never throws. */
  abort(): void;
}

/** Opens the sink of one incoming transfer (`totalBytes` of data for `message`). */
export type SnapshotSinkFactory = (message: MsgSnap, totalBytes: number) => SnapshotSink;

/** A body over data in memory (a MsgSnap that carries its snapshot). */
export function memoryBody(data: Uint8Array): SnapshotBody {
  return {
    size: data.length,
    read: (offset, length) => Promise.resolve(data.subarray(offset, Math.min(data.length, offset + length))),
    close: () => undefined,
  };
}

/** A sink that assembles the data in one buffer of the declared size. */
export function memorySink(totalBytes: number): SnapshotSink {
  let buffer: Uint8Array | undefined = new Uint8Array(totalBytes);
  let filled = 0;
  return {
    write: (chunk) => {
      if (buffer === undefined) return Promise.reject(new Error('snapshot sink aborted'));
      buffer.set(chunk, filled);
      filled += chunk.length;
      return Promise.resolve();
    },
    finish: () => {
      if (buffer === undefined) return Promise.reject(new Error('snapshot sink aborted'));
      return Promise.resolve(buffer);
    },
    abort: () => {
      buffer = undefined;
    },
  };
}
