/**
 * Backend failures → wire error bodies. One place decides what a client sees for any error a
 * backend (or the API itself) throws: the stable `code` when the error has one, structured details
 * read from well-known properties, and INTERNAL (logged, never its stack) for anything else.
 */
import {
  ErrorCode,
  isErrorCode,
  ProtocolError,
  type ErrorBody,
  type ErrorDetails,
} from '../../client/protocol/index.js';

function num(obj: Record<string, unknown>, ...names: string[]): number | undefined {
  for (const name of names) {
    const v = obj[name];
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  }
  return undefined;
}

function detailsOf(obj: Record<string, unknown>): ErrorDetails {
  const d: { -readonly [K in keyof ErrorDetails]: ErrorDetails[K] } = {};
  const compactRevision = num(obj, 'compactRevision');
  if (compactRevision !== undefined) d.compactRevision = compactRevision;
  const currentRevision = num(obj, 'currentRevision', 'current');
  if (currentRevision !== undefined) d.currentRevision = currentRevision;
  const leaderId = num(obj, 'leaderId');
  if (leaderId !== undefined) d.leaderId = leaderId;
  const urls = obj['leaderClientUrls'];
  if (Array.isArray(urls) && urls.every((u) => typeof u === 'string'))
    d.leaderClientUrls = [...(urls as string[])];
  const retryAfterMs = num(obj, 'retryAfterMs');
  if (retryAfterMs !== undefined) d.retryAfterMs = retryAfterMs;
  const limit = num(obj, 'limit', 'maxBytes');
  if (limit !== undefined) d.limit = limit;
  const field = obj['field'];
  if (typeof field === 'string') d.field = field;
  const nested = obj['details'];
  if (typeof nested === 'object' && nested !== null && !Array.isArray(nested)) {
    return { ...(nested as ErrorDetails), ...d };
  }
  return d;
}

/** Whether `err` is the rejection of an aborted signal (AbortError or the signal's own reason). */
export function isAbort(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || err.name === 'TimeoutError');
}

/**
 * The error body a client receives for `err`. `onInternal` is told about failures without a code
 * (bugs, unexpected conditions) so that they are logged once, here.
 */
export function toErrorBody(err: unknown, onInternal?: (err: unknown) => void): ErrorBody {
  if (err instanceof ProtocolError) return err.toErrorBody();
  if (typeof err === 'object' && err !== null) {
    const obj = err as Record<string, unknown>;
    const code = obj['code'];
    const message = typeof obj['message'] === 'string' ? obj['message'] : String(code);
    if (isErrorCode(code)) return { code, message, details: detailsOf(obj) };
    if (isAbort(err))
      return {
        code: ErrorCode.Unavailable,
        message: 'request aborted: the member is stopping or the client went away',
        details: {},
      };
  }
  onInternal?.(err);
  return { code: ErrorCode.Internal, message: 'internal error', details: {} };
}

/**
 * etcd's texts for the errors it also has (api/v3rpc/rpctypes/error.go). The gateway answers with
 * them, since some etcd clients match on the message; Concord's own message stays in details.
 */
const ETCD_MESSAGES: Partial<Record<ErrorCode, string>> = {
  COMPACTED: 'etcdserver: mvcc: required revision has been compacted',
  FUTURE_REVISION: 'etcdserver: mvcc: required revision is a future revision',
  LEASE_NOT_FOUND: 'etcdserver: requested lease not found',
  LEASE_EXISTS: 'etcdserver: lease already exists',
  LEASE_TTL_TOO_LARGE: 'etcdserver: too large lease TTL',
  NO_SPACE: 'etcdserver: mvcc: database space exceeded',
  REQUEST_TOO_LARGE: 'etcdserver: request is too large',
  DUPLICATE_KEY: 'etcdserver: duplicate key given in txn request',
  KEY_NOT_FOUND: 'etcdserver: key not found',
  NOT_LEADER: 'etcdserver: not leader',
  TIMEOUT: 'etcdserver: request timed out',
  TOO_MANY_REQUESTS: 'etcdserver: too many requests',
  CORRUPT: 'etcdserver: corrupt cluster',
  MEMBER_NOT_FOUND: 'etcdserver: member not found',
  MEMBER_NOT_LEARNER: 'etcdserver: can only promote a learner member',
  LEARNER_NOT_READY: 'etcdserver: can only promote a learner member which is in sync with leader',
  TOO_MANY_LEARNERS: 'etcdserver: too many learner members in cluster',
  UNHEALTHY_CLUSTER: 'etcdserver: unhealthy cluster',
  NOT_ENOUGH_STARTED_MEMBERS: 'etcdserver: re-configuration failed due to not enough started members',
  // access control (docs/auth.md)
  UNAUTHENTICATED: 'etcdserver: invalid auth token',
  PERMISSION_DENIED: 'etcdserver: permission denied',
  AUTH_NOT_ENABLED: 'etcdserver: authentication is not enabled',
  ROOT_USER_NOT_EXIST: 'etcdserver: root user does not exist',
  ROOT_ROLE_NOT_EXIST: 'etcdserver: root user does not have root role',
  USER_EMPTY: 'etcdserver: user name is empty',
  USER_EXISTS: 'etcdserver: user name already exists',
  USER_NOT_FOUND: 'etcdserver: user name not found',
  ROLE_EMPTY: 'etcdserver: role name is empty',
  ROLE_EXISTS: 'etcdserver: role name already exists',
  ROLE_NOT_FOUND: 'etcdserver: role name not found',
  AUTH_FAILED: 'etcdserver: authentication failed, invalid user ID or password',
  ROLE_NOT_GRANTED: 'etcdserver: role is not granted to the user',
  PERMISSION_NOT_GRANTED: 'etcdserver: permission is not granted to the role',
  PERMISSION_NOT_GIVEN: 'etcdserver: permission not given',
  INVALID_AUTH_MGMT: 'etcdserver: invalid auth management',
  AUTH_OLD_REVISION: 'etcdserver: revision of auth store is old',
  BAD_LEADER_TRANSFEREE: 'etcdserver: bad leader transferee',
  // clientv3/concurrency's texts: etcd's lock and election services answer with them.
  SESSION_EXPIRED: 'mutex: session is expired',
  ELECTION_NOT_LEADER: 'election: not leader',
  ELECTION_NO_LEADER: 'election: no leader',
};

/** Go's base64 refusal at the end of a decoder message (`key: illegal base64 data at input byte 0`). */
const BASE64_REFUSAL = /illegal base64 data at input byte \d+$/;

/** The message etcd would send for this code, if it has one; otherwise Concord's message. */
export function etcdMessage(body: ErrorBody): string {
  if (body.code === 'INVALID_ARGUMENT' && body.message.endsWith('key is not provided')) {
    return 'etcdserver: key is not provided';
  }
  // etcd's gateway answers a bad bytes field with Go's error alone, without the field's name.
  const base64 = body.code === 'INVALID_ARGUMENT' ? BASE64_REFUSAL.exec(body.message) : null;
  if (base64 !== null) return base64[0];
  if (body.code === 'MEMBER_EXISTS') {
    return body.message.includes('peer URL')
      ? 'etcdserver: Peer URLs already exists'
      : 'etcdserver: member ID already exist';
  }
  if (body.code === 'TIMEOUT' && body.message.startsWith('leadership transfer')) {
    return 'etcdserver: request timed out, leader transfer took too long';
  }
  return ETCD_MESSAGES[body.code] ?? body.message;
}
