/**
 * Decides what a damaged segment means (DESIGN.md §4):
 *
 * - Every segment but the last was fdatasync'ed in full before the next one was created, so any
 *   bad frame in it is corruption.
 * - In the last segment, only the final group-commit batch can be non-durable: batch k + 1 is
 *   written only after batch k's fdatasync returned. (Batches appended with `sync: false` are
 *   written without a batch-start mark, so that with the batches after them up to the next synced
 *   one they count as one.) Within that final batch the page cache may
 *   have written back any subset of pages, so a bad frame may be followed by valid frames of the
 *   same batch. Hence the rule: a bad frame at offset o in the last segment is a torn tail iff no
 *   CRC-valid batch-start frame exists after o. Then the tail from o is cut off. Otherwise a later
 *   batch was written after o was durable, so o was damaged after the fact: corruption.
 *
 * Limitation (the same as etcd's): damage inside the final batch of the last segment is
 * indistinguishable from a torn write and is repaired, not reported.
 */
import { type Disk, joinPath } from '../../platform/disk.js';
import { CorruptionError, io } from '../errors.js';
import type { StorageLogger } from '../logger.js';
import { sealFrame } from './encoder.js';
import { maybeFindBatchStart, type SegmentScan } from './decoder.js';

export type TailVerdict =
  | { readonly kind: 'clean' }
  | {
      readonly kind: 'torn';
      readonly offset: number;
      readonly droppedBytes: number;
      readonly detail: string;
    };

/**
 * Classifies the end of a scanned segment. Throws CorruptionError (with file and offset) when the
 * damage cannot be a crash artifact.
 */
export function classifyTail(
  bytes: Uint8Array,
  scan: SegmentScan,
  file: string,
  isLastSegment: boolean,
  maxRecordBytes: number,
): TailVerdict {
  // No record at all (an empty file, or only preallocated zeros): the header never made it.
  const failure =
    scan.records.length === 0 ? { offset: 0, detail: 'empty segment without a header' } : scan.failure;
  if (failure === undefined) return { kind: 'clean' };
  if (!isLastSegment) {
    throw new CorruptionError(file, failure.offset, `bad record in a sealed segment: ${failure.detail}`);
  }
  const later = maybeFindBatchStart(bytes, failure.offset + 1, maxRecordBytes);
  if (later !== undefined) {
    throw new CorruptionError(
      file,
      failure.offset,
      `bad record (${failure.detail}) followed by a valid batch at offset ${later}`,
    );
  }
  return {
    kind: 'torn',
    offset: failure.offset,
    droppedBytes: bytes.length - failure.offset,
    detail: failure.detail,
  };
}

/**
 * Applies a torn-tail verdict to the last segment: cuts the file at the bad frame and syncs it.
 * A segment torn inside its header was being created when the process died, so nothing in it was
 * durable: it is removed (returns 'removed') — unless it is the only segment, whose header frame
 * `header` is then rewritten. Returns the repaired size otherwise.
 */
export async function repairTail(
  disk: Disk,
  dir: string,
  file: string,
  verdict: Extract<TailVerdict, { kind: 'torn' }>,
  header: Uint8Array | undefined,
  logger: StorageLogger,
): Promise<number | 'removed'> {
  const path = joinPath(dir, file);
  logger.warn(
    `wal: torn tail in ${file} at offset ${verdict.offset} (${verdict.detail}); ` +
      `dropping ${verdict.droppedBytes} unsynced bytes`,
  );
  if (verdict.offset === 0 && header === undefined) {
    await io(() => disk.remove(path));
    await io(() => disk.fsyncDir(dir));
    return 'removed';
  }
  await io(() => disk.truncate(path, verdict.offset));
  let size = verdict.offset;
  if (size === 0 && header !== undefined) {
    sealFrame(header, 0, true);
    await io(() => disk.append(path, header));
    size = header.length;
  }
  await io(() => disk.fdatasync(path));
  return size;
}
