/**
 * Decodes the frames of one segment. Reading stops at the first frame that is incomplete or fails
 * its CRC (zeros from there to the end are preallocated space: a clean end); whether that is a torn tail or corruption is decided by repair.ts, which knows whether
 * this is the last segment and what follows.
 *
 * A frame that passes its CRC but cannot be decoded was written by us and damaged in a way the CRC
 * could not see, or by a newer format: either way it is corruption, reported with file and offset.
 */
import { entryBytes } from '../../entry-bytes.js';
import { EntryType } from '../../raft/types.js';
import { maybeGetU64, utf8, viewOf } from '../binary.js';
import { CorruptionError } from '../errors.js';
import { crc32c } from './crc32c.js';
import { offsetMix } from './encoder.js';
import { BATCH_START, FRAME_PREFIX_BYTES, RecordCode, type WalRecord } from './record.js';

export interface DecodedRecord {
  /** Byte offset of the frame in its segment. */
  readonly offset: number;
  /** Frame size in bytes. */
  readonly sizeBytes: number;
  readonly batchStart: boolean;
  readonly record: WalRecord;
}

export interface SegmentScan {
  readonly records: DecodedRecord[];
  /** Offset just after the last valid frame. */
  readonly validBytes: number;
  /** Set when reading stopped before the end of the bytes. */
  readonly failure: { readonly offset: number; readonly detail: string } | undefined;
}

export type FrameCheck =
  | { readonly ok: true; readonly sizeBytes: number; readonly code: number; readonly batchStart: boolean }
  | { readonly ok: false; readonly detail: string };

/** Checks the frame at `offset` without decoding its payload. */
export function checkFrameAt(bytes: Uint8Array, offset: number, maxRecordBytes: number): FrameCheck {
  const remaining = bytes.length - offset;
  if (remaining < FRAME_PREFIX_BYTES + 1) return { ok: false, detail: 'incomplete frame header' };
  const len = u32(bytes, offset);
  if (len < 1 || len > maxRecordBytes + 1) return { ok: false, detail: `implausible record length ${len}` };
  if (FRAME_PREFIX_BYTES + len > remaining)
    return { ok: false, detail: `record of ${len} bytes runs past the end` };
  const stored = u32(bytes, offset + 4);
  const typeAt = offset + FRAME_PREFIX_BYTES;
  const actual = (crc32c(bytes, 0, typeAt, typeAt + len) ^ offsetMix(offset)) >>> 0;
  if (stored !== actual) return { ok: false, detail: 'crc mismatch' };
  const typeByte = bytes[typeAt] as number;
  return {
    ok: true,
    sizeBytes: FRAME_PREFIX_BYTES + len,
    code: typeByte & 0x7f,
    batchStart: (typeByte & BATCH_START) !== 0,
  };
}

/**
 * Checks and decodes every frame of a segment. Entries at or below `entriesAfter` (the index of
 * the snapshot a boot starts from) are checked like any frame but not kept in full: their data is
 * left out, and a run of them with nothing between is reported as its last one. For recovery such
 * a run means one thing only: the log is reset at its end (replay.ts), so nothing is lost; what is
 * saved is a copy of every entry the snapshot already holds (most of a segment, at boot).
 */
export function scanSegment(
  bytes: Uint8Array,
  file: string,
  maxRecordBytes: number,
  entriesAfter = -1,
): SegmentScan {
  const records: DecodedRecord[] = [];
  let offset = 0;
  let inCoveredRun = false;
  while (offset < bytes.length) {
    const check = checkFrameAt(bytes, offset, maxRecordBytes);
    if (!check.ok) {
      // Zeros to the end are space preallocated for records (wal.ts), not damage.
      if (allZero(bytes, offset)) break;
      return { records, validBytes: offset, failure: { offset, detail: check.detail } };
    }
    const start = offset + FRAME_PREFIX_BYTES + 1;
    const payload = bytes.subarray(start, offset + check.sizeBytes);
    const record = decodePayload(check.code, payload, file, offset, entriesAfter);
    const decoded = { offset, sizeBytes: check.sizeBytes, batchStart: check.batchStart, record };
    const covered = record.type === 'entry' && record.entry.index <= entriesAfter;
    if (covered && inCoveredRun) records[records.length - 1] = decoded;
    else records.push(decoded);
    inCoveredRun = covered;
    offset += check.sizeBytes;
  }
  return { records, validBytes: offset, failure: undefined };
}

/** The data of an entry read without it (see scanSegment). */
const LEFT_OUT = new Uint8Array(0);

/** Whether `data` is that of an entry read without its data (an empty entry's is another array). */
export function isLeftOut(data: Uint8Array): boolean {
  return data === LEFT_OUT;
}

function allZero(bytes: Uint8Array, from: number): boolean {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Offset of the first CRC-valid batch-start frame at or after `from`, if any. */
export function maybeFindBatchStart(
  bytes: Uint8Array,
  from: number,
  maxRecordBytes: number,
): number | undefined {
  for (let p = from; p + FRAME_PREFIX_BYTES + 1 <= bytes.length; p++) {
    const check = checkFrameAt(bytes, p, maxRecordBytes);
    if (check.ok && check.batchStart) return p;
  }
  return undefined;
}

function decodePayload(
  code: number,
  payload: Uint8Array,
  file: string,
  offset: number,
  entriesAfter = -1,
): WalRecord {
  const view = viewOf(payload);
  const fail = (what: string): never => {
    throw new CorruptionError(file, offset, `undecodable ${what} record with a valid crc`);
  };
  const u64 = (at: number, what: string): number => maybeGetU64(view, at) ?? fail(what);
  switch (code) {
    case RecordCode.Metadata: {
      if (payload.length < 20) return fail('metadata');
      const clusterBytes = view.getUint16(18, true);
      // Newer versions may append fields; the version is checked by the caller.
      if (payload.length < 20 + clusterBytes) return fail('metadata');
      let clusterId = '';
      try {
        clusterId = utf8.decode(payload.subarray(20, 20 + clusterBytes));
      } catch {
        fail('metadata');
      }
      return {
        type: 'metadata',
        formatVersion: view.getUint16(0, true),
        memberId: u64(2, 'metadata'),
        segmentSeq: u64(10, 'metadata'),
        clusterId,
      };
    }
    case RecordCode.Entry: {
      if (payload.length < 17) return fail('entry');
      const kind = payload[16];
      if (kind !== 0 && kind !== 1) return fail('entry');
      const index = u64(8, 'entry');
      return {
        type: 'entry',
        entry: {
          term: u64(0, 'entry'),
          index,
          type: kind === 1 ? EntryType.ConfChange : EntryType.Normal,
          data: index <= entriesAfter ? LEFT_OUT : entryBytes.copyOf(payload.subarray(17)),
        },
      };
    }
    case RecordCode.HardState: {
      if (payload.length !== 24) return fail('hard state');
      return {
        type: 'hardState',
        hardState: { term: u64(0, 'hard state'), vote: u64(8, 'hard state'), commit: u64(16, 'hard state') },
      };
    }
    case RecordCode.SnapshotMarker: {
      if (payload.length !== 17 || (payload[16] as number) > 1) return fail('snapshot marker');
      return {
        type: 'snapshot',
        index: u64(0, 'snapshot marker'),
        term: u64(8, 'snapshot marker'),
        resetsLog: payload[16] === 1,
      };
    }
    default:
      return fail(`unknown (type ${code})`);
  }
}

/** Decodes the first frame of a segment if it is valid (used to check the format version first). */
export function maybeDecodeFirst(
  bytes: Uint8Array,
  file: string,
  maxRecordBytes: number,
): WalRecord | undefined {
  const check = checkFrameAt(bytes, 0, maxRecordBytes);
  if (!check.ok) return undefined;
  return decodePayload(check.code, bytes.subarray(FRAME_PREFIX_BYTES + 1, check.sizeBytes), file, 0);
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}
