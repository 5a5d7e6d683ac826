/**
 * One dial of one channel to one peer URL: TCP (+ TLS), the WebSocket upgrade carrying the
 * handshake headers, then the acceptor's Hello frame, which must name our cluster and the member
 * we meant to reach. Exactly one of `onReady` / `onFail` is called, unless `abort()` came first.
 * `dialTimeoutMs` bounds the whole sequence.
 */
import WebSocket from 'ws';
import type { TimerHandle } from '../platform/timers.js';
import { decodeFrame } from './codec.js';
import { describeCause, rawDataBytes, type TransportContext } from './context.js';
import { PeerProtocolError } from './errors.js';
import { CHANNEL_PATHS, CloseCode, handshakeHeaders, type Channel } from './handshake.js';
import { dialTlsOptions } from './tls.js';

export interface DialHandlers {
  onReady(ws: WebSocket): void;
  /** `closeCode` is set when the acceptor closed the WebSocket (a refusal carries a 4xxx code). */
  onFail(reason: string, closeCode: number | undefined): void;
}

/** ws's mask generator that leaves the 4-byte key as ws allocated it: zeros (see the dial options). */
function leaveMaskZero(): void {}

export function wsTarget(url: URL, channel: Channel): string {
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}${CHANNEL_PATHS[channel]}`;
}

export class Dial {
  private readonly ws: WebSocket;
  private readonly timer: TimerHandle;
  private done = false;
  private lastError: string | undefined;

  constructor(
    private readonly ctx: TransportContext,
    readonly url: URL,
    channel: Channel,
    private readonly peerId: number,
    private readonly handlers: DialHandlers,
  ) {
    const { options, tls } = ctx;
    this.ws = new WebSocket(wsTarget(url, channel), {
      headers: handshakeHeaders(options.clusterId, options.memberId, peerId),
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      // An all-zero masking key: ws then sends the frame's bytes as they are instead of a masked
      // copy (one allocation and one pass over every frame). Masking protects HTTP intermediaries
      // from frames whose bytes a hostile page chose (RFC 6455 §10.3); a peer link is a dialled
      // member-to-member connection, with no browser and no proxy that caches (docs/transport.md).
      generateMask: leaveMaskZero,
      followRedirects: false,
      handshakeTimeout: options.dialTimeoutMs,
      ...(options.localAddress !== undefined ? { localAddress: options.localAddress } : {}),
      ...(tls !== undefined && url.protocol === 'https:' ? dialTlsOptions(tls) : {}),
    });
    this.timer = ctx.timers.setTimeout(() => this.fail('dial timed out', undefined), options.dialTimeoutMs);
    this.ws.on('error', this.onError);
    this.ws.on('close', this.onClose);
    this.ws.on('message', this.onMessage);
  }

  /** Gives up silently (no callback). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.ws.terminate();
  }

  private detach(): void {
    this.ctx.timers.clearTimeout(this.timer);
    this.ws.off('close', this.onClose);
    this.ws.off('message', this.onMessage);
    // The 'error' listener stays: an error event without a listener would crash the process.
  }

  private fail(reason: string, closeCode: number | undefined): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.ws.terminate();
    this.handlers.onFail(reason, closeCode);
  }

  private readonly onError = (err: Error): void => {
    this.lastError = describeCause(err);
  };

  private readonly onClose = (code: number, reason: Buffer): void => {
    const text = reason.toString('utf8');
    if (code === 1006 || text === '') {
      this.fail(this.lastError ?? `connection closed (${code})`, code === 1006 ? undefined : code);
    } else {
      this.fail(text, code);
    }
  };

  private readonly onMessage = (data: WebSocket.RawData, isBinary: boolean): void => {
    if (!isBinary) {
      this.refuse(CloseCode.ProtocolError, 'expected a binary Hello frame');
      return;
    }
    let frame;
    try {
      frame = decodeFrame(rawDataBytes(data), this.ctx.options.maxFrameBytes);
    } catch (err) {
      if (!(err instanceof PeerProtocolError)) throw err;
      this.refuse(CloseCode.ProtocolError, `bad Hello: ${err.code}`);
      return;
    }
    if (frame.kind !== 'hello') {
      this.refuse(CloseCode.ProtocolError, `expected Hello, got ${frame.kind}`);
    } else if (frame.clusterId !== this.ctx.options.clusterId) {
      this.refuse(CloseCode.ClusterIdMismatch, `peer answered for cluster ${frame.clusterId.slice(0, 40)}`);
    } else if (frame.memberId !== this.peerId) {
      this.refuse(
        CloseCode.WrongTarget,
        `peer answered as member ${frame.memberId}, expected ${this.peerId}`,
      );
    } else {
      this.done = true;
      this.detach();
      this.handlers.onReady(this.ws);
    }
  };

  private refuse(code: CloseCode, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.ws.close(code, reason);
    this.handlers.onFail(reason, code);
  }
}
