/**
 * Little-endian integer helpers for the on-disk formats. Indexes, terms and ids are JavaScript
 * safe integers (< 2^53) stored as u64 (two u32 halves), so the format has room to grow.
 */
import { assert } from '../assert.js';

const TWO_32 = 0x1_0000_0000;

export function putU64(view: DataView, offset: number, value: number): void {
  // Checked before calling assert: its message closure would be an allocation on every call (the
  // WAL encodes several u64s per record on the write path).
  if (!Number.isSafeInteger(value) || value < 0) assert(false, `u64 out of range: ${value}`);
  view.setUint32(offset, value % TWO_32, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}

/** Reads a u64; returns undefined when it does not fit a safe integer (only corrupt data does). */
export function maybeGetU64(view: DataView, offset: number): number | undefined {
  const lo = view.getUint32(offset, true);
  const hi = view.getUint32(offset + 4, true);
  if (hi > 0x1f_ffff) return undefined;
  return hi * TWO_32 + lo;
}

export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export const utf8 = {
  encode: (s: string): Uint8Array => new TextEncoder().encode(s),
  decode: (b: Uint8Array): string => new TextDecoder('utf-8', { fatal: true }).decode(b),
};
