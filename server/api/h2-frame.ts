/**
 * The little of HTTP/2 framing (RFC 9113 §4.1, §6) that the authority shim and the first-request
 * router read themselves: frame headers, the HEADERS payload layout, and the frames they write.
 * Everything else about the connection is node:http2's.
 */

/** RFC 9113 §3.4: the client preface's length (its bytes are checked by node:http2). */
export const PREFACE_BYTES = 24;
export const FRAME_HEADER_BYTES = 9;

export const FrameType = {
  Data: 0x0,
  Headers: 0x1,
  Priority: 0x2,
  RstStream: 0x3,
  Settings: 0x4,
  PushPromise: 0x5,
  Ping: 0x6,
  Goaway: 0x7,
  WindowUpdate: 0x8,
  Continuation: 0x9,
} as const;

export const Flag = {
  EndStream: 0x1,
  Ack: 0x1,
  EndHeaders: 0x4,
  Padded: 0x8,
  Priority: 0x20,
} as const;

export const H2Error = {
  ProtocolError: 0x1,
  CompressionError: 0x9,
} as const;

/** The stream dependency and weight of a HEADERS frame with the PRIORITY flag. */
export const PRIORITY_BYTES = 5;

export interface FrameHeader {
  readonly length: number;
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
}

/** A client's frames that cannot be followed; `http2Code` goes into the GOAWAY. */
export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    message: string,
    readonly http2Code: number = H2Error.ProtocolError,
  ) {
    super(message);
  }
}

export function readFrameHeader(b: Buffer, at = 0): FrameHeader {
  return {
    length: b.readUIntBE(at, 3),
    type: b[at + 3]!,
    flags: b[at + 4]!,
    streamId: b.readUInt32BE(at + 5) & 0x7fffffff,
  };
}

export function writeFrameHeader(out: Buffer, at: number, h: FrameHeader): void {
  out.writeUIntBE(h.length, at, 3);
  out[at + 3] = h.type;
  out[at + 4] = h.flags;
  out.writeUInt32BE(h.streamId & 0x7fffffff, at + 5);
}

/**
 * A HEADERS payload's header block fragment and priority fields, without its pad length and
 * padding (RFC 9113 §6.2). Throws FrameError when the declared lengths do not fit.
 */
export function headersFragment(
  flags: number,
  payload: Buffer,
): { fragment: Buffer; priority: Buffer | undefined } {
  let at = 0;
  let padding = 0;
  if ((flags & Flag.Padded) !== 0) {
    if (payload.length < 1) throw new FrameError('HEADERS too short for its pad length');
    padding = payload[0]!;
    at = 1;
  }
  let priority: Buffer | undefined;
  if ((flags & Flag.Priority) !== 0) {
    if (payload.length < at + PRIORITY_BYTES) throw new FrameError('HEADERS too short for its priority');
    priority = Buffer.from(payload.subarray(at, at + PRIORITY_BYTES));
    at += PRIORITY_BYTES;
  }
  if (at + padding > payload.length) throw new FrameError('HEADERS padding longer than its payload');
  return { fragment: payload.subarray(at, payload.length - padding), priority };
}

/** A SETTINGS frame with no parameters: every setting at the protocol's initial value. */
export function emptySettingsFrame(): Buffer {
  const f = Buffer.alloc(FRAME_HEADER_BYTES);
  writeFrameHeader(f, 0, { length: 0, type: FrameType.Settings, flags: 0, streamId: 0 });
  return f;
}

/** The answer to a PING (RFC 9113 §6.7): its 8 bytes back, with ACK. */
export function pingAckFrame(payload: Buffer): Buffer {
  const f = Buffer.alloc(FRAME_HEADER_BYTES + 8);
  writeFrameHeader(f, 0, { length: 8, type: FrameType.Ping, flags: Flag.Ack, streamId: 0 });
  payload.copy(f, FRAME_HEADER_BYTES, 0, 8);
  return f;
}

/** A GOAWAY frame (RFC 9113 §6.8). */
export function goawayFrame(lastStreamId: number, code: number): Buffer {
  const f = Buffer.alloc(FRAME_HEADER_BYTES + 8);
  writeFrameHeader(f, 0, { length: 8, type: FrameType.Goaway, flags: 0, streamId: 0 });
  f.writeUInt32BE(lastStreamId & 0x7fffffff, FRAME_HEADER_BYTES);
  f.writeUInt32BE(code, FRAME_HEADER_BYTES + 4);
  return f;
}
