/**
 * A 64-bit non-cryptographic hash (two independent 32-bit FNV-1a lanes with different offsets,
 * the second also mixing in the position) for comparing members' states. Not for security.
 */
export class Hasher {
  private a = 0x811c9dc5;
  private b = 0x01000193 ^ 0x5bd1e995;
  private n = 0;

  byte(x: number): void {
    this.a = Math.imul(this.a ^ x, 0x01000193);
    this.b = Math.imul(this.b ^ x ^ (this.n & 0xff), 0x01000193) ^ (this.b >>> 15);
    this.n++;
  }

  /** A non-negative safe integer, as 7 bytes, little-endian. */
  uint(v: number): void {
    let x = v;
    for (let i = 0; i < 7; i++) {
      this.byte(x % 256);
      x = Math.floor(x / 256);
    }
  }

  bytes(data: Uint8Array): void {
    this.uint(data.length);
    for (let i = 0; i < data.length; i++) this.byte(data[i] as number);
  }

  /** A latin1 string (latin1.ts): the same as `bytes()` of its bytes, without building them. */
  latin1(s: string): void {
    this.uint(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i));
  }

  string(s: string): void {
    this.bytes(new TextEncoder().encode(s));
  }

  /** 16 lowercase hex digits. */
  digest(): string {
    return (this.a >>> 0).toString(16).padStart(8, '0') + (this.b >>> 0).toString(16).padStart(8, '0');
  }
}
