/**
 * Chooses, from an HTTP/2 connection's first request, between node:http2 reading the socket
 * itself (native) and reading it through the authority shim (h2-authority-shim.ts).
 *
 * Why not the shim for every connection: node:http2 reads a native socket (TCP or TLS) in C++,
 * but wraps any other stream in a JavaScript stream socket, whose per-read and per-write work
 * costs far more than the shim's decoding (bench/h2-authority-shim.ts measures both). It also
 * hides the socket from grpc-js (peer address, TLS certificate). Only clients that send
 * `:authority` with a scheme (etcdctl 3.4 with URL endpoints) need the shim, and a client sends
 * one authority for all of a connection's requests (grpc-go and grpc-js set it per connection),
 * so the first request decides.
 *
 * How: the bytes are held back, and parsed up to the end of the first header block, which is
 * decoded (a fresh HPACK decoder: the first block is the first to use the table). Then they are
 * put back into the socket and the connection handed over, natively or through the shim, which
 * reads it from its first byte. gRPC clients send no request before the server's connection
 * preface (grpc-go waits for it), and node:http2 sends its preface only once it has the
 * connection; so this side sends one first, an empty SETTINGS (every setting at its initial
 * value, which node's own SETTINGS then changes), and takes the client's ACK of it out of the
 * bytes handed over (node would refuse an ACK of a SETTINGS it did not send). The decision waits
 * for that ACK.
 *
 * A PING before the first request (the keep-alive of an idle client) is answered here and kept
 * from node, as the ACK is. Whatever else does not look like a request (a DATA or RST_STREAM
 * frame, a frame that does not parse, more than `maxHeldBytes`) hands the connection over
 * natively: node:http2 answers it as it would have. A connection that sends no request is held
 * (no timer: etcdctl's balancer opens connections to every endpoint and may use one much later);
 * closing the listener destroys it.
 */
import type { Duplex } from 'node:stream';
import {
  emptySettingsFrame,
  pingAckFrame,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  headersFragment,
  PREFACE_BYTES,
  readFrameHeader,
} from './h2-frame.js';
import { HeaderBlockTranscoder } from './h2-header-block.js';
import { readUntilDecided } from './listener-routing.js';

export type Route = 'native' | 'shim';

/** Bytes held while deciding; past this the connection goes to node:http2 as it is. */
export const MAX_HELD_BYTES = 1 << 20;

/** The decision without I/O: `feed` the client's bytes until it returns a route. */
export class FirstRequestPeek {
  private held: Buffer = Buffer.alloc(0);
  private at = PREFACE_BYTES;
  private ackSeen = false;
  /** Frames node must not read: the ACK of this side's SETTINGS, the PINGs answered here. */
  private readonly dropped: { start: number; end: number }[] = [];
  /** PING ACKs owed to the client (taken by `takePingAcks`). */
  private pingAcks: Buffer[] = [];
  private route: Route | undefined;
  private block: Buffer[] | undefined;

  constructor(private readonly maxHeldBytes = MAX_HELD_BYTES) {}

  /** The route once decided (and the ACK of this side's SETTINGS seen), else undefined. */
  feed(chunk: Buffer): Route | undefined {
    this.held = this.held.length === 0 ? chunk : Buffer.concat([this.held, chunk]);
    while ((this.route === undefined || !this.ackSeen) && this.held.length - this.at >= FRAME_HEADER_BYTES) {
      const h = readFrameHeader(this.held, this.at);
      const end = this.at + FRAME_HEADER_BYTES + h.length;
      if (end > this.held.length) break;
      const payload = this.held.subarray(this.at + FRAME_HEADER_BYTES, end);
      if (h.type === FrameType.Settings && (h.flags & Flag.Ack) !== 0 && !this.ackSeen) {
        this.ackSeen = true;
        this.dropped.push({ start: this.at, end });
      } else if (
        this.route === undefined &&
        h.type === FrameType.Ping &&
        (h.flags & Flag.Ack) === 0 &&
        h.length === 8
      ) {
        // A keep-alive of an idle client (grpc-go pings every --keepalive-time): answered here,
        // so that the connection waits for its first request.
        this.pingAcks.push(pingAckFrame(payload));
        this.dropped.push({ start: this.at, end });
      } else if (this.route === undefined) this.route = this.step(h.type, h.flags, payload);
      this.at = end;
    }
    if (this.route !== undefined && this.ackSeen) return this.route;
    // Past the limit node:http2 judges the client as it is (an ACK still ahead of it ends the
    // connection there, as it should for a client that sends so much before acknowledging).
    return this.held.length > this.maxHeldBytes ? 'native' : undefined;
  }

  /** PING ACKs to send the client now. */
  takePingAcks(): Buffer[] {
    const acks = this.pingAcks;
    this.pingAcks = [];
    return acks;
  }

  /** What node:http2 must read: everything held but the frames this side answered. */
  bytesForNode(): Buffer {
    if (this.dropped.length === 0) return this.held;
    const parts: Buffer[] = [];
    let from = 0;
    for (const d of this.dropped) {
      parts.push(this.held.subarray(from, d.start));
      from = d.end;
    }
    parts.push(this.held.subarray(from));
    return Buffer.concat(parts);
  }

  /** One frame before the decision; a route when it decides. */
  private step(type: number, flags: number, payload: Buffer): Route | undefined {
    switch (type) {
      case FrameType.Settings:
      case FrameType.WindowUpdate:
      case FrameType.Priority:
        return undefined;
      case FrameType.Headers:
        if (this.block !== undefined) return 'native';
        try {
          this.block = [headersFragment(flags, payload).fragment];
        } catch {
          return 'native';
        }
        return (flags & Flag.EndHeaders) !== 0 ? this.decide() : undefined;
      case FrameType.Continuation:
        if (this.block === undefined) return 'native';
        this.block.push(payload);
        return (flags & Flag.EndHeaders) !== 0 ? this.decide() : undefined;
      default:
        return 'native';
    }
  }

  private decide(): Route {
    const t = new HeaderBlockTranscoder();
    try {
      t.transcode(Buffer.concat(this.block!));
    } catch {
      return 'native';
    }
    return t.rewrites > 0 ? 'shim' : 'native';
  }
}

export interface FirstRequestRoutes {
  /** node:http2 reads `socket` itself. */
  native(socket: Duplex): void;
  /** `socket` needs the authority shim. */
  shim(socket: Duplex): void;
}

/**
 * Sends this side's preface, holds the client's bytes until the first request decides, puts them
 * back and hands the socket on. A connection that ends or fails first is destroyed.
 */
export function routeByFirstRequest(socket: Duplex, routes: FirstRequestRoutes, maxHeldBytes?: number): void {
  const peek = new FirstRequestPeek(maxHeldBytes);
  readUntilDecided(socket, (chunk) => {
    const route = peek.feed(chunk);
    for (const ack of peek.takePingAcks()) socket.write(ack);
    if (route === undefined) return undefined;
    // node:http2 reads what the socket holds on its next tick, then its handle; the shim resumes
    // the socket itself.
    return { putBack: peek.bytesForNode(), next: route === 'native' ? routes.native : routes.shim };
  });
  socket.write(emptySettingsFrame());
  // A socket routed by its preface comes paused (listener-routing.ts).
  socket.resume();
}
