/**
 * Bytes ⇄ "latin1" strings: one UTF-16 code unit per byte, each in 0..255. The store holds every
 * key and value in this form (kv-types.ts `StoredKeyValue`): V8 keeps such a string as a sequential
 * one-byte string, its bytes inline after a 16-byte header inside the heap, where a Uint8Array
 * costs a JS object, an ArrayBuffer, a backing store outside the heap and a GC extension to sweep
 * (~200 bytes beside its data; bench/memory.ts, docs/storage.md "Memory representation").
 * Comparison by code unit orders such strings exactly like their bytes.
 *
 * Both directions go through Node's Buffer latin1 coding, a native byte-for-byte copy. Not
 * `TextDecoder('latin1')`: the Encoding Standard makes that label windows-1252, which maps most of
 * 0x80–0x9f to other code points (Node 20 happens to decode it byte for byte; a runtime following
 * the standard would corrupt values and reorder keys: test/unit/mvcc/latin1-representation.test.ts).
 */

import { BytePool } from '../byte-pool.js';

interface Latin1Coding {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  latin1Write(this: Uint8Array, s: string, offset: number, length: number): number;
}
const coding = Buffer.prototype as unknown as Latin1Coding;

/** The latin1 string of `bytes[start, end)` (a flat copy, whatever the length). */
export function bytesToLatin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end <= start) return '';
  return coding.latin1Slice.call(bytes, start, end);
}

/** Writes the bytes of latin1 string `s` into `out` at `offset` (there must be room). */
export function writeLatin1(out: Uint8Array, s: string, offset: number): void {
  coding.latin1Write.call(out, s, offset, s.length);
}

/**
 * Read copies are carved from shared 8 KiB blocks (byte-pool.ts): a block serves ~30 values of
 * 256 bytes, where an ArrayBuffer each would cost ~200 bytes and a malloc apiece (measured: ~75 ns
 * for 256 bytes, against ~150 through `Buffer.from` and ~640 with a JS loop). A copy keeps its
 * block alive while it lives: responses and watch events are short-lived.
 */
const readCopies = new BytePool(8 * 1024);

/**
 * The bytes of a latin1 string, as a fresh plain Uint8Array the caller owns (not a Buffer, whose
 * `slice` shares memory instead of copying; possibly a view of a block shared with other copies).
 * Only the low byte of each code unit is kept, so it must come from `bytesToLatin1` (or hold only
 * code units ≤ 0xff).
 */
export function latin1ToBytes(s: string): Uint8Array {
  const out = readCopies.alloc(s.length);
  writeLatin1(out, s, 0);
  return out;
}

/** Bytewise order of two latin1 strings (code-unit order is byte order): negative, zero or positive. */
export function compareLatin1(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
