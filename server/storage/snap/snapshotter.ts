/**
 * Snapshot files in one directory. Writes are atomic: the file is written under a temporary
 * name, fsynced, renamed into place and the directory fsynced — so after a crash a snapshot is
 * either complete under its final name or absent (a leftover `.tmp` is removed at open).
 *
 * Loading picks the newest file (by index, then term) that the caller deems eligible (raft-storage
 * accepts only snapshots whose marker reached the WAL). A file that fails its CRC is renamed to
 * `<name>.broken`, reported, and the next older one is tried — never trusted.
 */
import { type Disk, DiskError, DiskErrorCode, joinPath } from '../../platform/disk.js';
import type { Snapshot, SnapshotMetadata } from '../../raft/types.js';
import { CorruptionError, InvalidStorageConfigError, io, toStorageError } from '../errors.js';
import type { StorageLogger } from '../logger.js';
import {
  decodeSnapshot,
  encodeSnapshotHead,
  formatSnapName,
  SnapFileChecksum,
  maybeParseSnapName,
  type SnapName,
} from './snap-file.js';

const TMP_SUFFIX = '.tmp';
/** Bytes per append when writing a snapshot held in memory. */
const SAVE_SLICE_BYTES = 1 << 20;

export interface SnapFileInfo extends SnapName {
  readonly file: string;
}

export class Snapshotter {
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
   * (the caller's `next()` does one bounded slice of work). Resolves with the file name.
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
    try {
      for (;;) {
        const chunk = next();
        if (chunk === undefined) break;
        if (chunk.length === 0) continue;
        sum.data(chunk);
        await io(() => this.disk.append(tmp, chunk));
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

  /** The newest valid snapshot accepted by `eligible`, or undefined. */
  async maybeLoadNewest(eligible: (name: SnapName) => boolean): Promise<Snapshot | undefined> {
    for (const info of await this.list()) {
      if (!eligible(info)) continue;
      const path = joinPath(this.dir, info.file);
      const bytes = await io(() => this.disk.read(path));
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
    for (const v of victims) {
      try {
        await this.disk.remove(joinPath(this.dir, v.file));
      } catch (err) {
        if (!(err instanceof DiskError && err.code === DiskErrorCode.NotFound)) throw toStorageError(err);
      }
    }
    if (victims.length > 0) await io(() => this.disk.fsyncDir(this.dir));
    return victims.length;
  }
}
