/**
 * A small binary writer and a bounds-checked reader: unsigned varints (up to 2^53), byte strings
 * with a length prefix, and UTF-8 strings. Used by the snapshot codec and the command codec. The
 * reader never reads past its input: a short or malformed input raises `DecodeError`, which
 * callers turn into their own typed error.
 */

import { concatBytes } from '../bytes.js';
import { bytesToLatin1, writeLatin1 } from './latin1.js';

export { concatBytes };

export class DecodeError extends Error {
  override readonly name = 'DecodeError';
}

/**
 * The encoding itself — u8, unsigned varints, length-prefixed byte strings — into `buf` at `pos`;
 * a subclass decides what happens when the buffer is full (`ensure`).
 */
export abstract class ByteEncoding {
  protected buf: Uint8Array;
  protected pos = 0;

  constructor(initialBytes: number) {
    this.buf = new Uint8Array(initialBytes);
  }

  /** Makes room for `n` more bytes at `pos`. */
  protected abstract ensure(n: number): void;

  u8(n: number): this {
    this.ensure(1);
    this.buf[this.pos++] = n & 0xff;
    return this;
  }

  /** An unsigned integer ≤ 2^53 − 1 as a LEB128 varint. */
  uint(n: number): this {
    this.ensure(8);
    let v = n;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
    return this;
  }

  bool(b: boolean): this {
    return this.u8(b ? 1 : 0);
  }

  bytes(b: Uint8Array): this {
    this.uint(b.length);
    this.ensure(b.length);
    if (b.length <= 32) {
      // Typed-array set() has a fixed cost that dominates for short keys and values.
      for (let i = 0; i < b.length; i++) this.buf[this.pos + i] = b[i] as number;
    } else {
      this.buf.set(b, this.pos);
    }
    this.pos += b.length;
    return this;
  }

  /**
   * A latin1 string (latin1.ts) as the byte string of its code units: the same encoding as
   * `bytes()` of those bytes, written without building them first.
   */
  latin1(s: string): this {
    const n = s.length;
    this.uint(n);
    this.ensure(n);
    if (n <= 32) {
      for (let i = 0; i < n; i++) this.buf[this.pos + i] = s.charCodeAt(i);
    } else {
      writeLatin1(this.buf, s, this.pos);
    }
    this.pos += n;
    return this;
  }

  string(s: string): this {
    return this.bytes(new TextEncoder().encode(s));
  }
}

/**
 * Writes into a list of chunks: growing never copies what is written, and `finish()` makes the one
 * final buffer. (Doubling one buffer would allocate and copy about twice the output, and on a large
 * heap each big allocation can trigger a full GC.)
 */
export class ByteWriter extends ByteEncoding {
  private static readonly CHUNK_BYTES = 1 << 20;
  private readonly chunks: Uint8Array[] = [];
  private chunkedBytes = 0;

  constructor(initialBytes = 1024) {
    super(initialBytes);
  }

  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.chunkedBytes += this.pos;
    // The next chunk as large as everything so far (capped): a small record that outgrows its
    // first guess costs a few hundred bytes, not a zeroed 1 MiB chunk.
    const grown = Math.min(ByteWriter.CHUNK_BYTES, 2 * (this.chunkedBytes + this.buf.length));
    this.buf = new Uint8Array(Math.max(grown, n));
    this.pos = 0;
  }

  finish(): Uint8Array {
    if (this.chunks.length === 0) return this.buf.slice(0, this.pos);
    return concatBytes([...this.chunks, this.buf.subarray(0, this.pos)]);
  }
}

/**
 * ByteWriter's encoding into one reused buffer: `view()` is valid until `reset()`. It grows
 * (rarely: a single record larger than the buffer) and never shrinks.
 */
export class SliceWriter extends ByteEncoding {
  reset(): void {
    this.pos = 0;
  }

  view(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  /** Bytes written since the last reset. */
  get length(): number {
    return this.pos;
  }

  protected ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const grown = new Uint8Array(Math.max(2 * this.buf.length, this.pos + n));
    grown.set(this.buf.subarray(0, this.pos));
    this.buf = grown;
  }
}

export class ByteReader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Bytes read so far. */
  get offset(): number {
    return this.pos;
  }

  u8(): number {
    if (this.pos >= this.buf.length) throw new DecodeError(`unexpected end of input at byte ${this.pos}`);
    return this.buf[this.pos++] as number;
  }

  uint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.u8();
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new DecodeError('varint beyond 2^53');
        return result;
      }
      scale *= 0x80;
    }
    throw new DecodeError('varint too long');
  }

  bool(): boolean {
    const b = this.u8();
    if (b > 1) throw new DecodeError(`bad boolean ${b}`);
    return b === 1;
  }

  /** A length-prefixed byte string: a view into the input (copy it to keep it). */
  bytes(): Uint8Array {
    const n = this.uint();
    if (n > this.buf.length - this.pos)
      throw new DecodeError(`byte string of ${n} bytes runs past the input`);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A length-prefixed byte string as a latin1 string (latin1.ts): one copy, no Uint8Array. */
  latin1(): string {
    const n = this.uint();
    if (n > this.buf.length - this.pos)
      throw new DecodeError(`byte string of ${n} bytes runs past the input`);
    const out = bytesToLatin1(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    const bytes = this.bytes();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new DecodeError('string is not valid UTF-8');
    }
  }

  expectEnd(): void {
    if (!this.done) throw new DecodeError(`${this.buf.length - this.pos} trailing bytes`);
  }
}
