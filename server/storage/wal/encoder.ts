/**
 * Encodes WAL records into frames (see record.ts for the layout). The WAL encodes a batch's
 * records straight into one reused buffer when the group commit writes them (`encodeRecordInto`),
 * at the place they land: `sealFrameAt` fills in the batch flag and the offset-dependent CRC there.
 * `encodeRecord` + `sealFrame` do the same for one record in a buffer of its own (segment headers
 * at boot and repair, tests).
 */
import { EntryType } from '../../raft/types.js';
import { unreachable } from '../../assert.js';
import { putU64, utf8, viewOf } from '../binary.js';
import { BATCH_START, FRAME_PREFIX_BYTES, RecordCode, type WalRecord } from './record.js';
import { crc32c } from './crc32c.js';

/** Payload bytes of each record kind after the type byte (entries add their data, metadata its cluster id). */
const ENTRY_FIXED_BYTES = 8 + 8 + 1;
const HARD_STATE_BYTES = 24;
const SNAPSHOT_MARKER_BYTES = 17;
const METADATA_FIXED_BYTES = 2 + 8 + 8 + 2;

/** The length of `record`'s frame (prefix, type byte and payload), without encoding it. */
export function recordFrameBytes(record: WalRecord): number {
  return FRAME_PREFIX_BYTES + 1 + payloadBytes(record);
}

function payloadBytes(record: WalRecord): number {
  switch (record.type) {
    case 'entry':
      return ENTRY_FIXED_BYTES + record.entry.data.length;
    case 'hardState':
      return HARD_STATE_BYTES;
    case 'snapshot':
      return SNAPSHOT_MARKER_BYTES;
    case 'metadata':
      return METADATA_FIXED_BYTES + utf8.encode(record.clusterId).length;
    default:
      return unreachable(record);
  }
}

/** One record as a frame of its own (unsealed: see `sealFrame`). */
export function encodeRecord(record: WalRecord): Uint8Array {
  const frame = new Uint8Array(recordFrameBytes(record));
  encodeRecordInto(record, frame, viewOf(frame), 0);
  return frame;
}

/**
 * Writes `record`'s frame into `out` at `at` (unsealed: the CRC is written by `sealFrameAt`) and
 * returns its length; `view` is a DataView over all of `out`, and `out` has room for
 * `recordFrameBytes(record)` bytes at `at`.
 */
export function encodeRecordInto(record: WalRecord, out: Uint8Array, view: DataView, at: number): number {
  const p = at + FRAME_PREFIX_BYTES + 1;
  switch (record.type) {
    case 'metadata': {
      const cluster = utf8.encode(record.clusterId);
      view.setUint16(p, record.formatVersion, true);
      putU64(view, p + 2, record.memberId);
      putU64(view, p + 10, record.segmentSeq);
      view.setUint16(p + 18, cluster.length, true);
      out.set(cluster, p + 20);
      return prefix(view, at, RecordCode.Metadata, METADATA_FIXED_BYTES + cluster.length);
    }
    case 'entry': {
      const { entry } = record;
      putU64(view, p, entry.term);
      putU64(view, p + 8, entry.index);
      view.setUint8(p + 16, entry.type === EntryType.ConfChange ? 1 : 0);
      out.set(entry.data, p + 17);
      return prefix(view, at, RecordCode.Entry, ENTRY_FIXED_BYTES + entry.data.length);
    }
    case 'hardState':
      putU64(view, p, record.hardState.term);
      putU64(view, p + 8, record.hardState.vote);
      putU64(view, p + 16, record.hardState.commit);
      return prefix(view, at, RecordCode.HardState, HARD_STATE_BYTES);
    case 'snapshot':
      putU64(view, p, record.index);
      putU64(view, p + 8, record.term);
      view.setUint8(p + 16, record.resetsLog ? 1 : 0);
      return prefix(view, at, RecordCode.SnapshotMarker, SNAPSHOT_MARKER_BYTES);
    default:
      return unreachable(record);
  }
}

/** Writes the length and the type byte of a frame at `at`; returns the frame's length. */
function prefix(view: DataView, at: number, code: RecordCode, payload: number): number {
  view.setUint32(at, 1 + payload, true);
  view.setUint8(at + FRAME_PREFIX_BYTES, code);
  return FRAME_PREFIX_BYTES + 1 + payload;
}

/** Sets the batch-start flag and the CRC for a frame written at `offset` of its segment. */
export function sealFrame(frame: Uint8Array, offset: number, batchStart: boolean): void {
  sealFrameAt(frame, viewOf(frame), 0, frame.length, offset, batchStart);
}

/**
 * `sealFrame` for the frame of `frameBytes` bytes at `at` of `buf` (`view` over all of `buf`),
 * which lands at `offset` of its segment.
 */
export function sealFrameAt(
  buf: Uint8Array,
  view: DataView,
  at: number,
  frameBytes: number,
  offset: number,
  batchStart: boolean,
): void {
  const typeAt = at + FRAME_PREFIX_BYTES;
  buf[typeAt] = ((buf[typeAt] as number) & 0x7f) | (batchStart ? BATCH_START : 0);
  const crc = (crc32c(buf, 0, typeAt, at + frameBytes) ^ offsetMix(offset)) >>> 0;
  view.setUint32(at + 4, crc, true);
}

/** Scratch space for `offsetMix` (one allocation per process, not one per frame). */
const offsetBytes = new Uint8Array(8);
const offsetView = viewOf(offsetBytes);

/** CRC-32C of the frame's offset as a u64 LE: binds a frame to its position. */
export function offsetMix(offset: number): number {
  putU64(offsetView, 0, offset);
  return crc32c(offsetBytes);
}
