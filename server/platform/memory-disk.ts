/**
 * An in-memory `Disk` that remembers what is durable, for unit tests and the deterministic
 * simulator. Pure TypeScript: no node: imports, no timers; every operation completes
 * synchronously and returns a resolved promise.
 *
 * Model: a tree of inodes. A file inode holds its current bytes and its synced bytes; a directory
 * inode holds its current entries and its synced entries (name → inode). `crash()` rolls every
 * reachable directory back to its synced entries and every file back to its synced bytes — so a
 * file created but whose directory was never fsynced disappears, an un-fsynced rename or remove is
 * undone, and appended bytes not yet fsynced are lost (or, when a `random` is given, partly kept
 * and partly zeroed, the way a real page cache writes back out of order: a torn tail).
 *
 * Worked example:
 *   append('d/f', A); fsync('d/f')      -- A is durable, but the entry 'f' in 'd' is not
 *   fsyncDir('d')                       -- now 'd/f' with A survives a crash
 *   append('d/f', B); crash()           -- 'd/f' holds A (plus maybe a prefix of B)
 */
import type { Random } from './random.js';
import { type Disk, type DiskOp, DiskError, DiskErrorCode, DiskOp as Op } from './disk.js';

interface FileNode {
  readonly kind: 'file';
  buf: Uint8Array;
  size: number;
  /** Bytes durable so far: `buf[0, syncedSize)` while `syncedCopy` is undefined (append-only since the last sync). */
  syncedSize: number;
  /** Set when a non-append change (write, truncate) happened since the last sync. */
  syncedCopy: Uint8Array | undefined;
}

interface DirNode {
  readonly kind: 'dir';
  entries: Map<string, Node>;
  /** Undefined while the entries equal the synced ones. */
  syncedEntries: Map<string, Node> | undefined;
}

type Node = FileNode | DirNode;

export interface CrashOptions {
  /** When given, each file keeps a random prefix of its unsynced appended bytes, parts of it zeroed. */
  readonly random?: Random;
}

export interface MemoryDiskStats {
  fsyncs: number;
  fsyncDirs: number;
  bytesWritten: number;
}

export class MemoryDisk implements Disk {
  private root: DirNode = { kind: 'dir', entries: new Map(), syncedEntries: undefined };
  /** Bumped by every crash; views attached before it refuse to work afterwards. */
  private epoch = 0;
  readonly stats: MemoryDiskStats = { fsyncs: 0, fsyncDirs: 0, bytesWritten: 0 };

  mkdir(path: string): Promise<void> {
    return this.run(() => {
      let dir = this.root;
      for (const name of segments(path)) {
        const next = dir.entries.get(name);
        if (next === undefined) {
          const created: DirNode = { kind: 'dir', entries: new Map(), syncedEntries: undefined };
          setEntry(dir, name, created);
          dir = created;
        } else if (next.kind === 'dir') {
          dir = next;
        } else {
          throw new DiskError(DiskErrorCode.NotDirectory, Op.Mkdir, path);
        }
      }
    });
  }

  list(dir: string): Promise<string[]> {
    return this.run(() => [...this.dirAt(dir, Op.List).entries.keys()].sort());
  }

  read(path: string): Promise<Uint8Array> {
    return this.run(() => {
      const file = this.fileAt(path, Op.Read);
      return file.buf.slice(0, file.size);
    });
  }

  readRange(path: string, offset: number, length: number): Promise<Uint8Array> {
    return this.run(() => {
      const file = this.fileAt(path, Op.Read);
      return file.buf.slice(Math.min(offset, file.size), Math.min(offset + length, file.size));
    });
  }

  sizeOf(path: string): Promise<number> {
    return this.run(() => this.fileAt(path, Op.Read).size);
  }

  write(path: string, data: Uint8Array): Promise<void> {
    return this.run(() => {
      const file = this.fileAt(path, Op.Write, true);
      preserveSynced(file);
      file.buf = new Uint8Array(Math.max(16, data.length));
      file.buf.set(data);
      file.size = data.length;
      this.stats.bytesWritten += data.length;
    });
  }

  append(path: string, data: Uint8Array): Promise<void> {
    return this.run(() => {
      const file = this.fileAt(path, Op.Append, true);
      this.writeAt(file, file.size, data);
    });
  }

  appendAt(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    return this.run(() => this.writeAt(this.fileAt(path, Op.Append, true), offsetBytes, data));
  }

  appendAtSynced(path: string, offsetBytes: number, data: Uint8Array): Promise<void> {
    return this.run(() => {
      this.writeAt(this.fileAt(path, Op.Append, true), offsetBytes, data);
      this.syncFile(path, Op.Fdatasync);
    });
  }

  fsync(path: string): Promise<void> {
    return this.run(() => this.syncFile(path, Op.Fsync));
  }

  fdatasync(path: string): Promise<void> {
    return this.run(() => this.syncFile(path, Op.Fdatasync));
  }

  truncate(path: string, sizeBytes: number): Promise<void> {
    return this.run(() => {
      const file = this.fileAt(path, Op.Truncate);
      if (sizeBytes < file.syncedSize || sizeBytes > file.size) preserveSynced(file);
      ensureCapacity(file, sizeBytes);
      if (sizeBytes > file.size) file.buf.fill(0, file.size, sizeBytes);
      file.size = sizeBytes;
    });
  }

  rename(from: string, to: string): Promise<void> {
    return this.run(() => {
      const [fromDir, fromName] = this.parentOf(from, Op.Rename);
      const node = fromDir.entries.get(fromName);
      if (node === undefined) throw new DiskError(DiskErrorCode.NotFound, Op.Rename, from);
      const [toDir, toName] = this.parentOf(to, Op.Rename);
      const existing = toDir.entries.get(toName);
      if (existing !== undefined && existing.kind !== node.kind) {
        throw new DiskError(
          existing.kind === 'dir' ? DiskErrorCode.IsDirectory : DiskErrorCode.NotDirectory,
          Op.Rename,
          to,
        );
      }
      if (existing?.kind === 'dir' && existing.entries.size > 0) {
        throw new DiskError(DiskErrorCode.NotEmpty, Op.Rename, to);
      }
      deleteEntry(fromDir, fromName);
      setEntry(toDir, toName, node);
    });
  }

  remove(path: string): Promise<void> {
    return this.run(() => {
      const [dir, name] = this.parentOf(path, Op.Remove);
      const node = dir.entries.get(name);
      if (node === undefined) throw new DiskError(DiskErrorCode.NotFound, Op.Remove, path);
      if (node.kind === 'dir' && node.entries.size > 0)
        throw new DiskError(DiskErrorCode.NotEmpty, Op.Remove, path);
      deleteEntry(dir, name);
    });
  }

  fsyncDir(dir: string): Promise<void> {
    return this.run(() => {
      this.dirAt(dir, Op.FsyncDir).syncedEntries = undefined;
      this.stats.fsyncDirs++;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Simulates power loss: everything not made durable is lost. The disk stays usable afterwards
   * (it is the disk of the restarted machine).
   */
  crash(options: CrashOptions = {}): void {
    this.epoch++;
    const visit = (dir: DirNode): void => {
      if (dir.syncedEntries !== undefined) {
        dir.entries = dir.syncedEntries;
        dir.syncedEntries = undefined;
      }
      for (const node of dir.entries.values()) {
        if (node.kind === 'dir') visit(node);
        else crashFile(node, options.random);
      }
    };
    visit(this.root);
  }

  /**
   * A view of this disk for one incarnation of a process: once `crash()` is called, every
   * operation through it rejects with EIO, so code still running from before the crash (pending
   * promise chains) cannot write onto the disk of the restarted machine. Attach a new view after
   * each crash.
   */
  attach(): Disk {
    const epoch = this.epoch;
    const guard = <T>(op: DiskOp, path: string, fn: () => Promise<T>): Promise<T> =>
      this.epoch === epoch ? fn() : Promise.reject(new DiskError(DiskErrorCode.Io, op, path));
    return {
      mkdir: (p) => guard(Op.Mkdir, p, () => this.mkdir(p)),
      list: (p) => guard(Op.List, p, () => this.list(p)),
      read: (p) => guard(Op.Read, p, () => this.read(p)),
      readRange: (p, o, n) => guard(Op.Read, p, () => this.readRange(p, o, n)),
      sizeOf: (p) => guard(Op.Read, p, () => this.sizeOf(p)),
      write: (p, d) => guard(Op.Write, p, () => this.write(p, d)),
      append: (p, d) => guard(Op.Append, p, () => this.append(p, d)),
      appendAt: (p, o, d) => guard(Op.Append, p, () => this.appendAt(p, o, d)),
      appendAtSynced: (p, o, d) => guard(Op.Append, p, () => this.appendAtSynced(p, o, d)),
      fsync: (p) => guard(Op.Fsync, p, () => this.fsync(p)),
      fdatasync: (p) => guard(Op.Fdatasync, p, () => this.fdatasync(p)),
      truncate: (p, n) => guard(Op.Truncate, p, () => this.truncate(p, n)),
      rename: (a, b) => guard(Op.Rename, a, () => this.rename(a, b)),
      remove: (p) => guard(Op.Remove, p, () => this.remove(p)),
      fsyncDir: (p) => guard(Op.FsyncDir, p, () => this.fsyncDir(p)),
      close: () => Promise.resolve(),
    };
  }

  private writeAt(file: FileNode, offsetBytes: number, data: Uint8Array): void {
    const end = offsetBytes + data.length;
    // Overwriting bytes that are already durable (preallocated zeros) is not an append.
    if (offsetBytes < file.syncedSize || offsetBytes > file.size) preserveSynced(file);
    ensureCapacity(file, end);
    if (offsetBytes > file.size) file.buf.fill(0, file.size, offsetBytes);
    file.buf.set(data, offsetBytes);
    file.size = Math.max(file.size, end);
    this.stats.bytesWritten += data.length;
  }

  /** Bytes of `path` that would survive a crash now (for tests). */
  syncedBytes(path: string): number {
    const file = this.fileAt(path, Op.Read);
    return file.syncedCopy?.length ?? file.syncedSize;
  }

  /** Overwrites bytes in place, bypassing durability tracking: bit rot for corruption tests. */
  corrupt(path: string, offset: number, mutate: (byte: number) => number): void {
    const file = this.fileAt(path, Op.Write);
    if (offset < 0 || offset >= file.size) throw new RangeError(`corrupt: offset ${offset} outside ${path}`);
    file.buf[offset] = mutate(file.buf[offset] ?? 0) & 0xff;
    if (file.syncedCopy !== undefined && offset < file.syncedCopy.length) {
      file.syncedCopy[offset] = file.buf[offset] ?? 0;
    }
  }

  private syncFile(path: string, op: DiskOp): void {
    const file = this.fileAt(path, op);
    file.syncedCopy = undefined;
    file.syncedSize = file.size;
    this.stats.fsyncs++;
  }

  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private nodeAt(path: string): Node | undefined {
    let node: Node = this.root;
    for (const name of segments(path)) {
      if (node.kind !== 'dir') return undefined;
      const next: Node | undefined = node.entries.get(name);
      if (next === undefined) return undefined;
      node = next;
    }
    return node;
  }

  private dirAt(path: string, op: DiskOp): DirNode {
    const node = this.nodeAt(path);
    if (node === undefined) throw new DiskError(DiskErrorCode.NotFound, op, path);
    if (node.kind !== 'dir') throw new DiskError(DiskErrorCode.NotDirectory, op, path);
    return node;
  }

  private parentOf(path: string, op: DiskOp): [DirNode, string] {
    const parts = segments(path);
    const name = parts.pop();
    if (name === undefined) throw new DiskError(DiskErrorCode.IsDirectory, op, path);
    const parent = this.nodeAt(parts.join('/'));
    if (parent === undefined) throw new DiskError(DiskErrorCode.NotFound, op, path);
    if (parent.kind !== 'dir') throw new DiskError(DiskErrorCode.NotDirectory, op, path);
    return [parent, name];
  }

  private fileAt(path: string, op: DiskOp, create = false): FileNode {
    const [dir, name] = this.parentOf(path, op);
    const node = dir.entries.get(name);
    if (node === undefined) {
      if (!create) throw new DiskError(DiskErrorCode.NotFound, op, path);
      const file: FileNode = {
        kind: 'file',
        buf: new Uint8Array(64),
        size: 0,
        syncedSize: 0,
        syncedCopy: undefined,
      };
      setEntry(dir, name, file);
      return file;
    }
    if (node.kind !== 'file') throw new DiskError(DiskErrorCode.IsDirectory, op, path);
    return node;
  }
}

function segments(path: string): string[] {
  return path.split('/').filter((s) => s !== '' && s !== '.');
}

function setEntry(dir: DirNode, name: string, node: Node): void {
  dir.syncedEntries ??= new Map(dir.entries);
  dir.entries.set(name, node);
}

function deleteEntry(dir: DirNode, name: string): void {
  dir.syncedEntries ??= new Map(dir.entries);
  dir.entries.delete(name);
}

function ensureCapacity(file: FileNode, needed: number): void {
  if (needed <= file.buf.length) return;
  let capacity = file.buf.length * 2;
  while (capacity < needed) capacity *= 2;
  const grown = new Uint8Array(capacity);
  grown.set(file.buf.subarray(0, file.size));
  file.buf = grown;
}

/** Before a non-append change, freezes the synced bytes so that a crash can restore them. */
function preserveSynced(file: FileNode): void {
  file.syncedCopy ??= file.buf.slice(0, file.syncedSize);
}

function crashFile(file: FileNode, random: Random | undefined): void {
  if (file.syncedCopy !== undefined) {
    const copy = file.syncedCopy;
    file.buf = new Uint8Array(Math.max(64, copy.length));
    file.buf.set(copy);
    file.size = copy.length;
  } else {
    let keep = file.syncedSize;
    if (random !== undefined && file.size > file.syncedSize) {
      const unsynced = file.size - file.syncedSize;
      keep = file.syncedSize + random.int(unsynced + 1);
      // A written-back page may be followed by one that never made it (reads back as zeros).
      if (keep > file.syncedSize && random.int(2) === 0) {
        const holeStart = file.syncedSize + random.int(keep - file.syncedSize);
        const holeEnd = holeStart + 1 + random.int(keep - holeStart);
        file.buf.fill(0, holeStart, holeEnd);
      }
    }
    file.size = keep;
  }
  file.syncedSize = file.size;
  file.syncedCopy = undefined;
}
