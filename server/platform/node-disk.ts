/**
 * The real `Disk` on node:fs/promises. The only server file (outside transport/ and api/) that
 * touches the file system.
 *
 * Appends go through a cache of file handles opened in append mode, so that the WAL's hot path is
 * one write(2) per batch plus one fdatasync(2); the cache follows renames, is dropped on remove,
 * and holds at most `maxOpenHandles` (default 8) handles: the least recently used idle one is
 * closed first (a WAL only ever appends to its newest segment).
 * Directory fsync opens the directory read-only and calls fsync(2) on it (Linux semantics).
 */
import {
  open,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { constants, fdatasync, fdatasyncSync, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { type Disk, type DiskOp, DiskError, DiskErrorCode, DiskOp as Op } from './disk.js';

interface CachedHandle {
  readonly handle: Promise<FileHandle>;
  /** The open descriptor, once `handle` resolved: what the synchronous fast path writes to. */
  fd: number | undefined;
  inflight: number;
  /** Opened for positional writes (read-write) rather than in append mode. */
  readonly positional: boolean;
}

export interface NodeDiskOptions {
  /** Append handles kept open. Default 8. */
  readonly maxOpenHandles?: number;
  /**
   * Largest `appendAt`/`appendAtSynced` written with a synchronous write(2) on the event loop (a
   * copy into the page cache) instead of a thread-pool request; larger ones, and the first write
   * to a file not yet open, go through the pool. 0 turns the fast path off. Default 1 MiB.
   */
  readonly inlineWriteMaxBytes?: number;
  /**
   * Where `appendAtSynced` runs its fdatasync when its write was inline: 'pool' (one thread-pool
   * request, the loop free meanwhile) or 'loop' (a synchronous fdatasync(2) on the event loop:
   * no hop, but the loop blocked for the sync). Default 'pool': on a loaded machine a sync on the
   * loop measured slower, not faster (docs/performance.md, "One hop per WAL batch").
   */
  readonly syncOn?: 'loop' | 'pool';
}

export class NodeDisk implements Disk {
  /** In least-recently-used order (re-inserted on use). */
  private readonly handles = new Map<string, CachedHandle>();
  /**
   * The path `touch` made most recently used (the last key of `handles`), so that the WAL's writes
   * to one segment do not delete and re-insert its entry each time (a Map's table fills with the
   * deleted slots and is rebuilt: an allocation every few writes).
   */
  private newest: string | undefined;
  private readonly maxOpenHandles: number;
  private readonly inlineWriteMaxBytes: number;
  private readonly syncOnLoop: boolean;

  constructor(options: NodeDiskOptions = {}) {
    this.maxOpenHandles = options.maxOpenHandles ?? 8;
    if (!Number.isInteger(this.maxOpenHandles) || this.maxOpenHandles < 1) {
      throw new TypeError(`maxOpenHandles must be a positive integer, got ${this.maxOpenHandles}`);
    }
    this.inlineWriteMaxBytes = options.inlineWriteMaxBytes ?? 1024 * 1024;
    if (!Number.isSafeInteger(this.inlineWriteMaxBytes) || this.inlineWriteMaxBytes < 0) {
      throw new TypeError(`inlineWriteMaxBytes must be an integer ≥ 0, got ${this.inlineWriteMaxBytes}`);
    }
    const syncOn = options.syncOn ?? 'pool';
    if (syncOn !== 'loop' && syncOn !== 'pool') throw new TypeError(`syncOn must be 'loop' or 'pool'`);
    this.syncOnLoop = syncOn === 'loop';
  }

  async mkdir(path: string): Promise<void> {
    await wrap(Op.Mkdir, path, () => mkdir(path, { recursive: true }));
  }

  async list(dir: string): Promise<string[]> {
    const names = await wrap(Op.List, dir, () => readdir(dir));
    return names.sort();
  }

  async read(path: string): Promise<Uint8Array> {
    const buf = await wrap(Op.Read, path, () => readFile(path));
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  async readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return wrap(Op.Read, path, async () => {
      const h = await open(path, 'r');
      try {
        const out = new Uint8Array(length);
        let got = 0;
        while (got < length) {
          const { bytesRead } = await h.read(out, got, length - got, offset + got);
          if (bytesRead === 0) break;
          got += bytesRead;
        }
        return got === length ? out : out.subarray(0, got);
      } finally {
        await h.close();
      }
    });
  }

  async sizeOf(path: string): Promise<number> {
    const info = await wrap(Op.Read, path, () => stat(path));
    return info.size;
  }

  async write(path: string, data: Uint8Array): Promise<void> {
    await wrap(Op.Write, path, () => writeFile(path, data));
  }

  async append(path: string, data: Uint8Array): Promise<void> {
    await this.withCached(path, Op.Append, (handle) => writeAll(handle, data, undefined), false);
  }

  appendAt(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    const cached = this.handles.get(path);
    const fd = cached === undefined ? undefined : this.inlineFd(path, cached, data);
    if (fd === undefined) {
      return this.withCached(path, Op.Append, (handle) => writeAll(handle, data, offsetBytes), true);
    }
    try {
      writeAllSync(fd, data, offsetBytes);
    } catch (err) {
      return Promise.reject(toDiskError(err, Op.Append, path));
    }
    return Promise.resolve();
  }

  /**
   * The WAL's synced append. Once the segment is open, the write is a synchronous write(2) (a
   * copy into the page cache) and the sync one thread-pool request (or, with `syncOn: 'loop'`, a
   * synchronous fdatasync(2)), where `appendAt` + `fdatasync` cost two pool round trips, each an
   * event-loop wake-up and a promise chain.
   */
  appendAtSynced(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    const cached = this.handles.get(path);
    const fd = cached === undefined ? undefined : this.inlineFd(path, cached, data);
    if (fd === undefined || cached === undefined) return this.appendThenSync(path, offsetBytes, data);
    try {
      writeAllSync(fd, data, offsetBytes);
    } catch (err) {
      return Promise.reject(toDiskError(err, Op.Append, path));
    }
    // Counted in flight so that eviction cannot close the descriptor before the sync ran.
    cached.inflight++;
    return new Promise<void>((resolve, reject) => {
      const done = (err: unknown): void => {
        cached.inflight--;
        if (err === null) resolve();
        else reject(toDiskError(err, Op.Fdatasync, path));
      };
      if (!this.syncOnLoop) {
        fdatasync(fd, done);
        return;
      }
      // Not right away: what the caller's macrotask scheduled with setImmediate runs first (the
      // transport flushes there the appends a leader sends before its own write, so that the
      // followers' fsyncs overlap this one), then the loop blocks for the sync alone.
      setImmediate(() => {
        try {
          fdatasyncSync(fd);
        } catch (err) {
          done(err);
          return;
        }
        done(null);
      });
    });
  }

  private async appendThenSync(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    await this.appendAt(path, offsetBytes, data);
    await this.fdatasync(path);
  }

  /**
   * The descriptor to write `data` to `path` synchronously with, if the fast path applies: the
   * file's positional handle is open (a map entry is never closed: `drop` removes it first) and
   * the data small enough to copy on the loop. Marks the handle most recently used.
   */
  private inlineFd(path: string, cached: CachedHandle, data: Uint8Array): number | undefined {
    if (cached.fd === undefined || !cached.positional) return undefined;
    if (data.length > this.inlineWriteMaxBytes) return undefined;
    this.touch(path, cached);
    return cached.fd;
  }

  /** Makes `path`'s entry the most recently used (the last in `handles`). */
  private touch(path: string, cached: CachedHandle): void {
    if (this.newest === path && this.handles.get(path) === cached) return;
    this.handles.delete(path);
    this.handles.set(path, cached);
    this.newest = path;
  }

  async fsync(path: string): Promise<void> {
    await this.withHandle(path, Op.Fsync, (h) => h.sync());
  }

  async fdatasync(path: string): Promise<void> {
    await this.withHandle(path, Op.Fdatasync, (h) => h.datasync());
  }

  async truncate(path: string, sizeBytes: number): Promise<void> {
    await wrap(Op.Truncate, path, () => truncate(path, sizeBytes));
  }

  async rename(from: string, to: string): Promise<void> {
    await this.drop(to);
    await wrap(Op.Rename, from, () => rename(from, to));
    const cached = this.handles.get(from);
    if (cached !== undefined) {
      this.handles.delete(from);
      this.touch(to, cached);
    }
  }

  async remove(path: string): Promise<void> {
    await this.drop(path);
    await wrap(Op.Remove, path, async () => {
      const info = await stat(path);
      if (info.isDirectory()) await rmdir(path);
      else await rm(path);
    });
  }

  async fsyncDir(dir: string): Promise<void> {
    await wrap(Op.FsyncDir, dir, async () => {
      const h = await open(dir, 'r');
      try {
        await h.sync();
      } finally {
        await h.close();
      }
    });
  }

  async close(): Promise<void> {
    const all = [...this.handles.keys()];
    for (const path of all) await this.drop(path);
  }

  /**
   * Runs `fn` on the cached handle of `path`, opening (and evicting) as needed. `positional` says
   * which kind of write `fn` does (undefined: none, as for a sync: any cached handle serves).
   */
  private async withCached(
    path: string,
    op: DiskOp,
    fn: (h: FileHandle) => Promise<void>,
    positional: boolean | undefined,
  ): Promise<void> {
    let cached = this.handles.get(path);
    // O_APPEND ignores write positions, so a file switching between the two kinds of write is reopened.
    if (
      cached !== undefined &&
      positional !== undefined &&
      cached.positional !== positional &&
      cached.inflight === 0
    ) {
      await this.drop(path);
      cached = undefined;
    }
    if (cached === undefined) {
      const flags = positional === true ? constants.O_RDWR | constants.O_CREAT : 'a';
      const handle = wrap(op, path, () => open(path, flags, 0o666));
      const entry: CachedHandle = { handle, fd: undefined, inflight: 0, positional: positional === true };
      cached = entry;
      handle.then(
        (h) => {
          entry.fd = h.fd;
        },
        () => {
          if (this.handles.get(path) === entry) this.handles.delete(path);
        },
      );
      this.evictIdle();
    }
    this.touch(path, cached);
    cached.inflight++;
    try {
      const h = await cached.handle;
      await wrap(op, path, () => fn(h));
    } finally {
      cached.inflight--;
    }
  }

  private async withHandle(path: string, op: DiskOp, fn: (h: FileHandle) => Promise<void>): Promise<void> {
    if (this.handles.has(path)) {
      await this.withCached(path, op, fn, undefined);
      return;
    }
    await wrap(op, path, async () => {
      const h = await open(path, 'r');
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    });
  }

  private evictIdle(): void {
    for (const [path, cached] of this.handles) {
      if (this.handles.size < this.maxOpenHandles) return;
      if (cached.inflight === 0) void this.drop(path);
    }
  }

  private async drop(path: string): Promise<void> {
    const cached = this.handles.get(path);
    if (cached === undefined) return;
    this.handles.delete(path);
    if (this.newest === path) this.newest = undefined;
    try {
      await (await cached.handle).close();
    } catch {
      // The handle failed to open or is already closed: nothing to release.
    }
  }
}

/** Writes all of `data` (short writes continue), at `position` or, in append mode, at the end. */
async function writeAll(handle: FileHandle, data: Uint8Array, position: number | undefined): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const at = position === undefined ? null : position + done;
    const { bytesWritten } = await handle.write(data, done, data.length - done, at);
    done += bytesWritten;
  }
}

/** `writeAll` with write(2) on the calling thread. */
function writeAllSync(fd: number, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) done += writeSync(fd, data, done, data.length - done, position + done);
}

async function wrap<T>(op: DiskOp, path: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toDiskError(err, op, path);
  }
}

function toDiskError(err: unknown, op: DiskOp, path: string): DiskError {
  if (err instanceof DiskError) return err;
  return new DiskError(mapCode(err), op, path, { cause: err });
}

function mapCode(err: unknown): DiskErrorCode {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  switch (code) {
    case 'ENOENT':
      return DiskErrorCode.NotFound;
    case 'EEXIST':
      return DiskErrorCode.Exists;
    case 'ENOTEMPTY':
      return DiskErrorCode.NotEmpty;
    case 'EISDIR':
      return DiskErrorCode.IsDirectory;
    case 'ENOTDIR':
      return DiskErrorCode.NotDirectory;
    case 'ENOSPC':
    case 'EDQUOT':
      return DiskErrorCode.NoSpace;
    case 'EIO':
      return DiskErrorCode.Io;
    default:
      return DiskErrorCode.Other;
  }
}
