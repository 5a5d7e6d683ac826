/**
 * Streams one MsgSnap to one peer over a dedicated `/raft/snapshot` WebSocket, so a multi-MB
 * snapshot never sits in front of heartbeats on the message stream:
 *
 *   dial + Hello → SnapBegin(MsgSnap without data, totalBytes) → SnapChunk × n → SnapEnd → ← SnapAck
 *
 * Chunks are `snapshotChunkBytes` long and written one at a time: the next is encoded only when
 * the socket has taken the previous one, so memory stays at about one chunk. The transfer fails
 * when the dial fails, the connection closes before the ack, the receiver acks a failure, or
 * nothing progresses for `snapshotIdleTimeoutMs`. `onDone` is called exactly once (unless the
 * transfer is aborted by shutdown), and the owner reports it to Raft through `onSnapshotStatus`.
 */
import type WebSocket from 'ws';
import type { MsgSnap } from '../raft/types.js';
import type { TimerHandle } from '../platform/timers.js';
import { decodeFrame, encodeFrame } from './codec.js';
import { describeCause, rawDataBytes, type TransportContext } from './context.js';
import { Dial } from './dialer.js';
import { PeerProtocolError } from './errors.js';
import { Channel, CloseCode } from './handshake.js';

export class SnapshotSender {
  private dial: Dial | undefined;
  private ws: WebSocket | undefined;
  private idleTimer: TimerHandle | undefined;
  private offset = 0;
  private finished = false;
  private readonly data: Uint8Array;

  constructor(
    private readonly ctx: TransportContext,
    private readonly peerId: number,
    private readonly transferId: number,
    private readonly message: MsgSnap,
    private readonly onDone: (ok: boolean, reason: string) => void,
  ) {
    this.data = message.snapshot.data;
  }

  start(url: URL): void {
    this.ctx.logger.info('sending snapshot', {
      peer: this.peerId,
      transfer: this.transferId,
      index: this.message.snapshot.metadata.index,
      bytes: this.data.length,
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
        totalBytes: this.data.length,
        message: begin,
      }),
    );
    this.sendNext();
  }

  private sendNext(): void {
    const ws = this.ws;
    if (this.finished || ws === undefined) return;
    if (this.offset >= this.data.length) {
      ws.send(encodeFrame({ kind: 'snapEnd', transferId: this.transferId }), this.afterWrite);
      return;
    }
    const end = Math.min(this.data.length, this.offset + this.ctx.options.snapshotChunkBytes);
    const frame = encodeFrame({
      kind: 'snapChunk',
      transferId: this.transferId,
      offset: this.offset,
      data: this.data.subarray(this.offset, end),
    });
    this.offset = end;
    ws.send(frame, (err) => {
      if (err !== undefined && err !== null) {
        this.finish(false, `write failed: ${describeCause(err)}`);
        return;
      }
      this.touch();
      this.sendNext();
    });
  }

  private readonly afterWrite = (err?: Error | null): void => {
    if (err !== undefined && err !== null) this.finish(false, `write failed: ${describeCause(err)}`);
    else this.touch();
  };

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
