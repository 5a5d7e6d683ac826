/**
 * Storage errors. Each carries the stable wire `code` (client/protocol/error-codes.ts) and a finer
 * storage `reason` that operators and tests branch on. Corruption errors name the file and offset.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { DiskError, DiskErrorCode } from '../platform/disk.js';

export const StorageErrorReason = {
  /** A record or snapshot failed its CRC or could not be decoded, and it is not a torn tail. */
  Corrupt: 'CORRUPT',
  /** A WAL segment is missing between two others, or the log has a gap. */
  MissingSegment: 'MISSING_SEGMENT',
  /** The data directory belongs to another cluster or member. */
  ClusterMismatch: 'CLUSTER_MISMATCH',
  /** The data directory was written by a newer format version. */
  FormatTooNew: 'FORMAT_TOO_NEW',
  /** The data directory was written by an older format version, which this build does not read. */
  FormatTooOld: 'FORMAT_TOO_OLD',
  /** The disk is full (ENOSPC). */
  NoSpace: 'NO_SPACE',
  /** Any other I/O failure (EIO, ...). After one, the WAL refuses further writes until reopened. */
  Io: 'IO',
  /** The storage was closed. */
  Closed: 'CLOSED',
  /** Options out of range. */
  InvalidConfig: 'INVALID_CONFIG',
} as const;
export type StorageErrorReason = (typeof StorageErrorReason)[keyof typeof StorageErrorReason];

export class StorageError extends Error {
  override readonly name: string = 'StorageError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  constructor(
    readonly reason: StorageErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`storage: ${message}`, options);
    this.code = codeFor(reason);
    this.retryable =
      reason === StorageErrorReason.NoSpace ||
      reason === StorageErrorReason.Io ||
      reason === StorageErrorReason.Closed;
  }
}

/** Corruption found at a precise place. `offset` is the byte offset of the bad record in `file`. */
export class CorruptionError extends StorageError {
  override readonly name = 'CorruptionError';
  constructor(
    readonly file: string,
    readonly offset: number,
    detail: string,
    reason: StorageErrorReason = StorageErrorReason.Corrupt,
  ) {
    super(reason, `${detail} (file ${file}, offset ${offset})`);
  }
}

export class InvalidStorageConfigError extends StorageError {
  override readonly name = 'InvalidStorageConfigError';
  constructor(message: string) {
    super(StorageErrorReason.InvalidConfig, message);
  }
}

function codeFor(reason: StorageErrorReason): ErrorCode {
  switch (reason) {
    case StorageErrorReason.NoSpace:
      return ErrorCode.NoSpace;
    case StorageErrorReason.Io:
    case StorageErrorReason.Closed:
      return ErrorCode.Unavailable;
    case StorageErrorReason.InvalidConfig:
      return ErrorCode.InvalidArgument;
    default:
      return ErrorCode.Internal;
  }
}

/** Maps a DiskError to a StorageError (ENOSPC → NO_SPACE, anything else → IO); others pass through. */
export function toStorageError(err: unknown): Error {
  if (err instanceof StorageError) return err;
  if (err instanceof DiskError) {
    const reason = err.code === DiskErrorCode.NoSpace ? StorageErrorReason.NoSpace : StorageErrorReason.Io;
    return new StorageError(reason, `${err.op} ${err.path} failed: ${err.code}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

/** Runs a disk operation, rethrowing its failure as a StorageError. */
export async function io<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toStorageError(err);
  }
}
