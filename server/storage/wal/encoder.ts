/**
 * Encodes WAL records into frames (see record.ts for the layout). Encoding happens once, when a
 * record is appended; `sealFrame` fills in the batch flag and the offset-dependent CRC when the
 * group-commit loop knows where the frame will land.
 */
import { EntryType } from '../../raft/types.js';
import { unreachable } from '../../assert.js';
import { putU64, utf8, viewOf } from '../binary.js';
import { BATCH_START, FRAME_PREFIX_BYTES, RecordCode, type WalRecord } from './record.js';
import { crc32c } from './crc32c.js';

export function encodeRecord(record: WalRecord): Uint8Array {
  switch (record.type) {
    case 'metadata': {
      const cluster = utf8.encode(record.clusterId);
      const frame = allocate(RecordCode.Metadata, 2 + 8 + 8 + 2 + cluster.length);
      const v = viewOf(frame);
      const p = FRAME_PREFIX_BYTES + 1;
      v.setUint16(p, record.formatVersion, true);
      putU64(v, p + 2, record.memberId);
      putU64(v, p + 10, record.segmentSeq);
      v.setUint16(p + 18, cluster.length, true);
      frame.set(cluster, p + 20);
      return frame;
    }
    case 'entry': {
      const { entry } = record;
      const frame = allocate(RecordCode.Entry, 8 + 8 + 1 + entry.data.length);
      const v = viewOf(frame);
      const p = FRAME_PREFIX_BYTES + 1;
      putU64(v, p, entry.term);
      putU64(v, p + 8, entry.index);
      v.setUint8(p + 16, entry.type === EntryType.ConfChange ? 1 : 0);
      frame.set(entry.data, p + 17);
      return frame;
    }
    case 'hardState': {
      const frame = allocate(RecordCode.HardState, 24);
      const v = viewOf(frame);
      const p = FRAME_PREFIX_BYTES + 1;
      putU64(v, p, record.hardState.term);
      putU64(v, p + 8, record.hardState.vote);
      putU64(v, p + 16, record.hardState.commit);
      return frame;
    }
    case 'snapshot': {
      const frame = allocate(RecordCode.SnapshotMarker, 17);
      const v = viewOf(frame);
      const p = FRAME_PREFIX_BYTES + 1;
      putU64(v, p, record.index);
      putU64(v, p + 8, record.term);
      v.setUint8(p + 16, record.resetsLog ? 1 : 0);
      return frame;
    }
    default:
      return unreachable(record);
  }
}

/** Sets the batch-start flag and the CRC for a frame written at `offset` of its segment. */
export function sealFrame(frame: Uint8Array, offset: number, batchStart: boolean): void {
  const typeAt = FRAME_PREFIX_BYTES;
  frame[typeAt] = ((frame[typeAt] as number) & 0x7f) | (batchStart ? BATCH_START : 0);
  const crc = (crc32c(frame, 0, typeAt) ^ offsetMix(offset)) >>> 0;
  viewOf(frame).setUint32(4, crc, true);
}

/** Scratch space for `offsetMix` (one allocation per process, not one per frame). */
const offsetBytes = new Uint8Array(8);
const offsetView = viewOf(offsetBytes);

/** CRC-32C of the frame's offset as a u64 LE: binds a frame to its position. */
export function offsetMix(offset: number): number {
  putU64(offsetView, 0, offset);
  return crc32c(offsetBytes);
}

function allocate(code: RecordCode, payloadBytes: number): Uint8Array {
  const frame = new Uint8Array(FRAME_PREFIX_BYTES + 1 + payloadBytes);
  viewOf(frame).setUint32(0, 1 + payloadBytes, true);
  frame[FRAME_PREFIX_BYTES] = code;
  return frame;
}
