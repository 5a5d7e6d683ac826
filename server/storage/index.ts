/** The storage layer's public door: WAL, snapshots, Raft storage and the snapshot policy. */
export { RaftStorage, RAFT_STORAGE_DEFAULTS, lastIndexOf } from './raft-storage.js';
export type { RaftStorageOptions, RaftStorageOpenResult, ReadyToPersist } from './raft-storage.js';
export { SnapshotSpacing, SNAPSHOT_POLICY_DEFAULTS } from './snapshot-policy.js';
export type { SnapshotSpacingOptions } from './snapshot-policy.js';
export { StorageError, CorruptionError, InvalidStorageConfigError, StorageErrorReason } from './errors.js';
export { consoleLogger, silentLogger } from './logger.js';
export type { StorageLogger } from './logger.js';
export { Wal, WAL_DEFAULTS } from './wal/wal.js';
export type {
  WalIdentity,
  WalOptions,
  WalOpenResult,
  WalSegmentInfo,
  WalStats,
  LocatedRecord,
} from './wal/wal.js';
export type {
  WalRecord,
  EntryRecord,
  HardStateRecord,
  SnapshotMarkerRecord,
  MetadataRecord,
} from './wal/record.js';
export { WAL_FORMAT_VERSION } from './wal/record.js';
export { crc32c } from './wal/crc32c.js';
export { Snapshotter } from './snap/snapshotter.js';
export type { ReceivedSnapFile, SnapFileReader } from './snap/snapshotter.js';
export { SNAP_FORMAT_VERSION, encodeSnapshot, decodeSnapshot } from './snap/snap-file.js';
export { replayLog } from './replay.js';
export { restoreDataDir, DataDirExistsError } from './restore.js';
export type { RestoreDataDirOptions } from './restore.js';
