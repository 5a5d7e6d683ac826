/**
 * The acceptor side of the two channels, after the handshake was accepted and Hello sent.
 *
 * - `InboundStream` decodes Messages frames and delivers each Raft message whose `from` is the
 *   handshake's sender and whose `to` is this member; anything else on the stream is a protocol
 *   error that closes it (the dialer redials; Raft retries).
 * - `InboundSnapshot` passes one snapshot transfer's chunks to a `SnapshotSink` as they arrive (the
 *   member's writes them to a temporary file; by default they are assembled in memory), refuses a
 *   declared size above `maxSnapshotBytes`, checks that chunks arrive in order without gaps or
 *   overrun and that their CRC-32 matches SnapEnd's, lets the sink make it durable, delivers the
 *   complete MsgSnap, then acks. Anything else discards what was received (the sink's `abort`).
 *   The socket stops reading while the sink lags by a few chunks. A transfer that stalls for
 *   `snapshotIdleTimeoutMs` is closed.
 */
import { crc32 } from 'node:zlib';
import type WebSocket from 'ws';
import type { Message, MsgSnap } from '../raft/types.js';
import type { TimerHandle } from '../platform/timers.js';
import { decodeFrame, encodeFrame, type Frame } from './codec.js';
import { describeCause, rawDataBytes, type TransportContext } from './context.js';
import { PeerProtocolError, PeerProtocolErrorCode } from './errors.js';
import { CloseCode } from './handshake.js';
import { memorySink, type SnapshotSink, type SnapshotSinkFactory } from './snapshot-io.js';

export interface InboundHooks {
  /** Hands one validated message to Raft (counts it). */
  deliver(message: Message, frameBytes: number): void;
  protocolError(from: number, err: PeerProtocolError): void;
  snapshotReceived(from: number): void;
  /** Called once when the connection is gone, whatever the reason. */
  closed(): void;
}

abstract class InboundConnection {
  private isClosed = false;

  constructor(
    protected readonly ctx: TransportContext,
    protected readonly ws: WebSocket,
    readonly from: number,
    protected readonly hooks: InboundHooks,
  ) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.isClosed) return;
      try {
        if (!isBinary) {
          throw new PeerProtocolError(PeerProtocolErrorCode.UnexpectedFrame, 'text frame on a peer channel');
        }
        const bytes = rawDataBytes(data);
        this.onFrame(decodeFrame(bytes, ctx.options.maxFrameBytes), bytes.length);
      } catch (err) {
        if (!(err instanceof PeerProtocolError)) throw err;
        hooks.protocolError(from, err);
        this.close(CloseCode.ProtocolError, err.code);
      }
    });
    ws.on('error', (err: Error) =>
      ctx.logger.debug('inbound peer socket error', { peer: from, err: describeCause(err) }),
    );
    ws.on('close', () => this.onClosed());
  }

  protected abstract onFrame(frame: Frame, frameBytes: number): void;

  protected onClosed(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.hooks.closed();
  }

  /** Closes with a code the dialer can log; `terminate` skips the closing handshake (shutdown). */
  close(code: number, reason: string, terminate = false): void {
    if (terminate) this.ws.terminate();
    else this.ws.close(code, reason);
    this.onClosed();
  }

  /** A frame that parsed but does not belong here. */
  protected unexpected(message: string): never {
    throw new PeerProtocolError(PeerProtocolErrorCode.UnexpectedFrame, message);
  }

  /** Both ends of a peer message must match the handshake: a peer cannot speak for another. */
  protected checkAddressing(m: Message): void {
    if (m.from !== this.from || m.to !== this.ctx.options.memberId) {
      this.unexpected(
        `${m.type} ${m.from}->${m.to} on the stream from ${this.from} to ${this.ctx.options.memberId}`,
      );
    }
  }
}

export class InboundStream extends InboundConnection {
  protected onFrame(frame: Frame, frameBytes: number): void {
    if (frame.kind !== 'messages') this.unexpected(`${frame.kind} frame on the message stream`);
    for (const m of frame.messages) this.checkAddressing(m);
    // Delivered only after the whole frame validated: a bad frame delivers nothing.
    const messages = frame.messages;
    for (let i = 0; i < messages.length; i++)
      this.hooks.deliver(messages[i] as Message, i === 0 ? frameBytes : 0);
  }
}

type SnapState =
  | { readonly phase: 'awaitBegin' }
  | {
      readonly phase: 'receiving';
      readonly transferId: number;
      readonly message: MsgSnap;
      readonly totalBytes: number;
      readonly sink: SnapshotSink;
      received: number;
      crc: number;
    }
  /** SnapEnd checked: the sink is making it durable, then it is delivered and acked. */
  | { readonly phase: 'installing'; readonly sink: SnapshotSink }
  | { readonly phase: 'done' };

/** Chunks queued for the sink beyond which the socket stops reading (backpressure to the sender). */
const MAX_QUEUED_CHUNKS = 4;

export class InboundSnapshot extends InboundConnection {
  private state: SnapState = { phase: 'awaitBegin' };
  private idleTimer: TimerHandle | undefined;
  /** The sink's writes, in order; a failure ends the transfer. */
  private writing: Promise<void> = Promise.resolve();
  private queued = 0;
  private paused = false;

  constructor(
    ctx: TransportContext,
    ws: WebSocket,
    from: number,
    hooks: InboundHooks,
    private readonly openSink: SnapshotSinkFactory = (_m, totalBytes) => memorySink(totalBytes),
  ) {
    super(ctx, ws, from, hooks);
    this.touch();
  }

  protected onFrame(frame: Frame, frameBytes: number): void {
    this.touch();
    const st = this.state;
    switch (frame.kind) {
      case 'snapBegin':
        if (st.phase !== 'awaitBegin') this.unexpected('second snapshot begin');
        this.begin(frame.transferId, frame.totalBytes, frame.message);
        return;
      case 'snapChunk': {
        if (st.phase !== 'receiving' || frame.transferId !== st.transferId)
          this.unexpected('chunk outside a transfer');
        if (frame.offset !== st.received)
          this.unexpected(`chunk at offset ${frame.offset}, expected ${st.received}`);
        if (st.received + frame.data.length > st.totalBytes)
          this.unexpected('chunk beyond the declared size');
        st.received += frame.data.length;
        st.crc = crc32(frame.data, st.crc);
        this.enqueue(st.sink, frame.data);
        this.ctx.logger.debug('snapshot chunk received', {
          peer: this.from,
          received: st.received,
          of: st.totalBytes,
        });
        return;
      }
      case 'snapEnd': {
        if (st.phase !== 'receiving' || frame.transferId !== st.transferId)
          this.unexpected('end outside a transfer');
        if (st.received !== st.totalBytes)
          this.unexpected(`end after ${st.received} of ${st.totalBytes} bytes`);
        if (frame.crc32 !== st.crc) {
          // Nothing of it is installed; the sender reports the failure and Raft retries from scratch.
          this.ctx.logger.warn('snapshot refused: checksum mismatch', {
            peer: this.from,
            transfer: st.transferId,
          });
          this.refuse(st.transferId, 'snapshot checksum mismatch');
          return;
        }
        this.state = { phase: 'installing', sink: st.sink };
        void this.install(st, frameBytes);
        return;
      }
      default:
        this.unexpected(`${frame.kind} frame on the snapshot channel`);
    }
  }

  /** Waits for the writes, makes the snapshot durable, delivers it to Raft, then acks. */
  private async install(st: Extract<SnapState, { phase: 'receiving' }>, frameBytes: number): Promise<void> {
    let data: Uint8Array;
    try {
      await this.writing;
      data = await st.sink.finish();
    } catch (err) {
      if (this.state.phase !== 'installing') return;
      this.ctx.logger.warn('snapshot could not be stored', { peer: this.from, err: describeCause(err) });
      this.refuse(st.transferId, `snapshot could not be stored: ${describeCause(err)}`);
      return;
    }
    if (this.state.phase !== 'installing') return;
    this.state = { phase: 'done' };
    const message: MsgSnap = { ...st.message, snapshot: { ...st.message.snapshot, data } };
    this.ctx.logger.info('snapshot received', {
      peer: this.from,
      transfer: st.transferId,
      index: message.snapshot.metadata.index,
      bytes: data.length,
    });
    this.hooks.snapshotReceived(this.from);
    this.hooks.deliver(message, frameBytes + data.length);
    this.ws.send(encodeFrame({ kind: 'snapAck', transferId: st.transferId, ok: true, reason: '' }));
  }

  /** Hands a chunk to the sink after the ones before it; pauses the socket while the sink lags. */
  private enqueue(sink: SnapshotSink, chunk: Uint8Array): void {
    this.queued++;
    if (this.queued >= MAX_QUEUED_CHUNKS && !this.paused) {
      this.paused = true;
      this.ws.pause();
    }
    this.writing = this.writing.then(async () => {
      await sink.write(chunk);
      this.queued--;
      if (this.paused && this.queued < MAX_QUEUED_CHUNKS / 2) {
        this.paused = false;
        this.ws.resume();
      }
    });
    // A failed write is reported at SnapEnd (install); stop receiving now.
    this.writing.catch((err: unknown) => {
      if (this.state.phase !== 'receiving') return;
      this.ctx.logger.warn('snapshot could not be stored', { peer: this.from, err: describeCause(err) });
      this.refuse(this.state.transferId, `snapshot could not be stored: ${describeCause(err)}`);
    });
  }

  /** Acks a failure, discards what was received and closes. */
  private refuse(transferId: number, reason: string): void {
    this.ws.send(encodeFrame({ kind: 'snapAck', transferId, ok: false, reason }));
    this.discard();
    this.close(CloseCode.Normal, 'snapshot refused');
  }

  private discard(): void {
    const st = this.state;
    if (st.phase === 'receiving' || st.phase === 'installing') st.sink.abort();
    this.state = { phase: 'done' };
  }

  private begin(transferId: number, totalBytes: number, message: MsgSnap): void {
    this.checkAddressing(message);
    const max = this.ctx.options.maxSnapshotBytes;
    if (totalBytes > max) {
      this.ctx.logger.warn('snapshot refused: too large', {
        peer: this.from,
        bytes: totalBytes,
        maxSnapshotBytes: max,
      });
      this.ws.send(
        encodeFrame({
          kind: 'snapAck',
          transferId,
          ok: false,
          reason: `snapshot of ${totalBytes} bytes exceeds ${max}`,
        }),
      );
      this.state = { phase: 'done' };
      this.close(CloseCode.SnapshotTooLarge, 'snapshot too large');
      return;
    }
    let sink: SnapshotSink;
    try {
      sink = this.openSink(message, totalBytes);
    } catch (err) {
      // The member cannot store it now (its storage failed): the leader retries later.
      this.ctx.logger.warn('snapshot could not be stored', { peer: this.from, err: describeCause(err) });
      this.ws.send(
        encodeFrame({
          kind: 'snapAck',
          transferId,
          ok: false,
          reason: `snapshot could not be stored: ${describeCause(err)}`,
        }),
      );
      this.state = { phase: 'done' };
      this.close(CloseCode.Normal, 'snapshot refused');
      return;
    }
    this.state = { phase: 'receiving', transferId, message, totalBytes, sink, received: 0, crc: 0 };
    this.ctx.logger.info('receiving snapshot', {
      peer: this.from,
      transfer: transferId,
      index: message.snapshot.metadata.index,
      bytes: totalBytes,
    });
  }

  private touch(): void {
    if (this.idleTimer !== undefined) this.ctx.timers.clearTimeout(this.idleTimer);
    const ms = this.ctx.options.snapshotIdleTimeoutMs;
    this.idleTimer = this.ctx.timers.setTimeout(() => {
      this.idleTimer = undefined;
      if (this.state.phase !== 'done') {
        this.ctx.logger.warn('snapshot receive timed out', { peer: this.from, idleMs: ms });
      }
      this.close(CloseCode.SnapshotTimeout, 'snapshot transfer idle');
    }, ms);
  }

  protected override onClosed(): void {
    if (this.idleTimer !== undefined) this.ctx.timers.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.state.phase === 'receiving' || this.state.phase === 'installing') {
      const received = this.state.phase === 'receiving' ? this.state.received : 'all';
      this.ctx.logger.warn('snapshot receive aborted', { peer: this.from, received });
    }
    this.discard();
    super.onClosed();
  }
}
