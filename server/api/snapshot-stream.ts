/**
 * The snapshot stream of one WebSocket connection (docs/protocol.md §6.3; at most one open): the
 * backend's snapshot bytes re-cut into chunks of `snapshotChunkBytes`, each sent only when the
 * connection is not congested (paced by the socket's drain), then `end`. A snapshot that yields
 * more or fewer bytes than it announced ends with INTERNAL, so the client discards it.
 */
import { encodeFrame, type ErrorBody, type ResponseHeader } from '../../client/protocol/index.js';
import type { BackendSnapshot } from './backend.js';
import { toErrorBody } from './errors.js';
import { rechunk } from './rechunk.js';

export interface SnapshotHost {
  send(text: string): boolean;
  /** Resolves when the connection can take more (or is closed). */
  whenWritable(): Promise<void>;
  isOpen(): boolean;
  onInternal(err: unknown): void;
  /** The stream ended (normally or not). */
  ended(): void;
}

export class SnapshotStream {
  private readonly abort = new AbortController();
  private done = false;

  constructor(
    readonly id: number,
    private readonly host: SnapshotHost,
    private readonly chunkBytes: number,
  ) {}

  /** Sends the chunks, then `end`; returns once the stream is over. Never rejects. */
  async pump(snap: BackendSnapshot): Promise<void> {
    const signal = this.abort.signal;
    let remaining = snap.sizeBytes;
    try {
      for await (const blob of rechunk(snap.chunks, this.chunkBytes)) {
        await this.host.whenWritable();
        if (signal.aborted || !this.host.isOpen()) return;
        remaining -= blob.length;
        if (remaining < 0) throw new Error(`snapshot is larger than the announced ${snap.sizeBytes} bytes`);
        this.sendChunk(snap.header, remaining, blob);
      }
      if (signal.aborted) return;
      if (remaining !== 0) throw new Error(`snapshot ended ${remaining} bytes short of ${snap.sizeBytes}`);
      this.end(undefined);
    } catch (err) {
      if (!signal.aborted) this.end(toErrorBody(err, (e) => this.host.onInternal(e)));
    }
  }

  /** Ends the stream now (client cancel, shutdown: with an error; connection gone: no frame). */
  end(error: ErrorBody | undefined, sendFrame = true): void {
    if (this.done) return;
    this.done = true;
    this.abort.abort();
    if (sendFrame) {
      this.host.send(
        encodeFrame(error === undefined ? { type: 'end', id: this.id } : { type: 'end', id: this.id, error }),
      );
    }
    this.host.ended();
  }

  private sendChunk(header: ResponseHeader, remainingBytes: number, blob: Uint8Array): void {
    this.host.send(
      encodeFrame({ type: 'snapshot', id: this.id, result: { header, remainingBytes, blob, version: '' } }),
    );
  }
}
