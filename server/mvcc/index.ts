/** The public door of server/mvcc. */
export { MvccStore, MVCC_DEFAULTS, resolveMvccOptions } from './store.js';
export type { MvccOptions, ResolvedMvccOptions, StorePin } from './store.js';
export type { LeaseAttacher } from './store-state.js';
export type { CommitListener } from './write-txn.js';
export { AutoCompactionPolicy, DEFAULT_REVISION_CHECK_INTERVAL_MS } from './auto-compaction.js';
export type { AutoCompactionOptions } from './auto-compaction.js';
export { DEFAULT_QUOTA_BYTES, heapBytesForQuota, heapLimitWarning } from './quota.js';
export {
  StateMachineError,
  CompactedError,
  FutureRevisionError,
  NoSpaceError,
  RequestTooLargeError,
  DuplicateKeyError,
  KeyNotFoundError,
  InvalidArgumentError,
  InvalidConfigError,
  LeaseNotFoundError,
} from './errors.js';
export {
  SnapshotDecodeError,
  MVCC_SNAPSHOT_VERSION,
  SNAPSHOT_SLICE_BYTES,
  StoreSnapshotEncoder,
} from './snapshot-codec.js';
export { ByteReader, ByteWriter, DecodeError } from './byte-io.js';
export { Hasher } from './hash.js';
export {
  keyToString,
  keyFromString,
  compareBytes,
  bytesEqual,
  prefixEnd,
  toKeyRange,
  rangeContains,
  rangesOverlap,
  describeKey,
} from './key-bytes.js';
export type { KeyRange } from './key-bytes.js';
export { EventType, tombstone, describeKeyValue, RECORD_OVERHEAD_BYTES } from './kv-types.js';
export type { KeyValue, MvccEvent, RevisionChanges } from './kv-types.js';
export { compareRevisions, describeRevision, isRevisionNumber, INITIAL_REVISION } from './revision.js';
export type { Revision } from './revision.js';
export { SortOrder, SortTarget, CompareTarget, CompareResult } from './requests.js';
export type {
  RangeRequest,
  RangeResponse,
  PutRequest,
  PutResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  Compare,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  CompactResponse,
} from './requests.js';
