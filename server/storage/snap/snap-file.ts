/**
 * The snapshot file format and name.
 *
 * Name: `<term>-<index>.snap`, 16 hex digits each (etcd's convention).
 *
 * Layout of version 2 (little-endian), written as a stream — the data's length and checksum are
 * only known at its end, so they follow it:
 *
 *   0   magic "CSNP"
 *   4   u32 0 (unused, must be 0)
 *   8   u16 format version (2)
 *   10  u16 reserved (0)
 *   12  u64 index
 *   20  u64 term
 *   28  u32 voter count V, then V × u64 voter id
 *       u32 learner count L, then L × u64 learner id
 *       D bytes of state-machine data
 *   end u64 data length D, then u32 CRC-32C of every byte from offset 8 up to this checksum
 *
 * Version 1 (still read) had the CRC at offset 4 and the data length just before the data.
 */
import type { Snapshot, SnapshotMetadata } from '../../raft/types.js';
import { maybeGetU64, putU64, viewOf } from '../binary.js';
import { CorruptionError, StorageError, StorageErrorReason } from '../errors.js';
import { crc32c } from '../wal/crc32c.js';
import { hex16 } from '../wal/segment-name.js';

export const SNAP_FORMAT_VERSION = 2;
const MAGIC = [0x43, 0x53, 0x4e, 0x50];
const HEADER_BYTES = 12;

export interface SnapName {
  readonly term: number;
  readonly index: number;
}

const PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

export function formatSnapName(name: SnapName): string {
  return `${hex16(name.term)}-${hex16(name.index)}.snap`;
}

export function maybeParseSnapName(file: string): SnapName | undefined {
  const m = PATTERN.exec(file);
  if (m === null) return undefined;
  return { term: Number.parseInt(m[1] as string, 16), index: Number.parseInt(m[2] as string, 16) };
}

/** Bytes of a version-2 file before the data (header and membership). */
export function encodeSnapshotHead(metadata: SnapshotMetadata): Uint8Array {
  const { voters, learners } = metadata.confState;
  const out = new Uint8Array(HEADER_BYTES + 16 + 4 + voters.length * 8 + 4 + learners.length * 8);
  const v = viewOf(out);
  out.set(MAGIC, 0);
  v.setUint16(8, SNAP_FORMAT_VERSION, true);
  let p = HEADER_BYTES;
  putU64(v, p, metadata.index);
  putU64(v, p + 8, metadata.term);
  p += 16;
  for (const ids of [voters, learners]) {
    v.setUint32(p, ids.length, true);
    p += 4;
    for (const id of ids) {
      putU64(v, p, id);
      p += 8;
    }
  }
  return out;
}

export const SNAP_TRAILER_BYTES = 12;

/**
 * Computes a version-2 file piece by piece: `head`, then `data` for every chunk of the data, then
 * `trailer()` gives the closing bytes (their own part of the checksum included).
 */
export class SnapFileChecksum {
  private crc: number;
  private dataBytes = 0;

  constructor(head: Uint8Array) {
    this.crc = crc32c(head, 0, 8);
  }

  data(chunk: Uint8Array): void {
    this.crc = crc32c(chunk, this.crc);
    this.dataBytes += chunk.length;
  }

  /** Whether `bytes` are the trailer of what was fed (the file's length and checksum hold). */
  matches(bytes: Uint8Array): boolean {
    const expected = this.trailer();
    return bytes.length === expected.length && expected.every((b, i) => bytes[i] === b);
  }

  trailer(): Uint8Array {
    const out = new Uint8Array(SNAP_TRAILER_BYTES);
    const v = viewOf(out);
    putU64(v, 0, this.dataBytes);
    v.setUint32(8, crc32c(out, this.crc, 0, 8), true);
    return out;
  }
}

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const head = encodeSnapshotHead(snapshot.metadata);
  const sum = new SnapFileChecksum(head);
  sum.data(snapshot.data);
  const trailer = sum.trailer();
  const out = new Uint8Array(head.length + snapshot.data.length + trailer.length);
  out.set(head, 0);
  out.set(snapshot.data, head.length);
  out.set(trailer, head.length + snapshot.data.length);
  return out;
}

/** Bytes read to find a file's head (header and membership: 12 + 16 + 8 per member + 8). */
export const SNAP_HEAD_PROBE_BYTES = 64 * 1024;

/**
 * The metadata and the data's offset of a version-2 file from its first bytes (at least the whole
 * head: see SNAP_HEAD_PROBE_BYTES); undefined for a version-1 file (read whole instead).
 */
export function maybeDecodeSnapshotHead(
  bytes: Uint8Array,
  file: string,
): { metadata: SnapshotMetadata; dataOffset: number } | undefined {
  const fail = (offset: number, detail: string): never => {
    throw new CorruptionError(file, offset, `snapshot: ${detail}`);
  };
  if (bytes.length < HEADER_BYTES + 16 || MAGIC.some((b, i) => bytes[i] !== b))
    fail(0, 'bad magic or too short');
  const v = viewOf(bytes);
  const version = v.getUint16(8, true);
  if (version < 2) return undefined;
  if (version > SNAP_FORMAT_VERSION) {
    throw new StorageError(
      StorageErrorReason.FormatTooNew,
      `${file} was written by snapshot format version ${version}; this build reads up to ${SNAP_FORMAT_VERSION}`,
    );
  }
  if (v.getUint32(4, true) !== 0) fail(4, 'unused header bytes are not zero');
  let p = HEADER_BYTES;
  const u64 = (at: number): number => maybeGetU64(v, at) ?? fail(at, 'integer out of range');
  const index = u64(p);
  const term = u64(p + 8);
  p += 16;
  const lists: number[][] = [];
  for (let k = 0; k < 2; k++) {
    if (p + 4 > bytes.length) fail(p, 'head truncated');
    const count = v.getUint32(p, true);
    p += 4;
    if (p + count * 8 > bytes.length) fail(p, 'head truncated');
    const ids: number[] = [];
    for (let i = 0; i < count; i++, p += 8) ids.push(u64(p));
    lists.push(ids);
  }
  return {
    metadata: { index, term, confState: { voters: lists[0] ?? [], learners: lists[1] ?? [] } },
    dataOffset: p,
  };
}

/**
 * Decodes and verifies a snapshot file; throws CorruptionError naming the file and offset.
 * `verify: false` skips the checksum (a file this process has just written and synced: checking
 * tens of MB on the event loop would be the very stall the background write avoids).
 */
export function decodeSnapshot(bytes: Uint8Array, file: string, verify = true): Snapshot {
  const fail = (offset: number, detail: string): never => {
    throw new CorruptionError(file, offset, `snapshot: ${detail}`);
  };
  if (bytes.length < HEADER_BYTES + 16 || MAGIC.some((b, i) => bytes[i] !== b))
    fail(0, 'bad magic or too short');
  const v = viewOf(bytes);
  const version = v.getUint16(8, true);
  if (version > SNAP_FORMAT_VERSION) {
    throw new StorageError(
      StorageErrorReason.FormatTooNew,
      `${file} was written by snapshot format version ${version}; this build reads up to ${SNAP_FORMAT_VERSION}`,
    );
  }
  // Version 2 ends with the data length and the checksum; version 1 had them in the header.
  const end = version >= 2 ? bytes.length - SNAP_TRAILER_BYTES : bytes.length;
  if (end < HEADER_BYTES + 16) fail(0, 'too short');
  if (version >= 2) {
    if (v.getUint32(4, true) !== 0) fail(4, 'unused header bytes are not zero');
    if (verify && v.getUint32(end + 8, true) !== crc32c(bytes, 0, 8, end + 8)) fail(end + 8, 'crc mismatch');
  } else if (verify && v.getUint32(4, true) !== crc32c(bytes, 0, 8)) {
    fail(4, 'crc mismatch');
  }
  let p = HEADER_BYTES;
  const u64 = (at: number): number => maybeGetU64(v, at) ?? fail(at, 'integer out of range');
  const need = (n: number): void => {
    if (p + n > end) fail(p, 'truncated');
  };
  const index = u64(p);
  const term = u64(p + 8);
  p += 16;
  const lists: number[][] = [];
  for (let k = 0; k < 2; k++) {
    need(4);
    const count = v.getUint32(p, true);
    p += 4;
    need(count * 8);
    const ids: number[] = [];
    for (let i = 0; i < count; i++, p += 8) ids.push(u64(p));
    lists.push(ids);
  }
  let dataBytes: number;
  if (version >= 2) {
    dataBytes = u64(end);
  } else {
    need(8);
    dataBytes = u64(p);
    p += 8;
  }
  if (p + dataBytes !== end) fail(p, 'data length does not match the file size');
  return {
    metadata: { index, term, confState: { voters: lists[0] ?? [], learners: lists[1] ?? [] } },
    // A view, not a copy: the file's bytes are read once and kept as the snapshot's data.
    data: bytes.subarray(p, end),
  };
}
