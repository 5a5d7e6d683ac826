/**
 * Sits between an HTTP/2 client's connection and node:http2 (the gRPC door) and rewrites the
 * request pseudo-header `:authority` from `scheme://host:port` to `host:port`.
 *
 * Why: etcdctl 3.4 sends the endpoint URL it was given, scheme included, as `:authority` for every
 * `--endpoints=http(s)://…` and every `--cluster` verb (it dials the client URLs the members
 * publish). nghttp2, under node:http2, refuses such an authority as malformed (RST_STREAM
 * PROTOCOL_ERROR) before any Concord code runs, and no node:http2 option relaxes that check;
 * grpc-go's server, which etcd uses, lets it pass.
 *
 * How: the client → server bytes are cut into frames by their 9-byte headers (RFC 9113 §4.1).
 * Every frame goes through untouched except header blocks (HEADERS + CONTINUATION), which are
 * collected, decoded with the connection's HPACK state and written again as literals
 * (h2-header-block.ts says why every block, not only the ones that need the rewrite). The server →
 * client bytes are not looked at. Padding is dropped from the HEADERS frames written (it is a
 * per-hop choice); priority fields and END_STREAM are kept.
 *
 * A client whose frames cannot be followed (a CONTINUATION out of place, a bad padding length, an
 * undecodable or oversized header block, a PUSH_PROMISE) is sent GOAWAY and its connection closed;
 * `onMalformed` counts it. Nothing it sends can throw out of this module.
 *
 * Identity: node:http2 wraps a connection that is not a native socket in its own stream socket,
 * so grpc-js sees neither the peer address nor the TLS client certificate of a shimmed
 * connection. The shim therefore adds a per-connection random token to every header block
 * (`concord-connection`); `shimmedIdentityOf` maps it back to the peer and the verified
 * certificate user while the connection is open. A token a client makes up names nothing.
 */
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
import { certUserOf } from './cert-user.js';
import {
  Flag,
  FRAME_HEADER_BYTES,
  FrameError,
  FrameType,
  goawayFrame,
  H2Error,
  headersFragment,
  PREFACE_BYTES,
  PRIORITY_BYTES,
  readFrameHeader,
  writeFrameHeader,
} from './h2-frame.js';
import {
  HEADER_BLOCK_DEFAULTS,
  HeaderBlockError,
  HeaderBlockTranscoder,
  type HeaderBlockLimits,
} from './h2-header-block.js';

/** The frames written toward node stay within the protocol's initial SETTINGS_MAX_FRAME_SIZE. */
const OUT_MAX_FRAME_BYTES = 16_384;

/** The metadata name of the shim's connection token. */
export const CONNECTION_TOKEN_HEADER = 'concord-connection';

export interface ShimmedIdentity {
  /** `address:port` of the client, as grpc-js's getPeer() would say. */
  readonly peer: string;
  /** The CN of a verified TLS client certificate. */
  readonly certUser: string | undefined;
}

const identities = new Map<string, ShimmedIdentity>();

/** The peer and certificate user of a call that came through a shimmed connection. */
export function shimmedIdentityOf(token: string | undefined): ShimmedIdentity | undefined {
  return token === undefined ? undefined : identities.get(token);
}

export interface AuthorityShimOptions {
  readonly headerLimits?: HeaderBlockLimits;
  /** The largest compressed header block (HEADERS + its CONTINUATIONs) collected. Default 1 MiB. */
  readonly maxHeaderBlockBytes?: number;
  /** Called once per connection closed for malformed frames. */
  readonly onMalformed?: (reason: string) => void;
}

interface OpenBlock {
  readonly streamId: number;
  readonly endStream: boolean;
  readonly priority: Buffer | undefined;
  readonly fragments: Buffer[];
  bytes: number;
}

/**
 * The client → server half, without I/O: `feed` takes the bytes as they arrive and returns what
 * node must read, in order. Throws FrameError or HeaderBlockError when the client's frames cannot
 * be followed (the connection must then end).
 */
export class ClientFrameRewriter {
  private prefaceLeft = PREFACE_BYTES;
  private readonly header = Buffer.alloc(FRAME_HEADER_BYTES);
  private headerFill = 0;
  /** Payload bytes of the current frame not seen yet. */
  private payloadLeft = 0;
  /** The current frame is a header-block frame being collected. */
  private collecting: { type: number; flags: number; streamId: number; parts: Buffer[] } | undefined;
  private block: OpenBlock | undefined;
  private readonly maxBlockBytes: number;
  /** The highest stream a header block was passed on (GOAWAY's last-stream-id). */
  lastStreamId = 0;

  constructor(
    private readonly transcoder: HeaderBlockTranscoder,
    maxHeaderBlockBytes = 1 << 20,
  ) {
    this.maxBlockBytes = maxHeaderBlockBytes;
  }

  /** Authorities rewritten so far. */
  get rewrites(): number {
    return this.transcoder.rewrites;
  }

  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let pos = 0;
    // Bytes passed untouched are handed on as slices of `chunk`, one per contiguous run.
    let runStart = -1;
    const flush = (end: number): void => {
      if (runStart >= 0 && end > runStart) out.push(chunk.subarray(runStart, end));
      runStart = -1;
    };
    while (pos < chunk.length) {
      if (this.prefaceLeft > 0) {
        const n = Math.min(this.prefaceLeft, chunk.length - pos);
        if (runStart < 0) runStart = pos;
        pos += n;
        this.prefaceLeft -= n;
        continue;
      }
      if (this.payloadLeft > 0) {
        const n = Math.min(this.payloadLeft, chunk.length - pos);
        if (this.collecting !== undefined) this.collecting.parts.push(chunk.subarray(pos, pos + n));
        else if (runStart < 0) runStart = pos;
        pos += n;
        this.payloadLeft -= n;
        if (this.payloadLeft === 0 && this.collecting !== undefined) this.endCollected(out);
        continue;
      }
      let header: Buffer;
      let headerInChunk: boolean;
      if (this.headerFill === 0 && chunk.length - pos >= FRAME_HEADER_BYTES) {
        header = chunk.subarray(pos, pos + FRAME_HEADER_BYTES);
        headerInChunk = true;
        pos += FRAME_HEADER_BYTES;
      } else {
        // A frame header cut by the TCP chunks: held back until it is whole.
        if (this.headerFill === 0) flush(pos);
        const n = Math.min(FRAME_HEADER_BYTES - this.headerFill, chunk.length - pos);
        chunk.copy(this.header, this.headerFill, pos, pos + n);
        this.headerFill += n;
        pos += n;
        if (this.headerFill < FRAME_HEADER_BYTES) continue;
        this.headerFill = 0;
        header = this.header;
        headerInChunk = false;
      }
      const { length, type, flags, streamId } = readFrameHeader(header);
      if (this.block !== undefined && (type !== FrameType.Continuation || streamId !== this.block.streamId))
        throw new FrameError('a header block is interrupted by another frame');
      if (type === FrameType.Continuation && this.block === undefined)
        throw new FrameError('CONTINUATION without an open header block');
      if (type === FrameType.PushPromise) throw new FrameError('PUSH_PROMISE from a client');
      if (type === FrameType.Headers || type === FrameType.Continuation) {
        flush(headerInChunk ? pos - FRAME_HEADER_BYTES : pos);
        // Before collecting: a frame's payload is at most 2^24 - 1 bytes, but no more is held
        // than one block's limit (plus the pad length, priority and padding of its HEADERS).
        if ((this.block?.bytes ?? 0) + length > this.maxBlockBytes + 1 + PRIORITY_BYTES + 255)
          throw new HeaderBlockError(`header block over ${this.maxBlockBytes} bytes`);
        this.collecting = { type, flags, streamId, parts: [] };
        this.payloadLeft = length;
        if (length === 0) this.endCollected(out);
        continue;
      }
      if (headerInChunk) {
        if (runStart < 0) runStart = pos - FRAME_HEADER_BYTES;
      } else {
        out.push(Buffer.from(header));
        runStart = pos;
      }
      this.payloadLeft = length;
    }
    flush(pos);
    return out;
  }

  /** A header-block frame's payload is complete. */
  private endCollected(out: Buffer[]): void {
    const frame = this.collecting!;
    this.collecting = undefined;
    const p = frame.parts.length === 1 ? frame.parts[0]! : Buffer.concat(frame.parts);
    let fragment = p;
    if (frame.type === FrameType.Headers) {
      const parsed = headersFragment(frame.flags, p);
      fragment = parsed.fragment;
      const priority = parsed.priority;
      this.block = {
        streamId: frame.streamId,
        endStream: (frame.flags & Flag.EndStream) !== 0,
        priority,
        fragments: [],
        bytes: 0,
      };
    }
    const block = this.block!;
    block.fragments.push(fragment);
    block.bytes += fragment.length;
    if (block.bytes > this.maxBlockBytes)
      throw new HeaderBlockError(`header block over ${this.maxBlockBytes} bytes`);
    if ((frame.flags & Flag.EndHeaders) === 0) return;
    this.block = undefined;
    const whole = block.fragments.length === 1 ? block.fragments[0]! : Buffer.concat(block.fragments);
    this.lastStreamId = Math.max(this.lastStreamId, block.streamId);
    writeHeaderFrames(out, block, this.transcoder.transcode(whole));
  }
}

/** HEADERS (+ CONTINUATION) frames carrying `encoded`, each within OUT_MAX_FRAME_BYTES. */
function writeHeaderFrames(out: Buffer[], block: OpenBlock, encoded: Buffer): void {
  const prio = block.priority?.length ?? 0;
  let at = 0;
  let first = true;
  do {
    const room = OUT_MAX_FRAME_BYTES - (first ? prio : 0);
    const n = Math.min(room, encoded.length - at);
    const last = at + n === encoded.length;
    let flags = last ? Flag.EndHeaders : 0;
    if (first) flags |= (block.endStream ? Flag.EndStream : 0) | (prio > 0 ? Flag.Priority : 0);
    const head = Buffer.allocUnsafe(FRAME_HEADER_BYTES + (first ? prio : 0));
    writeFrameHeader(head, 0, {
      length: n + (first ? prio : 0),
      type: first ? FrameType.Headers : FrameType.Continuation,
      flags,
      streamId: block.streamId,
    });
    if (first && block.priority !== undefined) block.priority.copy(head, FRAME_HEADER_BYTES);
    out.push(head, encoded.subarray(at, at + n));
    at += n;
    first = false;
  } while (at < encoded.length);
}

/**
 * The connection node:http2 is given instead of `socket`: it reads the client's bytes rewritten
 * and writes straight to `socket`.
 */
export class AuthorityShim extends Duplex {
  private readonly rewriter: ClientFrameRewriter;
  private readonly token: string;
  private pausedByUs = false;
  private failed = false;

  constructor(
    private readonly socket: Duplex,
    private readonly options: AuthorityShimOptions = {},
  ) {
    super({ allowHalfOpen: true });
    this.token = randomBytes(18).toString('base64url');
    const transcoder = new HeaderBlockTranscoder(options.headerLimits ?? HEADER_BLOCK_DEFAULTS, [
      { name: CONNECTION_TOKEN_HEADER, value: this.token, neverIndexed: true },
    ]);
    this.rewriter = new ClientFrameRewriter(transcoder, options.maxHeaderBlockBytes);
    const remote = socket as Partial<{ remoteAddress: string; remotePort: number }>;
    identities.set(this.token, {
      peer:
        remote.remoteAddress === undefined
          ? 'unknown'
          : remote.remotePort === undefined
            ? remote.remoteAddress
            : `${remote.remoteAddress}:${remote.remotePort}`,
      certUser: certUserOf(socket),
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.push(null));
    socket.on('error', (err: Error) => this.destroy(err));
    socket.on('close', () => {
      identities.delete(this.token);
      this.destroy();
    });
    // The listener paused the socket to put back the bytes it read to route it
    // (listener-routing.ts); a 'data' listener alone does not resume a paused socket.
    socket.resume();
  }

  /** Authorities rewritten on this connection. */
  get rewrites(): number {
    return this.rewriter.rewrites;
  }

  private onData(chunk: Buffer): void {
    if (this.failed) return;
    let out: Buffer[];
    try {
      out = this.rewriter.feed(chunk);
    } catch (err) {
      this.fail(err);
      return;
    }
    let more = true;
    for (const b of out) more = this.push(b);
    if (!more && !this.pausedByUs) {
      this.pausedByUs = true;
      this.socket.pause();
    }
  }

  /** GOAWAY to the client, then the connection ends; node sees it close. */
  private fail(err: unknown): void {
    this.failed = true;
    const code = err instanceof FrameError ? err.http2Code : H2Error.CompressionError;
    const reason = err instanceof Error ? err.message : String(err);
    try {
      this.options.onMalformed?.(reason);
    } catch {
      // a counter's failure must not keep the connection open
    }
    const s = this.socket as Duplex & { destroySoon?: () => void };
    if (s.writable) {
      s.write(goawayFrame(this.rewriter.lastStreamId, code));
      if (s.destroySoon !== undefined) s.destroySoon();
      else s.end();
    } else s.destroy();
    this.destroy();
  }

  override _read(): void {
    if (this.pausedByUs) {
      this.pausedByUs = false;
      this.socket.resume();
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.failed) return cb();
    if (this.socket.write(chunk)) cb();
    else this.socket.once('drain', () => cb());
  }

  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    if (this.failed) return cb();
    const s = this.socket as Duplex;
    s.cork();
    let ok = true;
    for (const c of chunks) ok = s.write(c.chunk);
    s.uncork();
    if (ok) cb();
    else s.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (!this.failed) this.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    identities.delete(this.token);
    if (!this.failed) this.socket.destroy();
    cb(err);
  }
}
