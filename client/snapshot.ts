/**
 * A backup over the SDK: `snapshotStream(core)` asks one member for `maintenance.snapshot` and
 * hands back the snapshot file (client/protocol/snapshot-format.ts) as an async iterator of byte
 * chunks, verified as they arrive: each block's CRC-32C when the block is complete, and at the end
 * the end record, the announced size and the whole-payload checksum. The iterator completes
 * normally only once all of that holds; a file whose iteration threw must be discarded (write to a
 * temporary name and rename only after the loop ends, as `concord snapshot save` does).
 *
 * ```ts
 * const snap = await snapshotStream(core, { signal });
 * for await (const chunk of snap) await file.write(chunk);
 * console.log(snap.header.revision, snap.summary?.checksum);
 * ```
 *
 * Errors (thrown by `snapshotStream` or by the iterator):
 * - `SnapshotCorruptError` (code CORRUPT, `offset` in the file): the bytes do not match their
 *   checksums, or the stream ended early or ran past the announced size;
 * - the member's answer (UNAVAILABLE when it is stopping, TOO_MANY_STREAMS, ...), as ClientErrors;
 * - `ConnectionLostError` when the connection drops mid-stream (a snapshot does not resume: take
 *   it again);
 * - `signal.reason` when the caller aborts (the stream is cancelled on the member).
 *
 * Breaking out of `for await` cancels the stream on the member (its pinned view is released).
 * The stream stays on the member it started on: should the client move meanwhile (to the leader,
 * away from a member going away), the old connection stays open until the stream is over.
 */
import type { Connection, StreamHandler } from './connection.js';
import type { ClientCore } from './core.js';
import { ClientError, errorFromBody } from './errors.js';
import {
  SnapshotFileError,
  SnapshotFileReader,
  type ErrorBody,
  type ResponseHeader,
  type SnapshotFileProblem,
  type SnapshotFileSummary,
  type SnapshotFrame,
  type KeepAliveFrame,
  type WatchFrame,
} from './protocol/index.js';
import { QueuedIterator } from './queued-iterator.js';
import { onAbort } from './util.js';

export interface SnapshotStreamOptions {
  readonly signal?: AbortSignal | undefined;
}

/** A snapshot being received: iterate it once for the file's bytes. */
export interface SnapshotDownload extends AsyncIterableIterator<Uint8Array> {
  /** The serving member's header at the snapshot's point in time (`revision`: the snapshot's). */
  readonly header: ResponseHeader;
  /** Bytes of the whole file, as the member announced them. */
  readonly totalBytes: number;
  /** Bytes handed to the consumer so far. */
  readonly receivedBytes: number;
  /** Once the iteration completed normally: the verified file's size and checksum. */
  readonly summary: SnapshotFileSummary | undefined;
}

/** The snapshot's bytes are not what the member sent (or the stream ended early). Not retryable as is. */
export class SnapshotCorruptError extends ClientError {
  override name = 'SnapshotCorruptError';
  constructor(
    readonly problem: SnapshotFileProblem | 'size',
    /** Offset in the file where the problem was found. */
    readonly offset: number,
    message: string,
    cause?: unknown,
  ) {
    super('CORRUPT', message, cause === undefined ? {} : { cause });
  }
}

/**
 * Opens a snapshot stream on the current connection (dialling if need be) and resolves once the
 * member has announced it (header and size); the chunks are then read from the result.
 */
export async function snapshotStream(
  core: ClientCore,
  options: SnapshotStreamOptions = {},
): Promise<SnapshotDownload> {
  const { signal } = options;
  signal?.throwIfAborted();
  const conn = await core.connection(signal);
  const download = new Download(conn, signal);
  try {
    const opened = await conn.request(
      'maintenance.snapshot',
      {},
      { stream: download.handler, onId: (id) => download.setId(id), signal },
    );
    download.open(opened.header, opened.remainingBytes);
    return download;
  } catch (err) {
    download.dispose();
    throw err;
  }
}

class Download implements SnapshotDownload {
  header!: ResponseHeader;
  totalBytes = 0;
  receivedBytes = 0;
  summary: SnapshotFileSummary | undefined;
  private id = 0;
  /** Bytes that arrived (verified up to the last complete block before being queued). */
  private arrivedBytes = 0;
  private readonly reader = new SnapshotFileReader();
  private readonly queue: QueuedIterator<Uint8Array>;
  private finished = false;
  /**
   * Frames that arrived before `open` (the connection may hand them over before the caller's
   * `await` of the opening answer resumes): checked once the announced size is known.
   */
  private early: SnapshotFrame[] | undefined = [];
  private earlyEnd: { readonly error: ErrorBody | undefined } | undefined;
  private readonly unsubscribe: () => void;
  /** Keeps the connection open should the client move to another member meanwhile. */
  private readonly release: () => void;
  readonly handler: StreamHandler;

  constructor(
    private readonly conn: Connection,
    signal: AbortSignal | undefined,
  ) {
    this.queue = new QueuedIterator<Uint8Array>(
      () => this.cancel(),
      (chunk) => {
        this.receivedBytes += chunk.length;
      },
    );
    this.release = conn.hold();
    this.handler = {
      onFrame: (frame) => this.onFrame(frame),
      onEnd: (error) => this.onEnd(error),
      onLost: (error) => this.fail(error),
    };
    this.unsubscribe =
      signal === undefined
        ? () => undefined
        : onAbort(signal, () => {
            this.cancel();
            this.fail(signal.reason);
          });
  }

  setId(id: number): void {
    this.id = id;
  }

  open(header: ResponseHeader, totalBytes: number): void {
    this.header = header;
    this.totalBytes = totalBytes;
    const early = this.early;
    this.early = undefined;
    for (const frame of early ?? []) this.onFrame(frame);
    if (this.earlyEnd !== undefined) this.onEnd(this.earlyEnd.error);
  }

  dispose(): void {
    this.finished = true;
    this.unsubscribe();
    this.release();
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    this.queue[Symbol.asyncIterator]();
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    return this.queue.next();
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.cancel();
    this.dispose();
    return this.queue.return();
  }

  private onFrame(frame: WatchFrame | KeepAliveFrame | SnapshotFrame): void {
    if (this.finished || frame.type !== 'snapshot') return;
    if (this.early !== undefined) {
      this.early.push(frame);
      return;
    }
    const { blob, remainingBytes } = frame.result;
    const at = this.arrivedBytes;
    this.arrivedBytes += blob.length;
    if (this.arrivedBytes + remainingBytes !== this.totalBytes) {
      this.cancel();
      this.fail(
        new SnapshotCorruptError(
          'size',
          at,
          `snapshot chunk at offset ${at} says ${remainingBytes} bytes remain, but ${this.totalBytes - this.arrivedBytes} of the announced ${this.totalBytes} do`,
        ),
      );
      return;
    }
    try {
      this.reader.push(blob);
    } catch (err) {
      this.cancel();
      this.fail(corrupt(err));
      return;
    }
    this.queue.push(blob);
  }

  private onEnd(error: ErrorBody | undefined): void {
    if (this.finished) return;
    if (this.early !== undefined) {
      this.earlyEnd = { error };
      return;
    }
    if (error !== undefined) {
      this.fail(errorFromBody(error, 'snapshot'));
      return;
    }
    if (this.arrivedBytes !== this.totalBytes) {
      this.fail(
        new SnapshotCorruptError(
          'size',
          this.arrivedBytes,
          `snapshot stream ended after ${this.arrivedBytes} of the announced ${this.totalBytes} bytes`,
        ),
      );
      return;
    }
    try {
      this.summary = this.reader.finish();
    } catch (err) {
      this.fail(corrupt(err));
      return;
    }
    this.dispose();
    this.queue.stop();
  }

  private fail(error: unknown): void {
    if (this.finished) return;
    this.dispose();
    this.queue.stop(error);
  }

  /** Stops the member's side (break, abort, a damaged chunk); the `end` it answers is ignored. */
  private cancel(): void {
    if (this.id !== 0) this.conn.detachStream(this.id);
  }
}

function corrupt(err: unknown): ClientError {
  if (err instanceof SnapshotFileError)
    return new SnapshotCorruptError(err.problem, err.offset, err.message, err);
  return new ClientError('INTERNAL', `snapshot: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
  });
}
