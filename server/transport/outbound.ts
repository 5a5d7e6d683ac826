/**
 * The outbound message stream to one peer: one WebSocket, dialled lazily on the first message,
 * redialled with exponential backoff and jitter after it fails or is lost, for as long as the peer
 * is known.
 *
 * Sending never blocks and never throws. A message is encoded at `send()` time and queued; every
 * message queued during one macrotask goes out in as few frames as `maxFrameBytes` allows, on the
 * next `setImmediate`. A message is dropped (and counted) instead when the stream is not open, when
 * the bytes already waiting (queued + the socket's `bufferedAmount`) would exceed
 * `maxQueuedBytesPerPeer`, or when it alone cannot fit in a frame. Raft retransmits whatever
 * matters, so a dropped message costs a round trip, never safety; a blocked sender would stall
 * every other peer instead.
 *
 * With `commitNoticeDelayMs` > 0 (default 0: off, see below), a commit notice — an append
 * without entries, which a leader sends each follower as soon as an index commits — waits up to
 * that long for the next frame to the peer instead of taking a socket write (and a wake-up and an
 * acknowledgement on both sides) of its own. An append queued meanwhile with the same term and at
 * least its commit index supersedes it (the notice is not sent); any other frame carries it,
 * first; otherwise it leaves alone when the delay ends. Under a stream of writes the next write's
 * append carries the commit, so a put costs each follower one frame instead of two. What waits is
 * only a follower's knowledge of the commit (its applying, not the write's durability or the
 * client's answer, which the leader gives), and never longer than the delay. It is off by default
 * because end to end it measured slower (docs/performance.md, "Fewer peer writes per put, one
 * buffer per answer"), most likely because a follower then applies write k in the Ready that
 * appends write k+1, before that Ready's WAL write starts: the apply lands on the ack's path.
 *
 * Connection loss is reported to the owner for the early pre-vote (docs/raft.md): when an open
 * stream ends by a close or an error (a reset or FIN: the peer's process or host is gone, or the
 * path broke), one redial is made at once, without backoff; if that probe fails too,
 * `onConnectionLost` fires. A missing pong (an idle or silent peer) is not reported: silence is
 * the election timeout's business. `onConnected` fires on every established stream, so the owner
 * hears that a lost peer is back. Nothing is reported lost before a first connection existed.
 */
import type WebSocket from 'ws';
import type { TimerHandle } from '../platform/timers.js';
import type { Message } from '../raft/types.js';
import { Backoff } from './backoff.js';
import { MESSAGES_FRAME_OVERHEAD_BYTES } from './codec.js';
import { describeCause, type MutablePeerStats, type TransportContext } from './context.js';
import { Dial } from './dialer.js';
import { MessagesFrameBuilder } from './frame-builder.js';
import { Channel, REFUSAL_CODES } from './handshake.js';

export type StreamState = 'idle' | 'dialing' | 'open' | 'backoff' | 'closed';

/** ws.send's options for every frame (one object, not one per frame). */
const SEND_BINARY = { binary: true } as const;

export interface StreamEvents {
  onConnected(peerId: number): void;
  onDisconnected(peerId: number): void;
  /** The open stream was closed and the immediate redial failed (see the file comment). */
  onConnectionLost(peerId: number): void;
}

export class OutboundStream {
  private state: StreamState = 'idle';
  private ws: WebSocket | undefined;
  private dial: Dial | undefined;
  private backoffTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private awaitingPong = false;
  /** The messages queued since the last flush, encoded, and the frames they leave in. */
  private readonly frames = new MessagesFrameBuilder();
  /** Passed with each frame to `ws.send`: the frame builder learns when it may reuse its buffer. */
  private frameWritten: () => void = () => undefined;
  private flushScheduled = false;
  /** The commit notice waiting for the next frame (see the file comment), encoded. */
  private notice: Uint8Array | undefined;
  private noticeTerm = 0;
  private noticeCommit = 0;
  private noticeTimer: TimerHandle | undefined;
  private urlIndex = 0;
  private dropping = false;
  private lastFailure: string | undefined;
  /** The dial in progress is the immediate probe after an open stream was closed. */
  private probing = false;
  /** The stream was closed by the peer's side (reset or FIN) and is not back yet. */
  private closedByPeer = false;
  private readonly backoff: Backoff;
  private readonly stats: MutablePeerStats;

  constructor(
    private readonly ctx: TransportContext,
    readonly peerId: number,
    private urls: readonly URL[],
    private readonly events: StreamEvents,
  ) {
    const o = ctx.options;
    this.backoff = new Backoff(o.reconnectBackoffMinMs, o.reconnectBackoffMaxMs, ctx.random);
    this.stats = ctx.statsFor(peerId);
  }

  get currentState(): StreamState {
    return this.state;
  }

  /**
   * The open stream was closed by a reset or FIN (not dropped by us for silence) and no stream is
   * open again yet: anything sent now is dropped for certain, and the peer may well be dead.
   */
  get closedByPeerNow(): boolean {
    return this.closedByPeer && this.state !== 'open';
  }

  /** The URL the next dial (or the next snapshot) uses. */
  currentUrl(): URL {
    return this.urls[this.urlIndex % this.urls.length] as URL;
  }

  setUrls(urls: readonly URL[]): void {
    this.urls = urls;
    this.urlIndex = 0;
  }

  /** Encodes and queues one message (see the file comment for when it is dropped instead). */
  send(message: Message): void {
    const ws = this.ws;
    if (this.state !== 'open' || ws === undefined) {
      this.drop(1, 'stream not connected');
      this.wake();
      return;
    }
    // Encoded straight behind the messages queued before it (frame-builder.ts); taken back out if
    // it is dropped.
    const encodedBytes = this.frames.add(message);
    const { maxFrameBytes, maxQueuedBytesPerPeer } = this.ctx.options;
    if (encodedBytes + MESSAGES_FRAME_OVERHEAD_BYTES > maxFrameBytes) {
      this.frames.removeLast();
      this.drop(1, 'message larger than maxFrameBytes');
      return;
    }
    if (ws.bufferedAmount + this.frames.pendingBytes > maxQueuedBytesPerPeer) {
      this.frames.removeLast();
      this.drop(1, 'maxQueuedBytesPerPeer exceeded');
      return;
    }
    if (message.type === 'MsgApp') {
      if (
        this.notice !== undefined &&
        message.term === this.noticeTerm &&
        message.commit >= this.noticeCommit
      ) {
        this.clearNotice();
        this.stats.supersededNotices += 1;
      }
      if (message.entries.length === 0 && this.ctx.options.commitNoticeDelayMs > 0) {
        this.holdNotice(this.frames.takeLast(), message.term, message.commit);
        return;
      }
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Starts dialling if the stream is idle (a backoff in progress keeps its schedule). */
  wake(): void {
    if (this.state === 'idle') this.startDial();
  }

  close(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.dial?.abort();
    this.dial = undefined;
    this.clearTimers();
    this.discardPending();
    if (this.ws !== undefined) {
      this.ws.removeAllListeners('close');
      this.ws.removeAllListeners('message');
      this.ws.terminate();
      this.ws = undefined;
    }
    if (wasOpen) this.stats.connected = false;
  }

  /** Keeps `encoded` (a commit notice) for the next frame; a newer notice replaces an older one. */
  private holdNotice(encoded: Uint8Array, term: number, commit: number): void {
    if (this.notice !== undefined) this.stats.supersededNotices += 1;
    this.notice = encoded;
    this.noticeTerm = term;
    this.noticeCommit = commit;
    this.noticeTimer ??= this.ctx.timers.setTimeout(this.noticeDue, this.ctx.options.commitNoticeDelayMs);
  }

  private readonly noticeDue = (): void => {
    this.noticeTimer = undefined;
    // The flush takes the notice; one already scheduled (other messages queued) will.
    if (this.notice !== undefined && !this.flushScheduled) this.flush();
  };

  private clearNotice(): void {
    this.notice = undefined;
    if (this.noticeTimer !== undefined) this.ctx.timers.clearTimeout(this.noticeTimer);
    this.noticeTimer = undefined;
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const ws = this.ws;
    if (this.state !== 'open' || ws === undefined) {
      this.discardPending();
      return;
    }
    // The notice was queued before everything pending: it goes first.
    let first = this.notice;
    this.clearNotice();
    const limit = this.ctx.options.maxFrameBytes - MESSAGES_FRAME_OVERHEAD_BYTES;
    while (first !== undefined || this.frames.pendingCount > 0) {
      const frame = this.frames.take(limit, first);
      first = undefined;
      this.sendFrame(ws, frame, this.frames.lastFrameMessages);
    }
  };

  private sendFrame(ws: WebSocket, frame: Uint8Array, messages: number): void {
    ws.send(frame, SEND_BINARY, this.frameWritten);
    this.stats.sentMessages += messages;
    this.stats.sentFrames += 1;
    this.stats.sentBytes += frame.length;
    if (this.dropping) {
      this.dropping = false;
      this.ctx.logger.info('peer messages flowing again', { peer: this.peerId });
    }
  }

  private discardPending(): void {
    const count = this.frames.pendingCount + (this.notice === undefined ? 0 : 1);
    if (count > 0) this.drop(count, 'stream lost before flush');
    this.frames.clear();
    this.clearNotice();
  }

  private drop(count: number, reason: string): void {
    this.stats.droppedMessages += count;
    if (!this.dropping) {
      // One line per streak of drops, not one per message: a down peer would flood the log.
      this.dropping = true;
      this.ctx.logger.warn('dropping peer messages', { peer: this.peerId, reason });
    }
  }

  private startDial(): void {
    if (this.ctx.closing || this.state === 'closed') return;
    this.state = 'dialing';
    this.stats.dials += 1;
    const url = this.currentUrl();
    try {
      this.dial = new Dial(this.ctx, url, Channel.Stream, this.peerId, {
        onReady: (ws) => this.onReady(ws, url),
        onFail: (reason, code) => this.onDialFailed(url, reason, code),
      });
    } catch (err) {
      // `send()` must never throw: a dial that cannot even start is one more failed dial.
      this.onDialFailed(url, describeCause(err), undefined);
    }
  }

  private onReady(ws: WebSocket, url: URL): void {
    this.dial = undefined;
    this.ws = ws;
    this.frameWritten = this.frames.connected();
    this.state = 'open';
    this.probing = false;
    this.closedByPeer = false;
    this.backoff.reset();
    this.lastFailure = undefined;
    this.stats.connected = true;
    this.stats.connectionsEstablished += 1;
    ws.on('close', (code: number, reason: Buffer) =>
      this.onLost(`closed by peer (${code} ${reason.toString()})`, true),
    );
    ws.on('error', (err: Error) =>
      this.ctx.logger.debug('peer stream error', { peer: this.peerId, err: describeCause(err) }),
    );
    ws.on('message', () => this.onLost('unexpected frame from acceptor', false));
    ws.on('pong', () => {
      this.awaitingPong = false;
    });
    this.schedulePing();
    this.ctx.logger.info('peer stream connected', { peer: this.peerId, url: url.origin });
    this.events.onConnected(this.peerId);
  }

  private onDialFailed(url: URL, reason: string, code: number | undefined): void {
    this.dial = undefined;
    this.stats.dialFailures += 1;
    if (code !== undefined && REFUSAL_CODES.has(code)) {
      this.ctx.logger.error('peer refused connection', { peer: this.peerId, url: url.origin, code, reason });
    } else {
      // Warn when the failure changes, debug while it repeats: a member that stays down must not flood the log.
      const level = reason === this.lastFailure ? 'debug' : 'warn';
      this.ctx.logger[level]('peer dial failed', {
        peer: this.peerId,
        url: url.origin,
        reason,
        failures: this.backoff.consecutiveFailures + 1,
      });
    }
    this.lastFailure = reason;
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    if (this.probing) {
      this.probing = false;
      this.stats.connectionsLost += 1;
      this.ctx.logger.warn('peer connection lost', { peer: this.peerId, reason });
      if (!this.ctx.closing) this.events.onConnectionLost(this.peerId);
    }
    this.scheduleRedial();
  }

  /** `closed`: the socket was closed or reset (probe at once), not dropped by us for silence. */
  private onLost(reason: string, closed: boolean): void {
    if (this.state !== 'open') return;
    const ws = this.ws;
    this.ws = undefined;
    this.stats.connected = false;
    this.clearTimers();
    this.discardPending();
    if (ws !== undefined) {
      ws.removeAllListeners('close');
      ws.removeAllListeners('message');
      ws.removeAllListeners('pong');
      ws.terminate();
    }
    this.ctx.logger.warn('peer stream lost', { peer: this.peerId, reason });
    this.events.onDisconnected(this.peerId);
    if (closed && !this.ctx.closing) {
      this.closedByPeer = true;
      // The probe: a live peer (or a path that only blipped) answers at once; a dead process's
      // port refuses at once. Only the second is worth an early election.
      this.probing = true;
      this.startDial();
      return;
    }
    this.scheduleRedial();
  }

  private scheduleRedial(): void {
    if (this.ctx.closing || this.state === 'closed') return;
    this.state = 'backoff';
    const delayMs = this.backoff.next();
    this.backoffTimer = this.ctx.timers.setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.state === 'backoff') this.startDial();
    }, delayMs);
  }

  private schedulePing(): void {
    const interval = this.ctx.options.pingIntervalMs;
    if (interval === 0) return;
    this.pingTimer = this.ctx.timers.setTimeout(() => {
      this.pingTimer = undefined;
      const ws = this.ws;
      if (this.state !== 'open' || ws === undefined) return;
      if (this.awaitingPong) {
        this.onLost(`no pong within ${interval} ms`, false);
        return;
      }
      this.awaitingPong = true;
      ws.ping();
      this.schedulePing();
    }, interval);
  }

  private clearTimers(): void {
    if (this.backoffTimer !== undefined) this.ctx.timers.clearTimeout(this.backoffTimer);
    if (this.pingTimer !== undefined) this.ctx.timers.clearTimeout(this.pingTimer);
    this.backoffTimer = undefined;
    this.pingTimer = undefined;
    this.awaitingPong = false;
  }
}
