/** Re-cuts a byte stream into chunks of exactly `chunkBytes` (the last one may be shorter). */
export async function* rechunk(
  source: AsyncIterable<Uint8Array>,
  chunkBytes: number,
): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(chunkBytes);
  let filled = 0;
  for await (const piece of source) {
    let off = 0;
    while (off < piece.length) {
      const n = Math.min(chunkBytes - filled, piece.length - off);
      buffer.set(piece.subarray(off, off + n), filled);
      filled += n;
      off += n;
      if (filled === chunkBytes) {
        yield buffer;
        buffer = new Uint8Array(chunkBytes);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield buffer.subarray(0, filled);
}
