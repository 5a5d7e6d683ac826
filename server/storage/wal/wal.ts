/**
 * The write-ahead log: a directory of segments (segment-name.ts), each a sequence of framed
 * records (record.ts), appended through group commit (group-commit.ts).
 *
 * Invariants (each one is what recovery relies on):
 * - Every segment starts with a metadata record (format version, cluster id, member id, seq).
 *   A segment cut after the first also repeats the newest hard state and the newest snapshot
 *   marker, so that deleting older segments never loses them.
 * - A segment is fdatasync'ed in full before the next one is created; the directory is fsynced
 *   after a segment is created or removed.
 * - No append resolves before the fdatasync covering it returned.
 * - The first frame of each batch carries BATCH_START (see repair.ts for why).
 * - `firstIndex` in a segment's name is the live last index + 1 at cut time, so a snapshot at S
 *   covers segment k entirely once firstIndex(k + 1) ≤ S + 1.
 *
 * Open reads everything before appending (like etcd): `Wal.open` returns all records, those
 * covered by the boot's snapshot without their data (see scanSegment).
 */
import { concatBytes } from '../../bytes.js';
import { type Disk, dirname, joinPath } from '../../platform/disk.js';
import type { HardState } from '../../raft/types.js';
import { assert } from '../../assert.js';
import {
  CorruptionError,
  InvalidStorageConfigError,
  io,
  StorageError,
  StorageErrorReason,
  toStorageError,
} from '../errors.js';
import { consoleLogger, type StorageLogger } from '../logger.js';
import { maybeDecodeFirst, scanSegment } from './decoder.js';
import { viewOf } from '../binary.js';
import { removeGradually, REMOVING_SUFFIX } from '../gradual-removal.js';
import { encodeRecord, encodeRecordInto, recordFrameBytes, sealFrame, sealFrameAt } from './encoder.js';
import { GroupCommitter } from './group-commit.js';
import type { MetadataRecord, SnapshotMarkerRecord, WalRecord } from './record.js';
import { WAL_FORMAT_VERSION } from './record.js';
import { classifyTail, repairTail } from './repair.js';
import { formatSegmentName, maybeParseSegmentName } from './segment-name.js';

export interface WalIdentity {
  readonly clusterId: string;
  readonly memberId: number;
}

export interface WalOptions {
  /** A segment is cut when the next record would take it past this size. Default 64 MiB. */
  readonly segmentSizeBytes?: number;
  /** Largest record accepted (and believed when reading). Default 16 MiB. */
  readonly maxRecordBytes?: number;
  /** Largest group-commit batch (at least one submission always goes). Default 16 MiB. */
  readonly maxBatchBytes?: number;
  /**
   * UNSAFE, for tests and benchmarks only (`--unsafe-no-fsync`): appends resolve without
   * fdatasync, so acknowledged records can be lost on power failure. Default false.
   */
  readonly unsafeNoFsync?: boolean;
  /**
   * Space the active segment is extended by ahead of its writes (zero-filled with `truncate`),
   * so that an fdatasync has no file size to update — on ext4 that spares a journal commit per
   * sync, which is what slows fsyncs down most when several processes sync at once (as etcd
   * preallocates its segments). 0 disables it. Default 0; a member uses 4 MiB.
   */
  readonly preallocateBytes?: number;
  readonly logger?: StorageLogger;
}

export const WAL_DEFAULTS = {
  segmentSizeBytes: 64 * 1024 * 1024,
  maxRecordBytes: 16 * 1024 * 1024,
  maxBatchBytes: 16 * 1024 * 1024,
} as const;

export interface WalSegmentInfo {
  readonly file: string;
  readonly seq: number;
  readonly firstIndex: number;
}

export interface WalStats {
  records: number;
  batches: number;
  fsyncs: number;
  bytes: number;
  segmentsCut: number;
}

/**
 * The write buffer a batch is encoded into starts this big and is kept between batches up to
 * KEEP_WRITE_BUFFER_BYTES (a larger batch gets a buffer of its own, dropped after it), so that a
 * put's batch costs no allocation for its frames.
 */
const INITIAL_WRITE_BUFFER_BYTES = 16 * 1024;
const KEEP_WRITE_BUFFER_BYTES = 1024 * 1024;

interface ResolvedOptions {
  readonly segmentSizeBytes: number;
  readonly maxRecordBytes: number;
  readonly maxBatchBytes: number;
  readonly unsafeNoFsync: boolean;
  readonly preallocateBytes: number;
  readonly logger: StorageLogger;
}

export function resolveWalOptions(options: WalOptions): ResolvedOptions {
  const o = {
    segmentSizeBytes: options.segmentSizeBytes ?? WAL_DEFAULTS.segmentSizeBytes,
    maxRecordBytes: options.maxRecordBytes ?? WAL_DEFAULTS.maxRecordBytes,
    maxBatchBytes: options.maxBatchBytes ?? WAL_DEFAULTS.maxBatchBytes,
    unsafeNoFsync: options.unsafeNoFsync ?? false,
    preallocateBytes: options.preallocateBytes ?? 0,
    logger: options.logger ?? consoleLogger,
  };
  const positive = (name: string, v: number, min: number): void => {
    if (!Number.isSafeInteger(v) || v < min)
      throw new InvalidStorageConfigError(`${name} must be an integer ≥ ${min}, got ${v}`);
  };
  positive('segmentSizeBytes', o.segmentSizeBytes, 1024);
  positive('maxRecordBytes', o.maxRecordBytes, 64);
  positive('maxBatchBytes', o.maxBatchBytes, 1);
  positive('preallocateBytes', o.preallocateBytes, 0);
  if (o.maxRecordBytes > 0x7fff_ffff) throw new InvalidStorageConfigError('maxRecordBytes must be < 2 GiB');
  return o;
}

/** A record and where it was read, so that recovery errors can name the file and offset. */
export interface LocatedRecord {
  readonly record: WalRecord;
  readonly file: string;
  readonly offset: number;
}

export interface WalOpenResult {
  readonly wal: Wal;
  /** Every record but the metadata, in log order (repeated segment headers included). */
  readonly records: readonly LocatedRecord[];
}

export class Wal {
  private readonly committer: GroupCommitter<WalRecord>;
  readonly stats: WalStats = { records: 0, batches: 0, fsyncs: 0, bytes: 0, segmentsCut: 0 };
  private closed = false;
  /** Bytes were written to the active segment since its last fdatasync. */
  private unsyncedWrites = false;
  /**
   * Where a batch's frames are encoded (see INITIAL_WRITE_BUFFER_BYTES). Reused only after the
   * write of the previous chunk resolved: the group commit runs one flush at a time, a flush
   * awaits each write, and a Disk does not keep `data` once its write settled (disk.ts).
   */
  private writeBuffer = new Uint8Array(INITIAL_WRITE_BUFFER_BYTES);
  private writeView = viewOf(this.writeBuffer);
  /** The active segment's path (computed once per segment, not once per write). */
  private activePath: string;

  private constructor(
    private readonly disk: Disk,
    readonly dir: string,
    private readonly identity: WalIdentity,
    private readonly options: ResolvedOptions,
    private readonly segmentList: WalSegmentInfo[],
    /** Size of the active (last) segment's records: where the next one is written. */
    private activeSizeBytes: number,
    /** Size of the active segment's file: its records and any preallocated zeros after them. */
    private activeFileBytes: number,
    /** Size of the active segment's metadata frame; beyond it the segment holds records. */
    private activeHeaderBytes: number,
    /** Live last index: set by entries, and by snapshot markers that reset the log. */
    private lastIndex: number,
    private lastHardState: HardState | undefined,
    private lastMarker: SnapshotMarkerRecord | undefined,
  ) {
    this.committer = new GroupCommitter<WalRecord>(
      (batch, sync) => this.writeBatch(batch, sync),
      recordFrameBytes,
      options.maxBatchBytes,
      () => this.unsyncedWrites,
    );
    this.activePath = this.pathOfLastSegment();
  }

  /** Creates segment 0 in an empty (or missing) `dir` with `records` after the metadata, durably. */
  static async initialize(
    disk: Disk,
    dir: string,
    identity: WalIdentity,
    records: readonly WalRecord[],
  ): Promise<void> {
    validateIdentity(identity);
    await io(() => disk.mkdir(dir));
    await io(() => disk.fsyncDir(dirname(dir)));
    const existing = await io(() => disk.list(dir));
    if (existing.length > 0)
      throw new StorageError(StorageErrorReason.Io, `wal directory ${dir} is not empty`);
    const file = joinPath(dir, formatSegmentName({ seq: 0, firstIndex: 0 }));
    let offset = 0;
    const frames = [metadataRecord(identity, 0), ...records].map((r, i) => {
      const frame = encodeRecord(r);
      sealFrame(frame, offset, i === 0);
      offset += frame.length;
      return frame;
    });
    await io(() => disk.append(file, concatBytes(frames)));
    await io(() => disk.fdatasync(file));
    await io(() => disk.fsyncDir(dir));
  }

  /**
   * Reads, checks and repairs the log in `dir`, and returns it ready for appends. Entries at or
   * below `read.entriesAfter` come back without their data, a run of them as its last one (see
   * scanSegment): for a boot from a snapshot at that index, which holds them already.
   */
  static async open(
    disk: Disk,
    dir: string,
    identity: WalIdentity,
    options: WalOptions = {},
    read: { readonly entriesAfter?: number } = {},
  ): Promise<WalOpenResult> {
    validateIdentity(identity);
    const opts = resolveWalOptions(options);
    await removeLeftovers(disk, dir);
    const segments = await listSegments(disk, dir);
    const records: LocatedRecord[] = [];
    let activeSize = 0;
    let activeFile = 0;
    let activeHeader = 0;
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i] as WalSegmentInfo;
      const path = joinPath(dir, seg.file);
      const isLast = i === segments.length - 1;
      const bytes = await io(() => disk.read(path));
      checkMetadata(maybeDecodeFirst(bytes, seg.file, opts.maxRecordBytes), seg, identity, path);
      const scan = scanSegment(bytes, seg.file, opts.maxRecordBytes, read.entriesAfter);
      const verdict = classifyTail(bytes, scan, seg.file, isLast, opts.maxRecordBytes);
      scan.records.forEach((r, j) => {
        if (r.record.type === 'metadata' && j > 0) {
          throw new CorruptionError(seg.file, r.offset, 'metadata record in the middle of a segment');
        }
      });
      let size = scan.validBytes;
      let fileSize = bytes.length;
      if (verdict.kind === 'torn') {
        const header = encodeRecord(metadataRecord(identity, seg.seq));
        const repaired = await repairTail(
          disk,
          dir,
          seg.file,
          verdict,
          segments.length === 1 ? header : undefined,
          opts.logger,
        );
        if (repaired === 'removed') {
          // The previous segment (fully synced before the cut) is the active one again.
          segments.pop();
          break;
        }
        size = repaired;
        fileSize = repaired;
      }
      for (const r of scan.records) {
        if (r.record.type !== 'metadata')
          records.push({ record: r.record, file: seg.file, offset: r.offset });
      }
      activeSize = size;
      activeFile = fileSize;
      activeHeader = scan.records[0]?.sizeBytes ?? size;
    }
    if (opts.unsafeNoFsync) {
      opts.logger.warn('wal: UNSAFE: fsync is disabled; acknowledged writes can be lost on power failure');
    }
    const { lastIndex, lastHardState, lastMarker } = summarize(records);
    const wal = new Wal(
      disk,
      dir,
      identity,
      opts,
      segments,
      activeSize,
      activeFile,
      activeHeader,
      lastIndex,
      lastHardState,
      lastMarker,
    );
    return { wal, records };
  }

  /**
   * Resolves when `records` are durable. Records are written in call order. With `sync: false`
   * it resolves once they are written but not yet fdatasync'ed: for records whose loss in a crash
   * is harmless, such as a commit index the leader tells again; the next synced append or
   * `sync()` makes them durable.
   *
   * The records are encoded when their batch is written, not here (straight into the WAL's write
   * buffer, with no copy of their own): neither `records` nor the entries' data may change until
   * the returned promise settles. (Raft's entries never change once made.)
   */
  append(records: readonly WalRecord[], options: { readonly sync?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.reject(closedError());
    for (const record of records) {
      assert(record.type !== 'metadata', 'wal: metadata records are written by the WAL itself');
      const frameBytes = recordFrameBytes(record);
      if (frameBytes - 8 - 1 > this.options.maxRecordBytes) {
        return Promise.reject(
          new StorageError(
            StorageErrorReason.InvalidConfig,
            `record of ${frameBytes} bytes exceeds maxRecordBytes`,
          ),
        );
      }
    }
    return this.committer.submit(records, options.sync ?? true);
  }

  /** Resolves once everything appended so far is durable. */
  sync(): Promise<void> {
    return this.append([]);
  }

  segments(): readonly WalSegmentInfo[] {
    return this.segmentList;
  }

  /**
   * Deletes the segments wholly covered by a DURABLE snapshot at `snapshotIndex` (the caller
   * guarantees the snapshot file and its marker are durable). Oldest first, each renamed out of
   * the segment names and the directory fsynced before the next, so that a crash never leaves a
   * gap in the middle; each is then removed in synced steps (gradual-removal.ts).
   */
  async releaseTo(snapshotIndex: number): Promise<number> {
    let removed = 0;
    while (this.segmentList.length > 1) {
      const next = this.segmentList[1] as WalSegmentInfo;
      if (next.firstIndex > snapshotIndex + 1) break;
      const victim = this.segmentList[0] as WalSegmentInfo;
      const retired = joinPath(this.dir, victim.file + REMOVING_SUFFIX);
      await io(() => this.disk.rename(joinPath(this.dir, victim.file), retired));
      await io(() => this.disk.fsyncDir(this.dir));
      this.segmentList.shift();
      removed++;
      await io(() => removeGradually(this.disk, retired));
    }
    return removed;
  }

  /** Waits for in-flight appends, then refuses new ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.committer.close(closedError());
  }

  /** The error that stopped the WAL, if an I/O failure did. */
  get failure(): Error | undefined {
    return this.committer.failure;
  }

  private pathOfLastSegment(): string {
    return joinPath(this.dir, (this.segmentList[this.segmentList.length - 1] as WalSegmentInfo).file);
  }

  /**
   * Encodes the batch's frames one after the other into the write buffer, each sealed for the
   * offset it lands at, and writes them as one chunk (two around a segment cut).
   */
  private async writeBatch(batch: readonly WalRecord[], sync: boolean): Promise<void> {
    if (batch.length === 0) {
      if (sync && this.unsyncedWrites) await this.syncActive();
      return;
    }
    let total = 0;
    for (const record of batch) total += recordFrameBytes(record);
    this.reserveWriteBuffer(0, total);
    let chunkBytes = 0;
    let created = false;
    // The batch-start mark promises recovery that everything before it was durable when it was
    // written; after an unsynced batch (`sync: false`) that is not true, so none is set.
    let first = !this.unsyncedWrites;
    for (const record of batch) {
      const size = this.activeSizeBytes + chunkBytes;
      if (size > this.activeHeaderBytes && size + recordFrameBytes(record) > this.options.segmentSizeBytes) {
        // a segment is synced in full before the next one exists
        await this.writeChunk(this.writeBuffer.subarray(0, chunkBytes), true);
        chunkBytes = this.cut(first);
        first = false;
        created = true;
      }
      chunkBytes += this.encodeFrame(record, chunkBytes, first);
      first = false;
      this.track(record);
    }
    await this.writeChunk(this.writeBuffer.subarray(0, chunkBytes), sync);
    if (this.writeBuffer.length > KEEP_WRITE_BUFFER_BYTES) this.setWriteBuffer(INITIAL_WRITE_BUFFER_BYTES);
    this.stats.records += batch.length;
    this.stats.batches++;
    if (created) await io(() => this.disk.fsyncDir(this.dir));
  }

  /**
   * Encodes `record` at `at` of the write buffer (growing it if needed), sealed for the offset it
   * lands at in the active segment; returns the frame's length.
   */
  private encodeFrame(record: WalRecord, at: number, batchStart: boolean): number {
    this.reserveWriteBuffer(at, recordFrameBytes(record));
    const frameBytes = encodeRecordInto(record, this.writeBuffer, this.writeView, at);
    sealFrameAt(this.writeBuffer, this.writeView, at, frameBytes, this.activeSizeBytes + at, batchStart);
    return frameBytes;
  }

  /** Makes room for `extra` bytes after the first `used` ones of the write buffer (kept). */
  private reserveWriteBuffer(used: number, extra: number): void {
    const need = used + extra;
    if (need <= this.writeBuffer.length) return;
    let size = this.writeBuffer.length * 2;
    while (size < need) size *= 2;
    const old = this.writeBuffer;
    this.setWriteBuffer(size);
    this.writeBuffer.set(old.subarray(0, used));
  }

  private setWriteBuffer(sizeBytes: number): void {
    this.writeBuffer = new Uint8Array(sizeBytes);
    this.writeView = viewOf(this.writeBuffer);
  }

  /**
   * Appends one chunk to the active segment, and fdatasyncs it when `sync`: then as one disk
   * operation (`appendAtSynced`), which NodeDisk does without an event-loop hop between the write
   * and the sync.
   */
  private async writeChunk(bytes: Uint8Array, sync: boolean): Promise<void> {
    if (bytes.length === 0) {
      if (sync && this.unsyncedWrites) await this.syncActive();
      return;
    }
    const path = this.activePath;
    const before = this.activeSizeBytes;
    const synced = sync && !this.options.unsafeNoFsync;
    const end = before + bytes.length;
    try {
      if (before === 0) {
        // A new segment's file is created by its first write (once per segment: no fast path).
        await this.disk.appendAt(path, before, bytes);
        const extended = this.preallocateFor(path, end);
        if (extended !== undefined) await extended;
        if (synced) await this.disk.fdatasync(path);
      } else {
        // Extended before the write, so that its fdatasync makes the new size durable too.
        const extended = this.preallocateFor(path, end);
        if (extended !== undefined) await extended;
        if (synced) await this.disk.appendAtSynced(path, before, bytes);
        else await this.disk.appendAt(path, before, bytes);
      }
    } catch (err) {
      // Best effort: leave no partial frame behind (recovery would cut it anyway). After a failed
      // sync the WAL is failed for good (group-commit.ts), so nothing is lost by cutting it too.
      await this.disk.truncate(path, before).catch(() => undefined);
      this.activeFileBytes = before;
      throw toStorageError(err);
    }
    this.activeSizeBytes += bytes.length;
    this.activeFileBytes = Math.max(this.activeFileBytes, this.activeSizeBytes);
    this.stats.bytes += bytes.length;
    this.unsyncedWrites = !sync;
    if (synced) this.stats.fsyncs++;
  }

  /**
   * Extends the active segment's file with zeros when records up to `end` would reach its end,
   * so that it keeps `preallocateBytes` of room after them.
   */
  private preallocateFor(path: string, end: number): Promise<void> | undefined {
    // Not an async function: nearly every write has room already, and awaiting an async call
    // that returns at once still costs a promise and a microtask per batch.
    const ahead = this.options.preallocateBytes;
    if (ahead === 0 || end < this.activeFileBytes) return undefined;
    const target = Math.min(this.options.segmentSizeBytes, end + ahead);
    if (target <= end) return undefined;
    return this.disk.truncate(path, target).then(() => {
      this.activeFileBytes = target;
    });
  }

  private async syncActive(): Promise<void> {
    this.unsyncedWrites = false;
    if (this.options.unsafeNoFsync) return;
    await io(() => this.disk.fdatasync(this.activePath));
    this.stats.fsyncs++;
  }

  /**
   * Starts a new segment; its header frames are encoded at the start of the write buffer (written
   * with the rest of the batch), the first with the batch-start mark when `batchStart`. Returns
   * their length.
   */
  private cut(batchStart: boolean): number {
    const last = this.segmentList[this.segmentList.length - 1] as WalSegmentInfo;
    const seg: WalSegmentInfo = {
      file: formatSegmentName({ seq: last.seq + 1, firstIndex: this.lastIndex + 1 }),
      seq: last.seq + 1,
      firstIndex: this.lastIndex + 1,
    };
    this.segmentList.push(seg);
    this.activePath = this.pathOfLastSegment();
    this.activeSizeBytes = 0;
    this.activeFileBytes = 0;
    const header: WalRecord[] = [metadataRecord(this.identity, seg.seq)];
    if (this.lastHardState !== undefined) header.push({ type: 'hardState', hardState: this.lastHardState });
    if (this.lastMarker !== undefined) header.push({ ...this.lastMarker, resetsLog: false });
    let bytes = 0;
    header.forEach((r, i) => {
      const frameBytes = this.encodeFrame(r, bytes, i === 0 && batchStart);
      if (i === 0) this.activeHeaderBytes = frameBytes;
      bytes += frameBytes;
    });
    this.stats.segmentsCut++;
    return bytes;
  }

  private track(record: WalRecord): void {
    switch (record.type) {
      case 'entry':
        this.lastIndex = record.entry.index;
        break;
      case 'hardState':
        this.lastHardState = record.hardState;
        break;
      case 'snapshot':
        if (this.lastMarker === undefined || record.index >= this.lastMarker.index) this.lastMarker = record;
        if (record.resetsLog) this.lastIndex = record.index;
        break;
      case 'metadata':
        break;
    }
  }
}

function summarize(records: readonly LocatedRecord[]): {
  lastIndex: number;
  lastHardState: HardState | undefined;
  lastMarker: SnapshotMarkerRecord | undefined;
} {
  let lastIndex = 0;
  let lastHardState: HardState | undefined;
  let lastMarker: SnapshotMarkerRecord | undefined;
  for (const { record: r } of records) {
    if (r.type === 'entry') lastIndex = r.entry.index;
    else if (r.type === 'hardState') lastHardState = r.hardState;
    else if (r.type === 'snapshot') {
      if (lastMarker === undefined || r.index >= lastMarker.index) lastMarker = r;
      if (r.resetsLog) lastIndex = r.index;
    }
  }
  return { lastIndex, lastHardState, lastMarker };
}

/** Segments a crash left half-removed (releaseTo renames them out of the live names first). */
async function removeLeftovers(disk: Disk, dir: string): Promise<void> {
  for (const file of await io(() => disk.list(dir)))
    // At boot nothing else writes yet, so one unlink each.
    if (file.endsWith(REMOVING_SUFFIX)) await io(() => disk.remove(joinPath(dir, file)));
}

async function listSegments(disk: Disk, dir: string): Promise<WalSegmentInfo[]> {
  const names = await io(() => disk.list(dir));
  const segments: WalSegmentInfo[] = [];
  for (const file of names) {
    const parsed = maybeParseSegmentName(file);
    if (parsed !== undefined) segments.push({ file, ...parsed });
  }
  segments.sort((a, b) => a.seq - b.seq);
  if (segments.length === 0) {
    throw new CorruptionError(
      dir,
      0,
      'no WAL segments in the wal directory',
      StorageErrorReason.MissingSegment,
    );
  }
  for (let i = 1; i < segments.length; i++) {
    const prev = segments[i - 1] as WalSegmentInfo;
    const cur = segments[i] as WalSegmentInfo;
    if (cur.seq !== prev.seq + 1) {
      throw new CorruptionError(
        cur.file,
        0,
        `WAL segment with seq ${prev.seq + 1} is missing between ${prev.file} and ${cur.file}`,
        StorageErrorReason.MissingSegment,
      );
    }
  }
  return segments;
}

function checkMetadata(
  first: WalRecord | undefined,
  seg: WalSegmentInfo,
  identity: WalIdentity,
  path: string,
): void {
  if (first === undefined) return; // A torn header; classifyTail decides whether that is allowed.
  if (first.type !== 'metadata')
    throw new CorruptionError(seg.file, 0, 'segment does not start with a metadata record');
  if (first.formatVersion > WAL_FORMAT_VERSION) {
    throw new StorageError(
      StorageErrorReason.FormatTooNew,
      `${seg.file} was written by format version ${first.formatVersion}; this build reads up to ${WAL_FORMAT_VERSION}`,
    );
  }
  if (first.formatVersion < WAL_FORMAT_VERSION) {
    throw new StorageError(
      StorageErrorReason.FormatTooOld,
      `${path} was written by format version ${first.formatVersion}; this build reads version ` +
        `${WAL_FORMAT_VERSION} only (revisions are numbered differently since, and there is no ` +
        `conversion): start this member on a new data directory`,
    );
  }
  if (first.clusterId !== identity.clusterId || first.memberId !== identity.memberId) {
    throw new StorageError(
      StorageErrorReason.ClusterMismatch,
      `${seg.file} belongs to cluster '${first.clusterId}' member ${first.memberId}, ` +
        `not cluster '${identity.clusterId}' member ${identity.memberId}`,
    );
  }
  if (first.segmentSeq !== seg.seq) {
    throw new CorruptionError(seg.file, 0, `segment header says seq ${first.segmentSeq}`);
  }
}

function metadataRecord(identity: WalIdentity, segmentSeq: number): MetadataRecord {
  return {
    type: 'metadata',
    formatVersion: WAL_FORMAT_VERSION,
    clusterId: identity.clusterId,
    memberId: identity.memberId,
    segmentSeq,
  };
}

export function validateIdentity(identity: WalIdentity): void {
  if (identity.clusterId.length === 0 || new TextEncoder().encode(identity.clusterId).length > 1024) {
    throw new InvalidStorageConfigError('clusterId must be 1..1024 bytes');
  }
  if (!Number.isSafeInteger(identity.memberId) || identity.memberId <= 0) {
    throw new InvalidStorageConfigError(`memberId must be a positive integer, got ${identity.memberId}`);
  }
}

function closedError(): StorageError {
  return new StorageError(StorageErrorReason.Closed, 'wal is closed');
}
