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
  /** The request names a watch id that does not exist (or was cancelled). */
  WatchNotFound: 'WATCH_NOT_FOUND',
  Unavailable: 'UNAVAILABLE',
  Timeout: 'TIMEOUT',
  Unauthenticated: 'UNAUTHENTICATED',
  PermissionDenied: 'PERMISSION_DENIED',
  Internal: 'INTERNAL',
  /** The connection has its maximum number of requests in flight; back off and retry. */
  TooManyRequests: 'TOO_MANY_REQUESTS',
  /**
   * The connection has its maximum number of open streams of that kind (watches, keep-alives,
   * snapshots); close some or open another connection.
   */
  TooManyStreams: 'TOO_MANY_STREAMS',
  /** The answer would not fit in one frame (a range over too many keys): narrow it or use limit. */
  ResponseTooLarge: 'RESPONSE_TOO_LARGE',
  /** Unknown method, or a feature this member does not implement. */
  Unimplemented: 'UNIMPLEMENTED',
  /** The hello asked for a protocol version this member does not speak. */
  UnsupportedVersion: 'UNSUPPORTED_VERSION',
  /** The member detected data corruption (the CORRUPT alarm is raised). */
  Corrupt: 'CORRUPT',
  /** memberAdd: a member with that id (the same peer URLs) or one of those peer URLs exists. */
  MemberExists: 'MEMBER_EXISTS',
  /** memberRemove / memberPromote: no member with that id. */
  MemberNotFound: 'MEMBER_NOT_FOUND',
  /** memberPromote: the member is already a voter. */
  MemberNotLearner: 'MEMBER_NOT_LEARNER',
  /** memberPromote: the learner has not caught up with the leader yet; retry later. */
  LearnerNotReady: 'LEARNER_NOT_READY',
  /** Another membership change is proposed but not applied yet; retry when it is. */
  MembershipChangePending: 'MEMBERSHIP_CHANGE_PENDING',
  /** memberAdd of a learner while the cluster has its maximum of learners (one, as etcd). */
  TooManyLearners: 'TOO_MANY_LEARNERS',
  /**
   * memberAdd / memberRemove / memberPromote refused by the strict reconfiguration check: too few
   * voting members are connected to the leader for the changed membership to keep its quorum.
   */
  UnhealthyCluster: 'UNHEALTHY_CLUSTER',
  /**
   * memberAdd / memberRemove / memberPromote of a voter refused by the strict reconfiguration
   * check: too few members have started (published their name) for the changed membership.
   */
  NotEnoughStartedMembers: 'NOT_ENOUGH_STARTED_MEMBERS',
  /** moveLeader: the target is not a member, or is a learner (etcd: bad leader transferee). */
  BadLeaderTransferee: 'BAD_LEADER_TRANSFEREE',
  /** Lock: the lease bounding the lock ended while the caller waited; the lock is not held. */
  SessionExpired: 'SESSION_EXPIRED',
  /** Election proclaim: the caller's leader key is no longer the one that leads. */
  ElectionNotLeader: 'ELECTION_NOT_LEADER',
  /** Election leader: nobody leads the election. */
  ElectionNoLeader: 'ELECTION_NO_LEADER',
  // ---- access control (docs/auth.md); etcd's auth errors, one code each ----
  /** auth.status is fine; this call needs auth to be enabled (etcd's ErrAuthNotEnabled). */
  AuthNotEnabled: 'AUTH_NOT_ENABLED',
  /** auth.enable: there is no `root` user yet. */
  RootUserNotExist: 'ROOT_USER_NOT_EXIST',
  /** auth.enable: the `root` user does not have the `root` role. */
  RootRoleNotExist: 'ROOT_ROLE_NOT_EXIST',
  /**
   * Auth is on and the request carries no token (etcd's ErrUserEmpty, "user name is empty"), or a
   * user call named no user.
   */
  UserEmpty: 'USER_EMPTY',
  UserExists: 'USER_EXISTS',
  UserNotFound: 'USER_NOT_FOUND',
  RoleEmpty: 'ROLE_EMPTY',
  RoleExists: 'ROLE_EXISTS',
  RoleNotFound: 'ROLE_NOT_FOUND',
  /** auth.authenticate: unknown user or wrong password (the two are not told apart). */
  AuthFailed: 'AUTH_FAILED',
  /** userRevokeRole: the user does not have that role. */
  RoleNotGranted: 'ROLE_NOT_GRANTED',
  /** roleRevokePermission: the role has no permission on exactly that key or range. */
  PermissionNotGranted: 'PERMISSION_NOT_GRANTED',
  /** roleGrantPermission without a permission. */
  PermissionNotGiven: 'PERMISSION_NOT_GIVEN',
  /** A change that would lock everyone out (delete root, revoke root's root role) while auth is on. */
  InvalidAuthMgmt: 'INVALID_AUTH_MGMT',
  /**
   * The auth store changed after the token was issued (a JWT) or after the request was checked:
   * authenticate again (the SDK does) and retry.
   */
  AuthOldRevision: 'AUTH_OLD_REVISION',
  // ---- browser access (docs/security.md): etcd's --cors and --host-whitelist ----
  /**
   * The request comes from a browser page whose origin the member does not allow (`--cors`); the
   * gateway, preflights and WebSocket upgrades from it are refused.
   */
  OriginNotAllowed: 'ORIGIN_NOT_ALLOWED',
  /** A cleartext request's Host header names a host not in `--host-whitelist` (DNS rebinding guard). */
  HostNotAllowed: 'HOST_NOT_ALLOWED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** gRPC status code numbers (google.rpc.Code), as etcd's API and its JSON gateway use them. */
export const GrpcCode = {
  Ok: 0,
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type GrpcCode = (typeof GrpcCode)[keyof typeof GrpcCode];

/**
 * How a client should treat one code.
 * - `retryable`: the same request may succeed later (after backoff, or on another member).
 * - `mayHaveApplied`: a write that failed with this code may nevertheless have taken effect
 *   (its outcome is unknown); a client must not blindly retry a non-idempotent write then.
 * - `grpcCode`: the gRPC status etcd uses for the equivalent error (the gateway's `code` field).
 * - `httpStatus`: the status the etcd JSON gateway (grpc-gateway v1.16) maps that gRPC code to.
 */
export interface ErrorCodeInfo {
  readonly retryable: boolean;
  readonly mayHaveApplied: boolean;
  readonly grpcCode: GrpcCode;
  readonly httpStatus: number;
  readonly description: string;
}

function info(
  retryable: boolean,
  mayHaveApplied: boolean,
  grpcCode: GrpcCode,
  httpStatus: number,
  description: string,
): ErrorCodeInfo {
  return { retryable, mayHaveApplied, grpcCode, httpStatus, description };
}

const G = GrpcCode;

/** Every code's retry semantics and its gRPC / HTTP equivalents. Exhaustive by type. */
export const ERROR_CODE_INFO: { readonly [C in ErrorCode]: ErrorCodeInfo } = {
  NOT_LEADER: info(
    true,
    false,
    G.FailedPrecondition,
    412,
    'this member cannot serve the request; retry on the leader (details.leader_id)',
  ),
  COMPACTED: info(
    false,
    false,
    G.OutOfRange,
    400,
    'the requested revision has been compacted (details.compact_revision)',
  ),
  FUTURE_REVISION: info(
    false,
    false,
    G.OutOfRange,
    400,
    'the requested revision is higher than the current revision',
  ),
  LEASE_NOT_FOUND: info(
    false,
    false,
    G.NotFound,
    404,
    'the lease does not exist (never granted, revoked or expired)',
  ),
  LEASE_EXISTS: info(false, false, G.FailedPrecondition, 412, 'a lease with the requested ID already exists'),
  LEASE_TTL_TOO_LARGE: info(
    false,
    false,
    G.OutOfRange,
    400,
    'the requested TTL exceeds the maximum lease TTL',
  ),
  NO_SPACE: info(
    false,
    false,
    G.ResourceExhausted,
    429,
    'the space quota is exhausted (NOSPACE alarm): compact, defragment, disarm',
  ),
  REQUEST_TOO_LARGE: info(
    false,
    false,
    G.InvalidArgument,
    400,
    'the request exceeds max request bytes (details.limit)',
  ),
  INVALID_ARGUMENT: info(
    false,
    false,
    G.InvalidArgument,
    400,
    'the request is malformed (details.field names the field)',
  ),
  DUPLICATE_KEY: info(false, false, G.InvalidArgument, 400, 'a txn modifies the same key more than once'),
  KEY_NOT_FOUND: info(
    false,
    false,
    G.InvalidArgument,
    400,
    'ignore_value / ignore_lease on a key that does not exist',
  ),
  SLOW_WATCHER: info(
    true,
    false,
    G.ResourceExhausted,
    429,
    'the watch could not keep up and was cancelled; re-create it from the last revision',
  ),
  WATCH_NOT_FOUND: info(false, false, G.NotFound, 404, 'no watch with that id on this connection'),
  UNAVAILABLE: info(
    true,
    false,
    G.Unavailable,
    503,
    'the member cannot take the request now (no leader, stopping, learner); it was not proposed',
  ),
  TIMEOUT: info(
    true,
    true,
    G.Unavailable,
    503,
    'the request was proposed but its outcome is unknown (timed out, leader lost)',
  ),
  UNAUTHENTICATED: info(false, false, G.Unauthenticated, 401, 'missing or invalid auth token'),
  PERMISSION_DENIED: info(false, false, G.PermissionDenied, 403, 'the authenticated user may not do this'),
  INTERNAL: info(false, true, G.Internal, 500, 'a bug or an unexpected failure on the member'),
  TOO_MANY_REQUESTS: info(
    true,
    false,
    G.ResourceExhausted,
    429,
    'too many requests in flight on this connection; back off (details.retry_after_ms)',
  ),
  TOO_MANY_STREAMS: info(
    false,
    false,
    G.ResourceExhausted,
    429,
    'the connection has its maximum number of watches, keep-alives or snapshots (details.limit)',
  ),
  RESPONSE_TOO_LARGE: info(
    false,
    true,
    G.ResourceExhausted,
    429,
    'the response would exceed the maximum frame size; narrow the request',
  ),
  UNIMPLEMENTED: info(false, false, G.Unimplemented, 501, 'unknown method or unsupported feature'),
  UNSUPPORTED_VERSION: info(
    false,
    false,
    G.FailedPrecondition,
    412,
    'the member does not speak the requested protocol version',
  ),
  CORRUPT: info(false, false, G.DataLoss, 500, 'the member detected data corruption (CORRUPT alarm)'),
  MEMBER_EXISTS: info(
    false,
    false,
    G.FailedPrecondition,
    412,
    'a member with that ID or one of those peer URLs already exists',
  ),
  MEMBER_NOT_FOUND: info(false, false, G.NotFound, 404, 'no member with that ID'),
  MEMBER_NOT_LEARNER: info(false, false, G.FailedPrecondition, 412, 'only a learner can be promoted'),
  LEARNER_NOT_READY: info(
    true,
    false,
    G.FailedPrecondition,
    412,
    "the learner's log is not within 90% of the leader's yet; retry when it has caught up",
  ),
  MEMBERSHIP_CHANGE_PENDING: info(
    true,
    false,
    G.FailedPrecondition,
    412,
    'another membership change is not applied yet; retry when it is',
  ),
  TOO_MANY_LEARNERS: info(
    false,
    false,
    G.FailedPrecondition,
    412,
    'memberAdd: the cluster already has its maximum number of learners (1)',
  ),
  UNHEALTHY_CLUSTER: info(
    true,
    false,
    G.Unavailable,
    503,
    'membership change refused: too few voting members are connected to keep a quorum after it',
  ),
  NOT_ENOUGH_STARTED_MEMBERS: info(
    true,
    false,
    G.FailedPrecondition,
    412,
    'membership change refused: too few started members for the membership after it',
  ),
  BAD_LEADER_TRANSFEREE: info(
    false,
    false,
    G.FailedPrecondition,
    412,
    'moveLeader: the target is not a voting member of the cluster',
  ),
  // etcd's lock and election services pass these up as plain errors: gRPC UNKNOWN, HTTP 500.
  SESSION_EXPIRED: info(
    false,
    false,
    G.Unknown,
    500,
    'the lease of a lock ended while waiting for it; the lock is not held',
  ),
  ELECTION_NOT_LEADER: info(
    false,
    false,
    G.Unknown,
    500,
    'the leader key given no longer leads the election',
  ),
  ELECTION_NO_LEADER: info(false, false, G.Unknown, 500, 'the election has no leader'),
  // ---- access control ----
  AUTH_NOT_ENABLED: info(false, false, G.FailedPrecondition, 412, 'authentication is not enabled'),
  ROOT_USER_NOT_EXIST: info(
    false,
    false,
    G.FailedPrecondition,
    412,
    'auth enable: the root user does not exist',
  ),
  ROOT_ROLE_NOT_EXIST: info(
    false,
    false,
    G.FailedPrecondition,
    412,
    'auth enable: the root user does not have the root role',
  ),
  USER_EMPTY: info(
    false,
    false,
    G.InvalidArgument,
    400,
    'auth is on and the request carries no token (or names no user)',
  ),
  USER_EXISTS: info(false, false, G.FailedPrecondition, 412, 'a user with that name already exists'),
  USER_NOT_FOUND: info(false, false, G.FailedPrecondition, 412, 'no user with that name'),
  ROLE_EMPTY: info(false, false, G.InvalidArgument, 400, 'the role name is empty'),
  ROLE_EXISTS: info(false, false, G.FailedPrecondition, 412, 'a role with that name already exists'),
  ROLE_NOT_FOUND: info(false, false, G.FailedPrecondition, 412, 'no role with that name'),
  AUTH_FAILED: info(
    false,
    false,
    G.InvalidArgument,
    400,
    'authentication failed: invalid user name or password',
  ),
  ROLE_NOT_GRANTED: info(false, false, G.FailedPrecondition, 412, 'the role is not granted to the user'),
  PERMISSION_NOT_GRANTED: info(
    false,
    false,
    G.FailedPrecondition,
    412,
    'the role has no permission on that key or range',
  ),
  PERMISSION_NOT_GIVEN: info(false, false, G.InvalidArgument, 400, 'no permission given'),
  INVALID_AUTH_MGMT: info(
    false,
    false,
    G.InvalidArgument,
    400,
    'the change would remove root access while auth is on',
  ),
  AUTH_OLD_REVISION: info(
    true,
    false,
    G.InvalidArgument,
    400,
    'the auth store changed since the token or the check; authenticate again and retry',
  ),
  ORIGIN_NOT_ALLOWED: info(
    false,
    false,
    G.PermissionDenied,
    403,
    'the browser page origin is not allowed (--cors): gateway, preflight and WebSocket refused',
  ),
  // The client port answers it with HTTP 421, as etcd does; 400 is the gateway's mapping of code 3.
  HOST_NOT_ALLOWED: info(
    false,
    false,
    G.InvalidArgument,
    400,
    'the Host header is not in --host-whitelist (cleartext connections; a DNS rebinding guard)',
  ),
};

const CODES: ReadonlySet<string> = new Set(Object.values(ErrorCode));

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && CODES.has(value);
}
