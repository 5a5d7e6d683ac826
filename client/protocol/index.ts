/**
 * The client wire protocol: the contract between the client port (2379) and the SDK. Imports
 * nothing outside this folder. docs/protocol.md is the prose version of this contract.
 */
export {
  base64ErrorText,
  decodeBase64,
  decodeBase64Strict,
  encodeBase64,
  isCanonicalBase64,
  type Base64Decoded,
} from './base64.js';
export { describeFrame } from './describe.js';
export {
  decodeClientFrame,
  decodeServerFrame,
  encodeFrame,
  decodeMessage,
  decodeProtoMessage,
  decodeWireMessage,
  decodeErrorBody,
  errorBodyToJson,
  isRetryable,
  requestSizeBytes,
  withDefaults,
  MAX_AUTH_TOKEN_LENGTH,
  MAX_CLIENT_NAME_LENGTH,
} from './codec.js';
export { prefixEnd } from './key-range.js';
export { ErrorCode, ERROR_CODE_INFO, GrpcCode, isErrorCode } from './error-codes.js';
export type { ErrorCodeInfo } from './error-codes.js';
export { ProtocolError } from './errors.js';
export type { ErrorBody, ErrorDetails } from './errors.js';
export {
  CloseCode,
  Feature,
  MAX_FEATURES,
  MAX_FEATURE_LENGTH,
  SUPPORTED_FEATURES,
  PROTOCOL_VERSION,
  SUBPROTOCOL_JSON_V1,
  SUPPORTED_SUBPROTOCOLS,
  WEBSOCKET_PATH,
} from './frames.js';
export type {
  CancelFrame,
  ClientFrame,
  ConnectionErrorFrame,
  EndFrame,
  ErrorResponseFrame,
  HelloFrame,
  KeepAliveFrame,
  Notice,
  NoticeFrame,
  RenewFrame,
  RequestFrame,
  ResponseFrame,
  ResultFrame,
  ServerFrame,
  SnapshotFrame,
  StreamFrame,
  WatchFrame,
  WatchGroupFrame,
  WelcomeFrame,
} from './frames.js';
export {
  ERROR_INFO_TYPE_URL,
  GATEWAY_ROUTES,
  gatewayError,
  gatewayRoute,
  gatewayStreamError,
  gatewayStreamResult,
  watchCanceledFromEnd,
} from './gateway.js';
export type { GatewayErrorBody, GatewayRoute } from './gateway.js';
export {
  DEFAULT_HELLO_TIMEOUT_MS,
  DEFAULT_LIMITS,
  DEFAULT_SNAPSHOT_CHUNK_BYTES,
  resolveLimits,
} from './limits.js';
export type { ProtocolLimits } from './limits.js';
export * as codecs from './messages.js';
export {
  isMethod,
  Method,
  methodSpec,
  METHODS,
  WATCH_CANCELED,
  WATCH_CREATED,
  WATCH_PROGRESS,
  WATCH_STREAM_RESPONSE,
} from './methods.js';
export type { MethodParams, MethodResult, MethodSpec, MethodTypes, StreamKind } from './methods.js';
export type { Codec, DecodeContext, WireObject, WireValue } from './codec-runtime.js';
export type { ProtoMessage } from './codec-runtime.js';
export {
  AlarmAction,
  AlarmType,
  CompareResult,
  CompareTarget,
  EventType,
  SortOrder,
  SortTarget,
  WatchFilter,
} from './types.js';
export type * from './types.js';
export type * from './wire.js';
export type * from './messages-auth.js';
export { MAX_AUTH_NAME_CHARS, MAX_PASSWORD_CHARS } from './messages-auth.js';
export {
  headerText,
  watchEventText,
  watchEventsText,
  watchEventsFrameText,
  watchGroupFrameText,
} from './watch-text.js';
export {
  crc32c,
  formatSnapshotChecksum,
  framedSizeBytes,
  frameSnapshot,
  SnapshotFileError,
  SnapshotFileReader,
  SNAPSHOT_FILE_VERSION,
} from './snapshot-format.js';
export type { Sha256Hasher, SnapshotFileProblem, SnapshotFileSummary } from './snapshot-format.js';
