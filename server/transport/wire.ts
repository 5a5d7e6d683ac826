/**
 * Byte-level primitives of the peer codec: unsigned LEB128 varints limited to safe integers,
 * length-prefixed byte strings and UTF-8 strings. `ByteReader` validates every read and throws
 * `PeerProtocolError`; it never reads past its end and never allocates more than the remaining
 * input justifies.
 */
import type { BytePool } from '../byte-pool.js';
import { PeerProtocolError, PeerProtocolErrorCode } from './errors.js';

const TWO_POW_7 = 128;
/** A 53-bit safe integer needs at most 8 groups of 7 bits. */
const MAX_VARINT_BYTES = 8;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export class ByteWriter {
  private buf: Uint8Array;
  private pos = 0;

  constructor(initialBytes = 256) {
    this.buf = new Uint8Array(initialBytes);
  }

  get length(): number {
    return this.pos;
  }

  /** Bytes the buffer holds before it must grow. */
  get capacity(): number {
    return this.buf.length;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
  }

  bool(value: boolean): void {
    this.u8(value ? 1 : 0);
  }

  /** Unsigned varint; `value` must be a safe non-negative integer. */
  uvarint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`transport: cannot encode ${value} as an unsigned safe integer`);
    }
    this.ensure(MAX_VARINT_BYTES);
    let v = value;
    while (v >= TWO_POW_7) {
      this.buf[this.pos++] = (v % TWO_POW_7) | 0x80;
      v = Math.floor(v / TWO_POW_7);
    }
    this.buf[this.pos++] = v;
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  bytes(bytes: Uint8Array): void {
    this.uvarint(bytes.length);
    this.raw(bytes);
  }

  string(value: string): void {
    // Heartbeats carry an empty context: no encoder call (and no empty array) for it.
    if (value.length === 0) this.uvarint(0);
    else this.bytes(utf8Encoder.encode(value));
  }

  /** Bytes [start, end) of what `from` has written, appended here. */
  rawFrom(from: ByteWriter, start: number, end: number): void {
    this.ensure(end - start);
    this.buf.set(from.buf.subarray(start, end), this.pos);
    this.pos += end - start;
  }

  /** A copy of the written bytes [start, end). */
  copyOf(start: number, end: number): Uint8Array {
    return this.buf.slice(start, end);
  }

  /** Forgets everything written after the first `length` bytes. */
  truncate(length: number): void {
    if (length < 0 || length > this.pos) throw new RangeError(`transport: cannot truncate to ${length}`);
    this.pos = length;
  }

  /**
   * Starts over at length 0, keeping the buffer. Only once nothing holds a view `finish` returned
   * any more: the next writes overwrite those bytes.
   */
  reset(): void {
    this.pos = 0;
  }

  /** The written bytes (a view: valid until the writer is reset or truncated). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  get offset(): number {
    return this.pos;
  }

  private need(n: number, what: string): void {
    if (this.remaining < n) {
      throw new PeerProtocolError(
        PeerProtocolErrorCode.Truncated,
        `frame truncated reading ${what} at offset ${this.pos} (need ${n}, have ${this.remaining})`,
      );
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }

  bool(what: string): boolean {
    const b = this.u8(what);
    if (b > 1) throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, `${what}: boolean byte ${b}`);
    return b === 1;
  }

  /** Unsigned varint, canonical (no redundant trailing zero group) and within the safe integer range. */
  uvarint(what: string): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < MAX_VARINT_BYTES; i++) {
      const b = this.u8(what);
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (b === 0 && i > 0) {
          throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, `${what}: non-canonical varint`);
        }
        if (!Number.isSafeInteger(result)) {
          throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, `${what}: varint exceeds 2^53-1`);
        }
        return result;
      }
      scale *= TWO_POW_7;
    }
    throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, `${what}: varint longer than 8 bytes`);
  }

  /** A count of items that each take at least `minItemBytes`: bounded by what is left. */
  count(what: string, minItemBytes: number): number {
    const n = this.uvarint(what);
    if (n * minItemBytes > this.remaining) {
      throw new PeerProtocolError(
        PeerProtocolErrorCode.Truncated,
        `${what}: ${n} items cannot fit in ${this.remaining} remaining bytes`,
      );
    }
    return n;
  }

  /**
   * Length-prefixed bytes, copied (decoded values must not pin the socket's receive buffer), into
   * `pool` when one is given.
   */
  bytes(what: string, maxBytes = Number.MAX_SAFE_INTEGER, pool?: BytePool): Uint8Array {
    const n = this.uvarint(what);
    if (n > maxBytes) {
      throw new PeerProtocolError(PeerProtocolErrorCode.TooLarge, `${what}: ${n} bytes exceeds ${maxBytes}`);
    }
    this.need(n, what);
    const src = this.buf.subarray(this.pos, this.pos + n);
    // A fresh copy: on a Node Buffer, `slice` would return a view.
    const out = pool === undefined ? new Uint8Array(src) : pool.copyOf(src);
    this.pos += n;
    return out;
  }

  /** Length-prefixed bytes as a view into the frame (for data copied onwards immediately). */
  bytesView(what: string): Uint8Array {
    const n = this.uvarint(what);
    this.need(n, what);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(what: string, maxBytes: number): string {
    const n = this.uvarint(what);
    if (n > maxBytes) {
      throw new PeerProtocolError(
        PeerProtocolErrorCode.TooLarge,
        `${what}: string of ${n} bytes exceeds ${maxBytes}`,
      );
    }
    this.need(n, what);
    const view = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return utf8Decoder.decode(view);
    } catch (cause) {
      throw new PeerProtocolError(PeerProtocolErrorCode.BadValue, `${what}: invalid UTF-8`, { cause });
    }
  }

  /** Throws unless every byte was consumed. */
  end(): void {
    if (this.remaining !== 0) {
      throw new PeerProtocolError(
        PeerProtocolErrorCode.TrailingBytes,
        `${this.remaining} trailing bytes after offset ${this.pos}`,
      );
    }
  }
}
