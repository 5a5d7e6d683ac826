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

interface Latin1Coding {
  latin1Slice(this: Uint8Array, start: number, end: number): string;
  latin1Write(this: Uint8Array, s: string, offset: number, length: number): number;
}
const coding = Buffer.prototype as unknown as Latin1Coding;

/** Up to this many bytes a JS loop beats the native call (and the typed array stays on the heap). */
const SHORT = 48;

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
 * The bytes of a latin1 string, as a fresh plain Uint8Array the caller owns (not a Buffer, whose
 * `slice` shares memory instead of copying). Only the low byte of each code unit is kept, so it
 * must come from `bytesToLatin1` (or hold only code units ≤ 0xff).
 */
export function latin1ToBytes(s: string): Uint8Array {
  const n = s.length;
  if (n <= SHORT) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  // From Buffer's pool: no ArrayBuffer of its own per value (measured: ~2× faster at 256 bytes).
  const b = Buffer.from(s, 'latin1');
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Bytewise order of two latin1 strings (code-unit order is byte order): negative, zero or positive. */
export function compareLatin1(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
