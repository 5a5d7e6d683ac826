/**
 * Small byte arrays carved from shared blocks, as Node's Buffer pool does. A Uint8Array with its
 * own ArrayBuffer costs a JS object, an ArrayBuffer, a malloc'd backing store and a GC extension
 * record beside its bytes, and V8's ArrayBufferSweeper walks every extension alive after each full
 * GC and frees the dead ones' stores one by one; a scavenge that starts meanwhile waits for it
 * (docs/performance.md, "The leader's long scavenges"). A block serves many arrays, and lives as
 * long as the longest-lived of them: a pool suits arrays that die in about the order they were
 * made (Raft entries, dropped in log order; short-lived read copies).
 *
 * Blocks are zeroed (`new ArrayBuffer`), so an array's `.buffer` shows nothing but other arrays of
 * the same pool; like a pooled Buffer's, it must never be transferred (that would detach the
 * others), and code reading one must honour its `byteOffset`.
 */
export class BytePool {
  private block: Uint8Array;
  private offset = 0;

  /** `blockBytes`: the size of each shared block; arrays over half of it get their own. */
  constructor(private readonly blockBytes: number) {
    if (!(Number.isSafeInteger(blockBytes) && blockBytes >= 16))
      throw new RangeError(`BytePool: block size must be an integer ≥ 16, got ${blockBytes}`);
    this.block = new Uint8Array(blockBytes);
  }

  /** A zero-filled array of `n` bytes the caller owns (possibly a view of a shared block). */
  alloc(n: number): Uint8Array {
    if (n > this.blockBytes >>> 1) return new Uint8Array(n);
    if (this.offset + n > this.blockBytes) {
      this.block = new Uint8Array(this.blockBytes);
      this.offset = 0;
    }
    const out = this.block.subarray(this.offset, this.offset + n);
    this.offset += (n + 7) & ~7; // 8-byte aligned, as Node's pool
    return out;
  }

  /** A copy of `bytes` (possibly a view of a shared block). */
  copyOf(bytes: Uint8Array): Uint8Array {
    const out = this.alloc(bytes.length);
    out.set(bytes);
    return out;
  }
}
