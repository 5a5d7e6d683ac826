/**
 * The snapshot file format and name.
 *
 * Name: `<term>-<index>.snap`, 16 hex digits each (etcd's convention).
 *
 * Layout (little-endian):
 *
 *   0   magic "CSNP"
 *   4   u32 CRC-32C of every byte from offset 8 to the end
 *   8   u16 format version
 *   10  u16 reserved (0)
 *   12  u64 index
 *   20  u64 term
 *   28  u32 voter count V, then V × u64 voter id
 *       u32 learner count L, then L × u64 learner id
 *       u64 data length D, then D bytes of state-machine data
 */
import type { Snapshot } from '../../raft/types.js';
import { maybeGetU64, putU64, viewOf } from '../binary.js';
import { CorruptionError, StorageError, StorageErrorReason } from '../errors.js';
import { crc32c } from '../wal/crc32c.js';
import { hex16 } from '../wal/segment-name.js';

export const SNAP_FORMAT_VERSION = 1;
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

export function encodeSnapshot(snapshot: Snapshot): Uint8Array {
  const { metadata, data } = snapshot;
  const { voters, learners } = metadata.confState;
  const size = HEADER_BYTES + 16 + 4 + voters.length * 8 + 4 + learners.length * 8 + 8 + data.length;
  const out = new Uint8Array(size);
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
  putU64(v, p, data.length);
  out.set(data, p + 8);
  v.setUint32(4, crc32c(out, 0, 8), true);
  return out;
}

/** Decodes and verifies a snapshot file; throws CorruptionError naming the file and offset. */
export function decodeSnapshot(bytes: Uint8Array, file: string): Snapshot {
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
  if (v.getUint32(4, true) !== crc32c(bytes, 0, 8)) fail(4, 'crc mismatch');
  let p = HEADER_BYTES;
  const u64 = (at: number): number => maybeGetU64(v, at) ?? fail(at, 'integer out of range');
  const need = (n: number): void => {
    if (p + n > bytes.length) fail(p, 'truncated');
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
  need(8);
  const dataBytes = u64(p);
  p += 8;
  if (p + dataBytes !== bytes.length) fail(p, 'data length does not match the file size');
  return {
    metadata: { index, term, confState: { voters: lists[0] ?? [], learners: lists[1] ?? [] } },
    data: bytes.slice(p),
  };
}
