/**
 * WAL records: what the log stores, and the framing constants shared by encoder and decoder.
 *
 * Frame (little-endian), see docs/storage.md:
 *
 *   0      4      8     9
 *   | len  | crc  | type | payload (len - 1 bytes) |
 *
 * - `len` counts the type byte and the payload (so len ≥ 1).
 * - `type` low 7 bits: the record kind (RecordCode); bit 7 (BATCH_START) marks the first record
 *   of a group-commit batch. Recovery uses it to tell a torn tail from corruption.
 * - `crc` = CRC-32C(type ‖ payload) XOR CRC-32C(u64 LE byte offset of the frame in its segment).
 *   Mixing in the offset means a frame copied to (or embedded at) another offset does not verify.
 */
import type { Entry, HardState } from '../../raft/types.js';

/** Bytes before the type byte: len (u32) and crc (u32). A frame is FRAME_PREFIX_BYTES + len long. */
export const FRAME_PREFIX_BYTES = 8;
export const BATCH_START = 0x80;

export const RecordCode = {
  Metadata: 1,
  Entry: 2,
  HardState: 3,
  SnapshotMarker: 4,
} as const;
export type RecordCode = (typeof RecordCode)[keyof typeof RecordCode];

/** The first record of every segment: who wrote it and in which format. */
export interface MetadataRecord {
  readonly type: 'metadata';
  readonly formatVersion: number;
  readonly clusterId: string;
  readonly memberId: number;
  readonly segmentSeq: number;
}

export interface EntryRecord {
  readonly type: 'entry';
  readonly entry: Entry;
}

export interface HardStateRecord {
  readonly type: 'hardState';
  readonly hardState: HardState;
}

/**
 * A snapshot at (index, term) is durable in the snap directory. `resetsLog` is set when the
 * snapshot replaced the Raft log (one received from a leader): entries after `index` written
 * before this marker are dead. A locally taken snapshot leaves the log alone.
 */
export interface SnapshotMarkerRecord {
  readonly type: 'snapshot';
  readonly index: number;
  readonly term: number;
  readonly resetsLog: boolean;
}

export type WalRecord = MetadataRecord | EntryRecord | HardStateRecord | SnapshotMarkerRecord;

/**
 * The current on-disk format, the data directory's version. Readers refuse any other: a newer one
 * (FORMAT_TOO_NEW) and an older one (FORMAT_TOO_OLD). Version 2: the state machine numbers
 * revisions as etcd does (a new store at 1, its first write at 2); replaying a version-1 log would
 * give every write a revision one above the one its clients saw, so it is refused, not converted.
 */
export const WAL_FORMAT_VERSION = 2;
