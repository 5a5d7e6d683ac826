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
 *   then nothing (a byte after the end is an error)
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

/**
 * CRC-32C (Castagnoli, reflected 0x82F63B78), chainable: `crc32c(b, crc32c(a))` is the CRC of a
 * then b. The storage layer has its own copy (server/storage/wal/crc32c.ts): this folder is the
 * wire contract and imports nothing outside it, and storage imports nothing of the client.
 */
const CRC_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array, seed = 0): number {
  let crc = ~seed >>> 0;
  for (let i = 0; i < data.length; i++) crc = (CRC_TABLE[(crc ^ data[i]!) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** The checksum as `snapshot status` prints it: 8 hex digits. */
export function formatSnapshotChecksum(crc: number): string {
  return crc.toString(16).padStart(8, '0');
}

/** Bytes of the file framing a payload of `payloadBytes`. */
export function framedSizeBytes(payloadBytes: number): number {
  const blocks = Math.ceil(payloadBytes / BLOCK_BYTES);
  return SNAPSHOT_FILE_HEADER_BYTES + payloadBytes + blocks * BLOCK_OVERHEAD_BYTES + END_BYTES;
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
): AsyncIterableIterator<Uint8Array> {
  return new SnapshotFramer(payload[Symbol.asyncIterator](), payloadBytes);
}

class SnapshotFramer implements AsyncIterableIterator<Uint8Array> {
  /** Bytes to put before the next output (the header, until the first chunk takes it). */
  private pending: Uint8Array[] = [Uint8Array.from([...MAGIC, SNAPSHOT_FILE_VERSION, 0, 0, 0])];
  private crc = 0;
  private total = 0;
  private inBlock = 0;
  private blockBytes = 0;
  private ended = false;

  constructor(
    private readonly source: AsyncIterator<Uint8Array>,
    private readonly payloadBytes: number,
  ) {}

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this;
  }

  /** One output chunk per input chunk (its bytes framed), then one with the end record. */
  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.ended) return { done: true, value: undefined };
    const r = await this.source.next();
    if (r.done === true) {
      this.ended = true;
      if (this.total !== this.payloadBytes)
        throw new Error(
          `snapshot ended ${this.payloadBytes - this.total} bytes short of ${this.payloadBytes}`,
        );
      this.pending.push(endRecord(this.total, this.crc));
    } else {
      this.frame(r.value);
    }
    const out = concat(this.pending);
    this.pending = [];
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
}

type ReaderState = 'header' | 'length' | 'payload' | 'crc' | 'end' | 'done';

/**
 * Checks a snapshot file fed in chunks of any size, and hands back its payload. `push` returns the
 * payload bytes the chunk carried (views of it: copy them before the chunk is reused) and throws a
 * SnapshotFileError at the first damage; `finish` (no more input) throws if the file is cut short,
 * else returns its summary. Payload handed back before an error is unverified: keep nothing of a
 * file that fails.
 */
export class SnapshotFileReader {
  private state: ReaderState = 'header';
  /** File offset of the next byte pushed. */
  private offset = 0;
  /** A fixed-size field being gathered across chunks. */
  private field = new Uint8Array(END_BYTES);
  private fieldBytes = 0;
  private fieldStart = 0;
  private blockBytes = 0;
  private blockLeft = 0;
  private crc = 0;
  private payloadBytes = 0;

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'done')
        throw new SnapshotFileError('trailing', this.offset, 'bytes after the end record');
      if (this.state === 'payload') {
        const piece = chunk.subarray(at, at + this.blockLeft);
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
    return { payloadBytes: this.payloadBytes, fileBytes: this.offset, checksum: this.crc };
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
        this.state = 'done';
        return;
      }
      default:
        return;
    }
  }
}
