/**
 * The stable error vocabulary shared by server and client. The wire carries these codes; messages
 * are for humans and may change. Documented in docs/protocol.md.
 */
export const ErrorCode = {
  NotLeader: 'NOT_LEADER',
  Compacted: 'COMPACTED',
  FutureRevision: 'FUTURE_REVISION',
  LeaseNotFound: 'LEASE_NOT_FOUND',
  LeaseExists: 'LEASE_EXISTS',
  LeaseTtlTooLarge: 'LEASE_TTL_TOO_LARGE',
  NoSpace: 'NO_SPACE',
  RequestTooLarge: 'REQUEST_TOO_LARGE',
  InvalidArgument: 'INVALID_ARGUMENT',
  DuplicateKey: 'DUPLICATE_KEY',
  /** A put with ignoreValue / ignoreLease named a key that does not exist. */
  KeyNotFound: 'KEY_NOT_FOUND',
  /** A watcher was cancelled because it could not keep up (its bounded buffer stayed full). */
  SlowWatcher: 'SLOW_WATCHER',
  Unavailable: 'UNAVAILABLE',
  Timeout: 'TIMEOUT',
  Unauthenticated: 'UNAUTHENTICATED',
  PermissionDenied: 'PERMISSION_DENIED',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
