/**
 * The maintenance seam of a WebSocket session: `maintenance.snapshot` opens the connection's one
 * snapshot stream (snapshot-stream.ts sends the chunks) once its first response is sent. The other
 * maintenance and cluster methods are unary (dispatch.ts).
 */
import type { ErrorBody, Method, MethodResult } from '../../client/protocol/index.js';
import type { CallOptions, ClientBackend } from './backend.js';
import { tooManyStreams } from './session-lease.js';
import { SnapshotStream, type SnapshotHost } from './snapshot-stream.js';

export class SessionSnapshots {
  /** The open snapshot stream (at most one per connection). */
  private stream: SnapshotStream | undefined;

  constructor(
    private readonly backend: ClientBackend,
    private readonly host: Omit<SnapshotHost, 'ended'>,
    private readonly chunkBytes: number,
  ) {}

  has(id: number): boolean {
    return this.stream?.id === id;
  }

  /** Ends the open stream (cancel, shutdown: with an error; connection gone: no frame). */
  end(error: ErrorBody | undefined, sendFrame = true): void {
    this.stream?.end(error, sendFrame);
  }

  async open(
    id: number,
    options: CallOptions,
    respond: (result: MethodResult<'maintenance.snapshot'>) => boolean,
  ): Promise<void> {
    const snap = await this.backend.snapshot(options);
    const sent = respond({
      header: snap.header,
      remainingBytes: snap.sizeBytes,
      blob: new Uint8Array(0),
      version: snap.version,
    });
    if (!sent) {
      // Never iterated: let the backend release what it holds for the stream (a pinned view).
      await snap.chunks[Symbol.asyncIterator]().return?.();
      return;
    }
    const stream = new SnapshotStream(
      id,
      {
        ...this.host,
        ended: () => {
          if (this.stream === stream) this.stream = undefined;
        },
      },
      this.chunkBytes,
    );
    this.stream = stream;
    // The stream runs on after the opening request is answered (it no longer counts as in flight).
    void stream.pump(snap);
  }

  /** TOO_MANY_STREAMS while a snapshot stream is open or one is opening (`inFlight`, by id). */
  refusal(inFlight: ReadonlyMap<number, Method>): ErrorBody | undefined {
    let opening = false;
    for (const method of inFlight.values()) if (method === 'maintenance.snapshot') opening = true;
    return this.stream !== undefined || opening ? tooManyStreams('snapshot streams', 1) : undefined;
  }
}
