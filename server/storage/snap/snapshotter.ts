/**
 * Snapshot files in one directory. Writes are atomic: the file is written under a temporary
 * name, fsynced, renamed into place and the directory fsynced — so after a crash a snapshot is
 * either complete under its final name or absent (a leftover `.tmp` is removed at open). An obsolete
 * file is renamed out of the live names before it is removed, gradually (gradual-removal.ts).
 *
 * Loading picks the newest file (by index, then term) that the caller deems eligible (raft-storage
 * accepts only snapshots whose marker reached the WAL). A file that fails its CRC is renamed to
 * `<name>.broken`, reported, and the next older one is tried — never trusted.
 */
import { type Disk, DiskError, DiskErrorCode, joinPath } from '../../platform/disk.js';
import type { Snapshot, SnapshotMetadata } from '../../raft/types.js';
import { CorruptionError, InvalidStorageConfigError, io, toStorageError } from '../errors.js';
import { removeGradually, REMOVING_SUFFIX } from '../gradual-removal.js';
import type { StorageLogger } from '../logger.js';
import {
  decodeSnapshot,
  encodeSnapshotHead,
  formatSnapName,
  maybeDecodeSnapshotHead,
  SNAP_HEAD_PROBE_BYTES,
  SNAP_TRAILER_BYTES,
  SnapFileChecksum,
  maybeParseSnapName,
  type SnapName,
} from './snap-file.js';

const TMP_SUFFIX = '.tmp';
/** A snapshot received from a leader, complete and synced, until Raft accepts it (`adopt`). */
const RECEIVED_SUFFIX = '.rx' + TMP_SUFFIX;
/** Bytes per append when writing a snapshot held in memory. */
const SAVE_SLICE_BYTES = 1 << 20;
/**
 * A snapshot being written is synced every this many bytes. Left to one sync at the end, a
 * snapshot of hundreds of MB sits dirty in the page cache and its final flush holds the disk's
 * journal for hundreds of ms, in front of every WAL fdatasync on that disk (docs/performance.md,
 * "What the worst puts are made of"). 2 MiB rather than 8: with three snapshots written at once
 * beside a WAL, its fdatasync p99 fell from 17–35 to 9–12 ms (`bench snapshot-sync`); 1 MiB
 * was no better, and each sync costs the snapshot's writer a little.
 */
export const SNAPSHOT_SYNC_EVERY_BYTES = 2 << 20;

export interface SnapFileInfo extends SnapName {
  readonly file: string;
}

/**
 * A snapshot file's data read slice by slice (to send it to a follower): only the slice asked for
 * is in memory. Read in order from 0, it verifies the file's checksum as it goes: the read that
 * reaches the end rejects with a CorruptionError if the file does not match it.
 */
export interface SnapFileReader {
  /** Bytes of data. */
  readonly size: number;
  read(offset: number, length: number): Promise<Uint8Array>;
  close(): void;
}

/**
 * A snapshot received from a leader, written to `<name>.<n>.rx.tmp` (n: a number per receive, so
 * that two transfers of one snapshot never share a file) as its chunks arrive (each
 * `write` after the previous one settled). `finish` appends the trailer, fsyncs, and reads the
 * data back for Raft; the file then waits under that name for `Snapshotter.adopt` (Raft accepted
 * the snapshot), or is removed by `abort`, a newer received snapshot, or the next open.
 */
export interface ReceivedSnapFile {
  write(chunk: Uint8Array): Promise<void>;
  finish(): Promise<Snapshot>;
  abort(): void;
}

export class Snapshotter {
  /** Numbers the files of received snapshots: two transfers of one snapshot never share a file. */
  private receiveSeq = 0;
  /** Received snapshots finished (synced) and waiting for `adopt`: file name → temporary path. */
  private readonly received = new Map<string, { readonly path: string; readonly index: number }>();
  /** A snapshot file being read ahead of `maybeLoadNewest` (see `readAhead`). */
  private aheadRead: { readonly file: string; readonly bytes: Promise<Uint8Array> } | undefined;

  constructor(
    private readonly disk: Disk,
    readonly dir: string,
    private readonly logger: StorageLogger,
  ) {}

  /** Creates the directory (durably) and removes temporary files left by a crash. */
  async open(parentDir: string): Promise<void> {
    await io(() => this.disk.mkdir(this.dir));
    await io(() => this.disk.fsyncDir(parentDir));
    for (const name of await io(() => this.disk.list(this.dir))) {
      if (name.endsWith(TMP_SUFFIX)) {
        this.logger.warn(`snap: removing leftover temporary file ${name}`);
        await io(() => this.disk.remove(joinPath(this.dir, name)));
      } else if (name.endsWith(REMOVING_SUFFIX)) {
        // A purge a crash interrupted; at boot nothing else writes yet, so one unlink.
        await io(() => this.disk.remove(joinPath(this.dir, name)));
      }
    }
    await io(() => this.disk.fsyncDir(this.dir));
  }

  /**
   * Writes `snapshot` atomically and durably; resolves with its file name. The data is written in
   * slices of it, never copied into one file image (a received snapshot is large).
   */
  save(snapshot: Snapshot): Promise<string> {
    const { data } = snapshot;
    let at = 0;
    return this.saveStream(snapshot.metadata, () => {
      if (at >= data.length) return undefined;
      const slice = data.subarray(at, at + SAVE_SLICE_BYTES);
      at += slice.length;
      return slice;
    });
  }

  /**
   * Writes a snapshot whose data comes from `next()` one chunk at a time (undefined: the end), with
   * the same atomicity as `save`; only one chunk is in memory at a time. Every chunk is written
   * with its own asynchronous append, so on a real disk the event loop runs between two chunks
   * (the caller's `next()` does one bounded slice of work), and the file is synced every
   * SNAPSHOT_SYNC_EVERY_BYTES so that no flush of it is long. Resolves with the file name.
   *
   * If `next()` throws, the temporary file is removed (best effort) and its error rethrown as is;
   * disk errors are StorageErrors.
   */
  async saveStream(metadata: SnapshotMetadata, next: () => Uint8Array | undefined): Promise<string> {
    const name = formatSnapName(metadata);
    const final = joinPath(this.dir, name);
    const tmp = final + TMP_SUFFIX;
    const head = encodeSnapshotHead(metadata);
    const sum = new SnapFileChecksum(head);
    await io(() => this.disk.write(tmp, head));
    let unsynced = 0;
    try {
      for (;;) {
        const chunk = next();
        if (chunk === undefined) break;
        if (chunk.length === 0) continue;
        sum.data(chunk);
        await io(() => this.disk.append(tmp, chunk));
        unsynced += chunk.length;
        if (unsynced >= SNAPSHOT_SYNC_EVERY_BYTES) {
          unsynced = 0;
          await io(() => this.disk.fdatasync(tmp));
        }
      }
    } catch (err) {
      await this.disk.remove(tmp).catch(() => undefined);
      throw err;
    }
    await io(() => this.disk.append(tmp, sum.trailer()));
    await io(() => this.disk.fsync(tmp));
    await io(() => this.disk.rename(tmp, final));
    await io(() => this.disk.fsyncDir(this.dir));
    return name;
  }

  /** Opens the data of the snapshot file `name` for reading in slices (see SnapFileReader). */
  async openReader(name: SnapName): Promise<SnapFileReader> {
    const file = formatSnapName(name);
    const path = joinPath(this.dir, file);
    const fileSize = await io(() => this.disk.sizeOf(path));
    const probe = await io(() => this.disk.readRange(path, 0, Math.min(fileSize, SNAP_HEAD_PROBE_BYTES)));
    const head = maybeDecodeSnapshotHead(probe, file);
    if (head === undefined) {
      // A version-1 file (written before streaming): read whole, as it was.
      const { data } = decodeSnapshot(await io(() => this.disk.read(path)), file);
      return {
        size: data.length,
        read: (offset, length) => Promise.resolve(data.subarray(offset, offset + length)),
        close: () => undefined,
      };
    }
    if (head.metadata.index !== name.index || head.metadata.term !== name.term) {
      throw new CorruptionError(file, 12, 'snapshot: contents do not match the file name');
    }
    const { dataOffset } = head;
    const size = fileSize - dataOffset - SNAP_TRAILER_BYTES;
    if (size < 0) throw new CorruptionError(file, dataOffset, 'snapshot: truncated');
    const sum = new SnapFileChecksum(probe.subarray(0, dataOffset));
    let verified = 0;
    const disk = this.disk;
    return {
      size,
      async read(offset: number, length: number): Promise<Uint8Array> {
        const n = Math.max(0, Math.min(length, size - offset));
        const bytes =
          n === 0 ? new Uint8Array(0) : await io(() => disk.readRange(path, dataOffset + offset, n));
        if (offset !== verified || bytes.length === 0) return bytes;
        sum.data(bytes);
        verified += bytes.length;
        if (verified === size) {
          const trailer = await io(() => disk.readRange(path, dataOffset + size, SNAP_TRAILER_BYTES));
          if (!sum.matches(trailer))
            throw new CorruptionError(file, dataOffset + size, 'snapshot: crc mismatch');
        }
        return bytes;
      },
      close: () => undefined,
    };
  }

  /** Starts writing a snapshot received from a leader (see ReceivedSnapFile). */
  receive(metadata: SnapshotMetadata): ReceivedSnapFile {
    const tmp = joinPath(this.dir, `${formatSnapName(metadata)}.${++this.receiveSeq}${RECEIVED_SUFFIX}`);
    const head = encodeSnapshotHead(metadata);
    const sum = new SnapFileChecksum(head);
    const disk = this.disk;
    let dataBytes = 0;
    let aborted = false;
    let last: Promise<unknown> = io(() => disk.write(tmp, head));
    const step = <T>(fn: () => Promise<T>): Promise<T> => {
      const next = last.then(() => {
        if (aborted) throw new Error('snapshot receive aborted');
        return fn();
      });
      last = next.catch(() => undefined);
      return next;
    };
    return {
      write: (chunk) =>
        step(async () => {
          sum.data(chunk);
          dataBytes += chunk.length;
          await io(() => disk.append(tmp, chunk));
        }),
      finish: () =>
        step(async () => {
          await io(() => disk.append(tmp, sum.trailer()));
          await io(() => disk.fsync(tmp));
          const file = formatSnapName(metadata);
          // Checked by the transport on the way in; read back as written (no second pass of CRC).
          const snapshot = decodeSnapshot(await io(() => disk.read(tmp)), file, false);
          if (snapshot.data.length !== dataBytes) {
            throw new CorruptionError(file, 0, 'snapshot: received file does not read back as written');
          }
          // Only the newest received snapshot can still be of use to Raft.
          for (const [name, other] of this.received) {
            if (other.index <= metadata.index) {
              this.received.delete(name);
              await this.disk.remove(other.path).catch(() => undefined);
            }
          }
          this.received.set(file, { path: tmp, index: metadata.index });
          return snapshot;
        }),
      abort: () => {
        if (aborted) return;
        aborted = true;
        const file = formatSnapName(metadata);
        void last
          .then(() => {
            if (this.received.get(file)?.path === tmp) this.received.delete(file);
            return disk.remove(tmp);
          })
          .catch(() => undefined);
      },
    };
  }

  /**
   * Makes a received snapshot (finished, so synced) the snapshot file `name`: a rename, durable
   * once the directory is synced. Returns false when no such received file is waiting.
   */
  async adopt(name: SnapName): Promise<boolean> {
    const file = formatSnapName(name);
    const waiting = this.received.get(file);
    if (waiting === undefined) return false;
    this.received.delete(file);
    try {
      await this.disk.rename(waiting.path, joinPath(this.dir, file));
    } catch (err) {
      // Removed meanwhile (superseded): the caller writes the snapshot from its data instead.
      if (err instanceof DiskError && err.code === DiskErrorCode.NotFound) return false;
      throw toStorageError(err);
    }
    await io(() => this.disk.fsyncDir(this.dir));
    return true;
  }

  /**
   * Reads back a snapshot file this process has just written (its data is a view of the bytes
   * read, not a copy). The checksum is not verified again: see decodeSnapshot.
   */
  async loadWritten(name: SnapName): Promise<Snapshot> {
    const file = formatSnapName(name);
    const bytes = await io(() => this.disk.read(joinPath(this.dir, file)));
    return decodeSnapshot(bytes, file, false);
  }

  /** Snapshot files, newest first. */
  async list(): Promise<SnapFileInfo[]> {
    const names = await io(() => this.disk.list(this.dir));
    const out: SnapFileInfo[] = [];
    for (const file of names) {
      const parsed = maybeParseSnapName(file);
      if (parsed !== undefined) out.push({ file, ...parsed });
    }
    return out.sort((a, b) => b.index - a.index || b.term - a.term);
  }

  /**
   * Starts reading the snapshot file `file` for the next `maybeLoadNewest`, so that the read goes
   * on while the caller does other work (a boot scans the WAL meanwhile). The bytes are only used
   * if that call picks this file; a failed read is reported by it, as its own read would be.
   */
  readAhead(file: string): void {
    const bytes = io(() => this.disk.read(joinPath(this.dir, file)));
    bytes.catch(() => undefined); // reported when used; unused, it is no failure
    this.aheadRead = { file, bytes };
  }

  /** The newest valid snapshot accepted by `eligible`, or undefined. */
  async maybeLoadNewest(eligible: (name: SnapName) => boolean): Promise<Snapshot | undefined> {
    const ahead = this.aheadRead;
    this.aheadRead = undefined;
    for (const info of await this.list()) {
      if (!eligible(info)) continue;
      const path = joinPath(this.dir, info.file);
      const bytes = await (ahead?.file === info.file ? ahead.bytes : io(() => this.disk.read(path)));
      try {
        const snapshot = decodeSnapshot(bytes, info.file);
        if (snapshot.metadata.index !== info.index || snapshot.metadata.term !== info.term) {
          throw new CorruptionError(info.file, 12, 'snapshot: contents do not match the file name');
        }
        return snapshot;
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        this.logger.warn(`snap: ${err.message}; renaming it to ${info.file}.broken and trying an older one`);
        await io(() => this.disk.rename(path, `${path}.broken`));
        await io(() => this.disk.fsyncDir(this.dir));
      }
    }
    return undefined;
  }

  /**
   * Deletes snapshot files at or below `upToIndex` except the `keep` newest of them, oldest first.
   * Files above `upToIndex` are not considered: their WAL markers may not be durable yet, so they
   * do not count towards `keep`. Returns how many were deleted.
   */
  async purge(keep: number, upToIndex: number): Promise<number> {
    if (!Number.isInteger(keep) || keep < 1)
      throw new InvalidStorageConfigError(`keep must be ≥ 1, got ${keep}`);
    const victims = (await this.list())
      .filter((s) => s.index <= upToIndex)
      .slice(keep)
      .reverse();
    // Out of the live names first (durably), then cut down in synced steps (gradual-removal.ts).
    const retired: string[] = [];
    for (const v of victims) {
      const path = joinPath(this.dir, v.file);
      try {
        await this.disk.rename(path, path + REMOVING_SUFFIX);
        retired.push(path + REMOVING_SUFFIX);
      } catch (err) {
        if (!(err instanceof DiskError && err.code === DiskErrorCode.NotFound)) throw toStorageError(err);
      }
    }
    if (victims.length > 0) await io(() => this.disk.fsyncDir(this.dir));
    for (const path of retired) await io(() => removeGradually(this.disk, path));
    return victims.length;
  }
}
