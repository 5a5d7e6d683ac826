/**
 * Streams one MsgSnap to one peer over a dedicated `/raft/snapshot` WebSocket, so a multi-MB
 * snapshot never sits in front of heartbeats on the message stream:
 *
 *   dial + Hello → SnapBegin(MsgSnap without data, totalBytes) → SnapChunk × n → SnapEnd(crc32) → ← SnapAck
 *
 * The data comes from a `SnapshotBody` (the member's snapshot file, or the MsgSnap's own data),
 * read `snapshotChunkBytes` at a time: a chunk is read only when the socket has taken the previous
 * one, so the sender holds about one chunk whatever the snapshot's size, and the event loop runs
 * between two chunks. SnapEnd carries the CRC-32 of all the data, which the receiver checks before
 * it installs anything. The transfer fails when the dial fails, a read fails (a body that finds
 * its file corrupt), the connection closes before the ack, the receiver acks a failure, or nothing
 * progresses for `snapshotIdleTimeoutMs`; a retry starts over from byte 0 on a new connection.
 * `onDone` is called exactly once (unless the transfer is aborted by shutdown), and the owner
 * reports it to Raft through `onSnapshotStatus`.
 */
import { crc32 } from 'node:zlib';
import type WebSocket from 'ws';
import type { MsgSnap } from '../raft/types.js';
import type { TimerHandle } from '../platform/timers.js';
import { decodeFrame, encodeFrame } from './codec.js';
import { describeCause, rawDataBytes, type TransportContext } from './context.js';
import { Dial } from './dialer.js';
import { PeerProtocolError } from './errors.js';
import { Channel, CloseCode } from './handshake.js';
import { memoryBody, type SnapshotBody } from './snapshot-io.js';

export class SnapshotSender {
  private dial: Dial | undefined;
  private ws: WebSocket | undefined;
  private idleTimer: TimerHandle | undefined;
  private finished = false;
  private readonly body: SnapshotBody;

  constructor(
    private readonly ctx: TransportContext,
    private readonly peerId: number,
    private readonly transferId: number,
    private readonly message: MsgSnap,
    private readonly onDone: (ok: boolean, reason: string) => void,
    body?: SnapshotBody,
  ) {
    this.body = body ?? memoryBody(message.snapshot.data);
  }

  start(url: URL): void {
    this.ctx.logger.info('sending snapshot', {
      peer: this.peerId,
      transfer: this.transferId,
      index: this.message.snapshot.metadata.index,
      bytes: this.body.size,
    });
    try {
      this.dial = new Dial(this.ctx, url, Channel.Snapshot, this.peerId, {
        onReady: (ws) => this.onReady(ws),
        onFail: (reason) => this.finish(false, `dial failed: ${reason}`),
      });
    } catch (err) {
      // Reported on a later macrotask: the owner is inside `send()` and must not be re-entered.
      setImmediate(() => this.finish(false, `dial failed: ${describeCause(err)}`));
    }
  }

  /** Stops without reporting (shutdown). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup(false);
  }

  /** Stops and reports a failure (peer removed, superseded). */
  cancel(reason: string): void {
    this.finish(false, reason);
  }

  private onReady(ws: WebSocket): void {
    this.dial = undefined;
    this.ws = ws;
    ws.on('close', (code: number, reason: Buffer) =>
      this.finish(false, `connection closed before ack (${code} ${reason.toString()})`),
    );
    ws.on('error', (err: Error) =>
      this.ctx.logger.debug('snapshot socket error', { peer: this.peerId, err: describeCause(err) }),
    );
    ws.on('message', (data: WebSocket.RawData) => this.onAck(rawDataBytes(data)));
    const begin = {
      ...this.message,
      snapshot: { metadata: this.message.snapshot.metadata, data: new Uint8Array(0) },
    };
    this.touch();
    ws.send(
      encodeFrame({
        kind: 'snapBegin',
        transferId: this.transferId,
        totalBytes: this.body.size,
        message: begin,
      }),
    );
    void this.pump(ws);
  }

  /** Read a chunk, send it, wait until the socket took it, next; then SnapEnd. Never rejects. */
  private async pump(ws: WebSocket): Promise<void> {
    const size = this.body.size;
    let crc = 0;
    let offset = 0;
    while (offset < size) {
      let data: Uint8Array;
      try {
        data = await this.body.read(offset, Math.min(size - offset, this.ctx.options.snapshotChunkBytes));
      } catch (err) {
        this.finish(false, `read failed: ${describeCause(err)}`);
        return;
      }
      if (this.finished) return;
      if (data.length === 0) {
        this.finish(false, `read failed: the snapshot ended at ${offset} of ${size} bytes`);
        return;
      }
      crc = crc32(data, crc);
      const frame = encodeFrame({ kind: 'snapChunk', transferId: this.transferId, offset, data });
      offset += data.length;
      if (!(await this.write(ws, frame))) return;
      this.touch();
    }
    if (await this.write(ws, encodeFrame({ kind: 'snapEnd', transferId: this.transferId, crc32: crc }))) {
      this.touch();
    }
  }

  /** Sends a frame; resolves once the socket took it (true) or the transfer is over (false). */
  private write(ws: WebSocket, frame: Uint8Array): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.finished) {
        resolve(false);
        return;
      }
      ws.send(frame, (err) => {
        if (err !== undefined && err !== null) this.finish(false, `write failed: ${describeCause(err)}`);
        resolve(!this.finished);
      });
    });
  }

  private onAck(bytes: Uint8Array): void {
    let frame;
    try {
      frame = decodeFrame(bytes, this.ctx.options.maxFrameBytes);
    } catch (err) {
      if (!(err instanceof PeerProtocolError)) throw err;
      this.finish(false, `bad ack: ${err.code}`);
      return;
    }
    if (frame.kind !== 'snapAck' || frame.transferId !== this.transferId) {
      this.finish(false, `unexpected ${frame.kind} frame instead of the ack`);
      return;
    }
    this.finish(frame.ok, frame.ok ? 'acknowledged' : `receiver refused: ${frame.reason}`);
  }

  /** Progress: restart the idle timer. */
  private touch(): void {
    if (this.idleTimer !== undefined) this.ctx.timers.clearTimeout(this.idleTimer);
    const ms = this.ctx.options.snapshotIdleTimeoutMs;
    this.idleTimer = this.ctx.timers.setTimeout(() => {
      this.idleTimer = undefined;
      this.finish(false, `no progress for ${ms} ms`);
    }, ms);
  }

  private finish(ok: boolean, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.cleanup(true);
    this.onDone(ok, reason);
  }

  private cleanup(graceful: boolean): void {
    this.body.close();
    this.dial?.abort();
    this.dial = undefined;
    if (this.idleTimer !== undefined) this.ctx.timers.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const ws = this.ws;
    this.ws = undefined;
    if (ws !== undefined) {
      ws.removeAllListeners('close');
      ws.removeAllListeners('message');
      if (graceful && ws.readyState === ws.OPEN) ws.close(CloseCode.Normal, 'snapshot transfer over');
      else ws.terminate();
    }
  }
}
