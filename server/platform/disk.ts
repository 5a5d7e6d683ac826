/**
 * The file system as storage needs it: a narrow, path-based, asynchronous interface, so that the
 * same WAL and snapshot code runs over the real disk (`NodeDisk`), an in-memory disk that can lose
 * whatever was not synced (`MemoryDisk`, for tests and the simulator) and a fault-injecting wrapper
 * (`FaultyDisk`).
 *
 * Durability contract (the POSIX one, taken literally):
 * - `append`, `appendAt`, `write` and `truncate` change a file's contents; the change is durable only after
 *   `fsync`/`fdatasync` of that file returns (`appendAtSynced` is a write and its fdatasync).
 * - Creating a file (`append`/`write` to a new path, `mkdir`), `rename` and `remove` change a
 *   directory; the change is durable only after `fsyncDir` of that directory returns. Syncing a
 *   file does NOT make its directory entry durable.
 *
 * Paths use '/' separators. Errors are `DiskError`s with a stable `code`.
 *
 * The bytes given to a write (`write`, `append`, `appendAt`, `appendAtSynced`) are the caller's
 * again once the returned promise settled: an implementation copies what it keeps, so the WAL
 * reuses one buffer for all its batches.
 */

export interface Disk {
  /** Creates the directory and any missing parents; succeeds if it already exists. */
  mkdir(path: string): Promise<void>;
  /** Names (not paths) of the entries in `dir`, sorted. */
  list(dir: string): Promise<string[]>;
  /** The whole contents of a file. */
  read(path: string): Promise<Uint8Array>;
  /** Up to `length` bytes of a file from `offset` (fewer at its end): large files read in slices. */
  readRange(path: string, offset: number, length: number): Promise<Uint8Array>;
  /** The file's size in bytes. */
  sizeOf(path: string): Promise<number>;
  /** Creates or replaces the file's contents. */
  write(path: string, data: Uint8Array): Promise<void>;
  /** Appends to the file, creating it if missing. */
  append(path: string, data: Uint8Array): Promise<void>;
  /**
   * Appends at the file's logical end `offsetBytes`, which may lie inside space preallocated with
   * `truncate` (zeros): writes `data` there, creating the file if missing and growing it if needed;
   * the bytes after it are left as they are. (A WAL in preallocated space: fdatasync then has no
   * file size to update, which on ext4 spares a journal commit per sync.)
   */
  appendAt(path: string, offsetBytes: number, data: Uint8Array): Promise<void>;
  /**
   * `appendAt` followed by `fdatasync` of the same file, as one operation: resolves once `data`
   * (and everything written to the file before it) is durable. The WAL's hot path: an
   * implementation may do both without returning to the event loop in between (NodeDisk does
   * them on the loop itself when the file is open and the data small). Durability and faults are
   * exactly those of the two operations in sequence: a failed write rejects with op `append`
   * (nothing was synced), a failed sync with op `fdatasync` (the data was written and may or may
   * not survive a crash).
   */
  appendAtSynced(path: string, offsetBytes: number, data: Uint8Array): Promise<void>;
  /** Makes the file's data and metadata durable. */
  fsync(path: string): Promise<void>;
  /** Makes the file's data (and the size needed to read it back) durable. */
  fdatasync(path: string): Promise<void>;
  /** Cuts (or zero-extends) the file to `sizeBytes`. */
  truncate(path: string, sizeBytes: number): Promise<void>;
  /** Atomically renames `from` to `to`, replacing `to` if it exists. Files and directories. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or an empty directory. */
  remove(path: string): Promise<void>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  fsyncDir(dir: string): Promise<void>;
  /** Releases any cached handles. The disk stays usable (handles are reopened on demand). */
  close(): Promise<void>;
}

export const DiskOp = {
  Mkdir: 'mkdir',
  List: 'list',
  Read: 'read',
  Write: 'write',
  Append: 'append',
  Fsync: 'fsync',
  Fdatasync: 'fdatasync',
  Truncate: 'truncate',
  Rename: 'rename',
  Remove: 'remove',
  FsyncDir: 'fsyncDir',
} as const;
export type DiskOp = (typeof DiskOp)[keyof typeof DiskOp];

export const DiskErrorCode = {
  NotFound: 'ENOENT',
  Exists: 'EEXIST',
  NotEmpty: 'ENOTEMPTY',
  IsDirectory: 'EISDIR',
  NotDirectory: 'ENOTDIR',
  NoSpace: 'ENOSPC',
  Io: 'EIO',
  Other: 'EOTHER',
} as const;
export type DiskErrorCode = (typeof DiskErrorCode)[keyof typeof DiskErrorCode];

export class DiskError extends Error {
  override readonly name = 'DiskError';
  constructor(
    readonly code: DiskErrorCode,
    readonly op: DiskOp,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`disk: ${op} ${path}: ${code}`, options);
  }
}

/** Joins path segments with '/', without doubling separators. */
export function joinPath(...parts: string[]): string {
  const out: string[] = [];
  parts.forEach((part, i) => {
    if (part === '') return;
    const trimmed = i === 0 ? part.replace(/\/+$/, '') : part.replace(/^\/+|\/+$/g, '');
    if (trimmed !== '' || i === 0) out.push(trimmed);
  });
  const joined = out.join('/');
  return joined === '' ? '/' : joined;
}

/** The directory part of a path ('a/b/c' → 'a/b'; 'c' → '.'). */
export function dirname(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return trimmed.slice(0, i);
}
