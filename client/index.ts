/**
 * concord/client: THE public API of the SDK. Recipes and examples import only this file.
 * docs/client.md is the tour.
 */
export { Client } from './client.js';
export { AuthApi } from './auth.js';
export type { AuthStatus, GrantedPermission, PermissionSpec, UserAddOptions } from './auth.js';
export type { KvClient, LeaseApi, CompactOptions, ReadyOptions } from './client.js';
export type { MaintenanceApi, AlarmFilter } from './maintenance.js';
export type { ClusterApi, MemberAddOptions } from './cluster.js';
export type {
  ClientOptions,
  ClientClock,
  TlsOptions,
  TlsMaterial,
  AuthOptions,
  BackoffOptions,
  ClientRouting,
} from './options.js';
export type { ClientLogger, StructuredLogger, LogFields, LogValue } from './logger.js';
export { CLIENT_DEFAULTS, normalizeEndpoint } from './options.js';
export {
  ClientError,
  NotLeaderError,
  CompactedError,
  FutureRevisionError,
  LeaseNotFoundError,
  NoSpaceError,
  UnavailableError,
  InvalidArgumentError,
  RequestTooLargeError,
  UnauthenticatedError,
  PermissionDeniedError,
  RequestTimeoutError,
  UnreachableError,
  IndeterminateError,
  ClientClosedError,
  LeaseLostError,
  errors,
} from './errors.js';
export type { LeaseLostReason, ConnectFailure } from './errors.js';
export { ConnectionLostError } from './connection.js';
export { asText, asJson, prefixRange } from './kv.js';
export type {
  Abortable,
  GetOptions,
  RangeOptions,
  PutOptions,
  DeleteOptions,
  RangeResult,
  PutResult,
  DeleteResult,
} from './kv.js';
export { Cmp, Op, TxnBuilder } from './txn.js';
export type { CompareOperator, TxnCompare, TxnOp, TxnResult, TxnResults } from './txn.js';
export type { Watch, WatchBatch, WatchOptions } from './watch.js';
export type { LeaseGrant, LeaseKeepAlive, LeaseTimeToLive, GrantOptions, KeepAliveOptions } from './lease.js';
export { Session, DEFAULT_SESSION_TTL_SEC } from './session.js';
export type { SessionOptions } from './session.js';
export { SnapshotCorruptError } from './snapshot.js';
export type { SnapshotDownload, SnapshotStreamOptions } from './snapshot.js';
export type { ClientState, ClientStatus, ClientEvents } from './status.js';
export type { ClientTransport, TransportConnection, TransportClose, ConnectOptions } from './transport.js';
export { FrameQueue } from './transport.js';
export { wsTransport } from './ws-transport.js';
export type { WsTransportOptions } from './ws-transport.js';
export { nativeWebSocketTransport } from './native-transport.js';
export { prefixEnd } from './namespace.js';
export type { Bytes } from './util.js';
export { ErrorCode, SortOrder, SortTarget, WatchFilter, EventType } from './protocol/index.js';
export { formatSnapshotChecksum } from './protocol/index.js';
export type {
  KeyValue,
  WatchEvent,
  ResponseHeader,
  SnapshotFileSummary,
  ErrorDetails,
  StatusResponse,
  MemberListResponse,
  Member,
  AlarmMember,
  AlarmType,
  HashResponse,
  HashKVResponse,
  MemberAddResponse,
  MemberRemoveResponse,
  MemberUpdateResponse,
  MemberPromoteResponse,
} from './protocol/index.js';
