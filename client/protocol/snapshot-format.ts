/**
 * The snapshot file: what `maintenance.snapshot` streams (all three doors: WebSocket, gRPC, JSON
 * gateway), what `concord snapshot save` (and `etcdctl snapshot save`) writes to disk byte for
 * byte, and what `concord snapshot status|restore` read. The payload is the member's state machine
 * snapshot (server/apply/state-snapshot.ts), framed so that damage is found at its offset:
 *
 *   0   magic "CBAK", u8 format version (1), 3 bytes 0
 *   8   blocks, each: u32 payload bytes L (1 ≤ L ≤ MAX_BLOCK_BYTES), L payload bytes,
 *       u32 CRC-32C of the payload from its first byte up to the end of this block (running)
 *       end: u32 0, u64 payload bytes in all, u32 CRC-32C of the whole payload
 *   P zero bytes (0 ≤ P < 512) so that the file's size is 32 more than a multiple of 512
 *   32 bytes: SHA-256 of every byte before them
 *   then nothing (a byte after the SHA-256 is an error)
 *
 * The padding and the SHA-256 are etcd's convention for a snapshot stream (its database, a whole
 * number of 512-byte pages, then the SHA-256 of it): `etcdctl snapshot save` checks that the size
 * is 32 more than a multiple of 512 and refuses the stream otherwise, so with them an operator's
 * etcdctl saves a Concord snapshot as it would an etcd one (the file is Concord's; etcdutl cannot
 * restore it). The SHA-256 is verified where a hasher is at hand (`concord snapshot
 * status|restore`, node:crypto); this folder imports nothing, so the SDK, which may run in a
 * browser, checks the CRCs only.
 *
 * All integers little-endian. The running CRC makes each block's checksum cover every block
 * before it, so a block that is corrupted, dropped, repeated or moved is reported at the first
 * block whose checksum fails, and the end record closes the file: a file cut anywhere, even
 * between two blocks, is refused. The CRC-32C of the whole payload is the file's checksum
 * (`snapshot status` prints it). CRC-32C finds accidental damage (disk, copy, transfer); it is not
 * a defence against deliberate tampering.
 *
 * The writer needs the payload size up front only for `framedSizeBytes` (the size announced before
 * the first chunk); blocks are cut at fixed `BLOCK_BYTES`, so the framing never changes the
 * payload's own chunking and costs 8 bytes per block.
 */

const MAGIC = [0x43, 0x42, 0x41, 0x4b]; // "CBAK"
export const SNAPSHOT_FILE_VERSION = 1;
export const SNAPSHOT_FILE_HEADER_BYTES = 8;
/** Payload bytes per block the writer cuts (a reader accepts any length up to MAX_BLOCK_BYTES). */
export const BLOCK_BYTES = 64 * 1024;
/** The largest block a reader believes: a corrupted length is reported, not allocated. */
export const MAX_BLOCK_BYTES = 16 * 1024 * 1024;
const BLOCK_OVERHEAD_BYTES = 8;
const END_BYTES = 16;
const SHA256_BYTES = 32;
/** The file's size is SHA256_BYTES more than a multiple of this (etcdctl checks it). */
const ALIGN_BYTES = 512;

/** An incremental SHA-256 (node:crypto's Hash has this shape). */
export interface Sha256Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

/** Zero bytes after an end record that ends at `endsAt`, so that the file's size ≡ 32 (mod 512). */
function paddingAfter(endsAt: number): number {
  return (ALIGN_BYTES - (endsAt % ALIGN_BYTES)) % ALIGN_BYTES;
}

/**
 * CRC-32C (Castagnoli, reflected 0x82F63B78), slicing-by-8, chainable: `crc32c(b, crc32c(a))` is
 * the CRC of a then b. The same algorithm as server/storage/wal/crc32c.ts, kept apart on purpose:
 * this folder is the wire contract and imports nothing outside it, and storage imports nothing of
 * the client.
 */
const CRC_TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

export function crc32c(data: Uint8Array, seed = 0): number {
  const t = CRC_TABLES;
  let crc = ~seed >>> 0;
  let i = 0;
  const end = data.length;
  while (end - i >= 8) {
    const lo = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    const hi = (data[i + 4]! | (data[i + 5]! << 8) | (data[i + 6]! << 16) | (data[i + 7]! << 24)) >>> 0;
    crc =
      t[7 * 256 + (lo & 0xff)]! ^
      t[6 * 256 + ((lo >>> 8) & 0xff)]! ^
      t[5 * 256 + ((lo >>> 16) & 0xff)]! ^
      t[4 * 256 + (lo >>> 24)]! ^
      t[3 * 256 + (hi & 0xff)]! ^
      t[2 * 256 + ((hi >>> 8) & 0xff)]! ^
      t[256 + ((hi >>> 16) & 0xff)]! ^
      t[hi >>> 24]!;
    i += 8;
  }
  while (i < end) {
    crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}

/** The checksum as `snapshot status` prints it: 8 hex digits. */
export function formatSnapshotChecksum(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

/** Bytes of the file framing a payload of `payloadBytes`. */
export function framedSizeBytes(payloadBytes: number): number {
  const blocks = Math.ceil(payloadBytes / BLOCK_BYTES);
  const endsAt = SNAPSHOT_FILE_HEADER_BYTES + payloadBytes + blocks * BLOCK_OVERHEAD_BYTES + END_BYTES;
  return endsAt + paddingAfter(endsAt) + SHA256_BYTES;
}

function u32(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n >>> 0, true);
  return out;
}

function endRecord(total: number, crc: number): Uint8Array {
  const out = new Uint8Array(END_BYTES);
  const v = new DataView(out.buffer);
  v.setUint32(0, 0, true);
  v.setBigUint64(4, BigInt(total), true);
  v.setUint32(12, crc, true);
  return out;
}

/**
 * Frames a payload of `payloadBytes` given as chunks of any size into the file's bytes: the
 * header, block lengths, checksums and the end
 * record around the input's bytes, one output chunk per input chunk (a copy: the caller may keep
 * it). Fails if the input yields more or fewer bytes than announced. `return()` (a consumer that stops early, even before the first `next()`) is passed
 * on to the input, so that a source holding resources (a pinned view) releases them.
 */
export function frameSnapshot(
  payload: AsyncIterable<Uint8Array>,
  payloadBytes: number,
  sha256: Sha256Hasher,
): AsyncIterableIterator<Uint8Array> {
  return new SnapshotFramer(payload[Symbol.asyncIterator](), payloadBytes, sha256);
}

class SnapshotFramer implements AsyncIterableIterator<Uint8Array> {
  /** Bytes to put before the next output (the header, until the first chunk takes it). */
  private pending: Uint8Array[] = [Uint8Array.from([...MAGIC, SNAPSHOT_FILE_VERSION, 0, 0, 0])];
  private crc = 0;
  private total = 0;
  private inBlock = 0;
  private blockBytes = 0;
  private ended = false;
  /** Bytes output so far. */
  private written = 0;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly payloadBytes: number,
    private readonly sha256: Sha256Hasher,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  /** One output chunk per input chunk (its bytes framed), then one with the end record. */
  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.ended) return { done: true, value: undefined };
    const r = await this.source.next();
    let last = false;
    if (r.done === true) {
      this.ended = true;
      last = true;
      if (this.total !== this.payloadBytes)
        throw new Error(
          `snapshot ended ${this.payloadBytes - this.total} bytes short of ${this.payloadBytes}`,
        );
      const end = endRecord(this.total, this.crc);
      this.pending.push(end);
      this.pending.push(new Uint8Array(paddingAfter(this.written + pendingBytes(this.pending))));
    } else {
      this.frame(r.value);
    }
    let out = concat(this.pending);
    this.pending = [];
    this.sha256.update(out);
    this.written += out.length;
    if (last) out = concat([out, this.sha256.digest()]);
    return { done: false, value: out };
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    this.ended = true;
    this.pending = [];
    await this.source.return?.();
    return { done: true, value: undefined };
  }

  private frame(chunk: Uint8Array): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.inBlock === 0) {
        const left = this.payloadBytes - this.total;
        if (left <= 0) throw new Error(`snapshot is larger than the announced ${this.payloadBytes} bytes`);
        this.blockBytes = Math.min(BLOCK_BYTES, left);
        this.pending.push(u32(this.blockBytes));
      }
      const piece = chunk.subarray(at, at + (this.blockBytes - this.inBlock));
      at += piece.length;
      this.inBlock += piece.length;
      this.total += piece.length;
      this.crc = crc32c(piece, this.crc);
      this.pending.push(piece);
      if (this.inBlock === this.blockBytes) {
        this.pending.push(u32(this.crc));
        this.inBlock = 0;
      }
    }
  }
}

function pendingBytes(parts: readonly Uint8Array[]): number {
  return parts.reduce((n, p) => n + p.length, 0);
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!.slice();
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Why a snapshot file is refused; `offset` is the file offset where the problem was found. */
export type SnapshotFileProblem =
  'magic' | 'version' | 'block-length' | 'checksum' | 'truncated' | 'trailing';

export class SnapshotFileError extends Error {
  override readonly name = 'SnapshotFileError';
  constructor(
    readonly problem: SnapshotFileProblem,
    /** File offset (bytes from the start) where the problem was found. */
    readonly offset: number,
    detail: string,
  ) {
    super(`snapshot file damaged at offset ${offset}: ${detail}`);
  }
}

export interface SnapshotFileSummary {
  readonly payloadBytes: number;
  readonly fileBytes: number;
  /** CRC-32C of the payload (the file's checksum). */
  readonly checksum: number;
  /** The SHA-256 the file ends with (hex), verified only when the reader was given a hasher. */
  readonly sha256: string;
  readonly sha256Verified: boolean;
}

type ReaderState = 'header' | 'length' | 'payload' | 'crc' | 'end' | 'padding' | 'sha' | 'done';

/**
 * Checks a snapshot file fed in chunks of any size, and hands back its payload. `push` returns the
 * payload bytes the chunk carried (views of it: copy them before the chunk is reused) and throws a
 * SnapshotFileError at the first damage; `finish` (no more input) throws if the file is cut short,
 * else returns its summary. Payload handed back before an error is unverified: keep nothing of a
 * file that fails.
 */
export class SnapshotFileReader {
  private state: ReaderState = 'header';
  private paddingLeft = 0;
  private sha256Hex = '';
  /** File offset of the next byte pushed. */
  private offset = 0;
  /** A fixed-size field being gathered across chunks. */
  private field = new Uint8Array(SHA256_BYTES);
  private fieldBytes = 0;
  private fieldStart = 0;
  private blockBytes = 0;
  private blockLeft = 0;
  private crc = 0;
  private payloadBytes = 0;

  /** With `sha256`, the SHA-256 at the end is checked too (else only read). */
  constructor(private readonly sha256?: Sha256Hasher) {}

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'done')
        throw new SnapshotFileError('trailing', this.offset, 'bytes after the SHA-256 that ends the file');
      if (this.state === 'padding') {
        const piece = chunk.subarray(at, at + this.paddingLeft);
        const nonZero = piece.findIndex((b) => b !== 0);
        if (nonZero >= 0)
          throw new SnapshotFileError('checksum', this.offset + nonZero, 'a padding byte is not 0');
        this.sha256?.update(piece);
        at += piece.length;
        this.offset += piece.length;
        this.paddingLeft -= piece.length;
        if (this.paddingLeft === 0) this.startField('sha');
        continue;
      }
      if (this.state === 'payload') {
        const piece = chunk.subarray(at, at + this.blockLeft);
        this.sha256?.update(piece);
        at += piece.length;
        this.offset += piece.length;
        this.blockLeft -= piece.length;
        this.payloadBytes += piece.length;
        this.crc = crc32c(piece, this.crc);
        out.push(piece);
        if (this.blockLeft === 0) this.startField('crc');
        continue;
      }
      const need = this.fieldSize() - this.fieldBytes;
      const piece = chunk.subarray(at, at + need);
      if (this.state !== 'sha') this.sha256?.update(piece);
      this.field.set(piece, this.fieldBytes);
      this.fieldBytes += piece.length;
      at += piece.length;
      this.offset += piece.length;
      if (this.fieldBytes === this.fieldSize()) this.onField();
    }
    return out;
  }

  finish(): SnapshotFileSummary {
    if (this.state !== 'done') {
      throw new SnapshotFileError(
        'truncated',
        this.offset,
        `the file ends after ${this.offset} bytes, ${this.expecting()}`,
      );
    }
    return {
      payloadBytes: this.payloadBytes,
      fileBytes: this.offset,
      checksum: this.crc,
      sha256: this.sha256Hex,
      sha256Verified: this.sha256 !== undefined,
    };
  }

  private expecting(): string {
    switch (this.state) {
      case 'header':
        return 'inside the 8-byte header';
      case 'length':
        return `where a block or the end record starts (offset ${this.fieldStart})`;
      case 'payload':
        return `${this.blockLeft} bytes short of the end of the ${this.blockBytes}-byte block at offset ${this.fieldStart}`;
      case 'crc':
        return `inside the checksum of the block at offset ${this.fieldStart - this.blockBytes - 4}`;
      case 'end':
        return `inside the end record at offset ${this.fieldStart - 4}`;
      case 'padding':
        return 'inside the padding before the SHA-256';
      case 'sha':
        return `inside the SHA-256 at offset ${this.fieldStart}`;
      case 'done':
        return 'complete';
    }
  }

  private fieldSize(): number {
    switch (this.state) {
      case 'header':
        return SNAPSHOT_FILE_HEADER_BYTES;
      case 'end':
        return END_BYTES - 4;
      case 'sha':
        return SHA256_BYTES;
      default:
        return 4;
    }
  }

  private startField(state: ReaderState): void {
    this.state = state;
    this.fieldBytes = 0;
    this.fieldStart = this.offset;
  }

  private onField(): void {
    const v = new DataView(this.field.buffer, 0, this.fieldBytes);
    const at = this.fieldStart;
    switch (this.state) {
      case 'header': {
        if (!MAGIC.every((b, i) => this.field[i] === b))
          throw new SnapshotFileError('magic', 0, 'not a Concord snapshot file (bad magic)');
        const version = this.field[4]!;
        if (version !== SNAPSHOT_FILE_VERSION)
          throw new SnapshotFileError(
            'version',
            4,
            `format version ${version} is not supported: this build reads version ${SNAPSHOT_FILE_VERSION}`,
          );
        if (this.field[5] !== 0 || this.field[6] !== 0 || this.field[7] !== 0)
          throw new SnapshotFileError('version', 5, 'reserved header bytes are not 0');
        this.startField('length');
        return;
      }
      case 'length': {
        const length = v.getUint32(0, true);
        if (length === 0) {
          this.startField('end');
          return;
        }
        if (length > MAX_BLOCK_BYTES)
          throw new SnapshotFileError(
            'block-length',
            at,
            `block length ${length} is larger than ${MAX_BLOCK_BYTES} (a damaged length field)`,
          );
        this.blockBytes = length;
        this.blockLeft = length;
        this.fieldStart = this.offset;
        this.state = 'payload';
        return;
      }
      case 'crc': {
        const stored = v.getUint32(0, true);
        const blockAt = at - this.blockBytes - 4;
        if (stored !== this.crc)
          throw new SnapshotFileError(
            'checksum',
            blockAt,
            `the checksum of the ${this.blockBytes}-byte block at offset ${blockAt} does not match its bytes (offsets ${blockAt + 4}..${at - 1})`,
          );
        this.startField('length');
        return;
      }
      case 'end': {
        const total = Number(v.getBigUint64(0, true));
        const crc = v.getUint32(8, true);
        if (total !== this.payloadBytes || crc !== this.crc)
          throw new SnapshotFileError(
            'checksum',
            at - 4,
            `the end record at offset ${at - 4} does not match the blocks before it (${total} bytes, checksum ${formatSnapshotChecksum(crc)}; read ${this.payloadBytes} bytes, checksum ${formatSnapshotChecksum(this.crc)})`,
          );
        this.paddingLeft = paddingAfter(this.offset);
        if (this.paddingLeft > 0) this.state = 'padding';
        else this.startField('sha');
        return;
      }
      case 'sha': {
        this.sha256Hex = hex(this.field.subarray(0, SHA256_BYTES));
        if (this.sha256 !== undefined && hex(this.sha256.digest()) !== this.sha256Hex)
          throw new SnapshotFileError(
            'checksum',
            at,
            `the SHA-256 at offset ${at} does not match the ${at} bytes before it`,
          );
        this.state = 'done';
        return;
      }
      default:
        return;
    }
  }
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}
