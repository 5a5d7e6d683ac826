/**
 * The SDK's errors: one base class, `ClientError`, carrying a stable `code` from
 * client/protocol/error-codes.ts, a `retryable` flag, `details` and `cause`. Subclasses exist where
 * callers branch on them (`instanceof CompactedError`). Never match on `message`.
 *
 * Two classes are the SDK's own verdicts rather than a server's answer:
 * - `IndeterminateError`: a non-idempotent write (put, delete, txn, grant) was sent and its outcome
 *   is unknown (connection lost, TIMEOUT from the member, per-request deadline passed). The SDK never
 *   resends such a write; the caller decides (re-read, then retry or not).
 * - `RequestTimeoutError`: the per-request deadline passed before an answer, and nothing was
 *   applied (a read, or a write that was never sent).
 */
import { ERROR_CODE_INFO, type ErrorBody, type ErrorCode, type ErrorDetails } from './protocol/index.js';

export interface ClientErrorOptions {
  readonly details?: ErrorDetails;
  readonly cause?: unknown;
}

export class ClientError extends Error {
  override name = 'ClientError';
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, options: ClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details ?? {};
  }

  /** The same request may succeed later (after backoff, or on another member). */
  get retryable(): boolean {
    return ERROR_CODE_INFO[this.code].retryable;
  }

  /** A write that failed with this error may nevertheless have taken effect. */
  get mayHaveApplied(): boolean {
    return ERROR_CODE_INFO[this.code].mayHaveApplied;
  }
}

export class NotLeaderError extends ClientError {
  override name = 'NotLeaderError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('NOT_LEADER', message, options);
  }
  get leaderClientUrls(): readonly string[] {
    return this.details.leaderClientUrls ?? [];
  }
  /** The leader's member id as this member knows it; 0 when it knows of none (an election). */
  get leaderId(): number {
    return this.details.leaderId ?? 0;
  }
}

export class CompactedError extends ClientError {
  override name = 'CompactedError';
  /** The oldest revision still available: re-read, then watch or read from it or later. */
  readonly compactRevision: number;
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('COMPACTED', message, options);
    this.compactRevision = this.details.compactRevision ?? 0;
  }
}

export class FutureRevisionError extends ClientError {
  override name = 'FutureRevisionError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('FUTURE_REVISION', message, options);
  }
}

export class LeaseNotFoundError extends ClientError {
  override name = 'LeaseNotFoundError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('LEASE_NOT_FOUND', message, options);
  }
}

export class NoSpaceError extends ClientError {
  override name = 'NoSpaceError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('NO_SPACE', message, options);
  }
}

export class UnavailableError extends ClientError {
  override name = 'UnavailableError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('UNAVAILABLE', message, options);
  }
}

export class InvalidArgumentError extends ClientError {
  override name = 'InvalidArgumentError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('INVALID_ARGUMENT', message, options);
  }
}

export class RequestTooLargeError extends ClientError {
  override name = 'RequestTooLargeError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('REQUEST_TOO_LARGE', message, options);
  }
}

/**
 * The caller is not (or no longer) authenticated: code UNAUTHENTICATED (a missing, expired,
 * forged or outdated token) or AUTH_FAILED (a wrong user name or password, such as after the
 * user's password was changed). Neither is retried.
 */
export class UnauthenticatedError extends ClientError {
  override name = 'UnauthenticatedError';
  constructor(
    message: string,
    options: ClientErrorOptions = {},
    code: 'UNAUTHENTICATED' | 'AUTH_FAILED' = 'UNAUTHENTICATED',
  ) {
    super(code, message, options);
  }
}

export class PermissionDeniedError extends ClientError {
  override name = 'PermissionDeniedError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('PERMISSION_DENIED', message, options);
  }
}

/** The per-request deadline (requestTimeoutMs) passed; nothing was applied. Retryable. */
export class RequestTimeoutError extends ClientError {
  override name = 'RequestTimeoutError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('UNAVAILABLE', message, options);
  }
}

/**
 * A non-idempotent write whose outcome is unknown: it was sent, and then the connection was lost,
 * the member answered TIMEOUT, or the deadline passed. It may or may not have been applied. The SDK
 * did not resend it. `cause` holds what happened.
 */
export class IndeterminateError extends ClientError {
  override name = 'IndeterminateError';
  constructor(message: string, options: ClientErrorOptions = {}) {
    super('TIMEOUT', message, options);
  }
  override get mayHaveApplied(): boolean {
    return true;
  }
}

/** One failed connection attempt, described for people and programs. */
export interface ConnectFailure {
  readonly endpoint: string;
  /**
   * Node's error code when there is one: `ECONNREFUSED`, `ENOTFOUND`, `ECONNRESET`, a certificate
   * verification reason such as `SELF_SIGNED_CERT_IN_CHAIN` or `CERT_HAS_EXPIRED`, an OpenSSL alert
   * such as `ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED`; or the protocol's code (`UNAUTHENTICATED`).
   */
  readonly code: string | undefined;
  /** The TLS handshake failed: the member's certificate was not trusted, or it refused ours. */
  readonly tls: boolean;
  /** One line: what went wrong, with the code. */
  readonly reason: string;
  readonly error: Error;
}

/**
 * No member could be reached: every endpoint was tried `connectRounds` times (or `ready()`'s
 * timeout passed) without a connection. The message says why for each endpoint (connection
 * refused, TLS handshake refused, DNS, timeout); `failures` has the last failure of each, and
 * `cause` the last error. Nothing was sent, so nothing was applied. Retryable: the cluster may be
 * back later.
 */
export class UnreachableError extends UnavailableError {
  override name = 'UnreachableError';
  readonly failures: readonly ConnectFailure[];
  constructor(message: string, failures: readonly ConnectFailure[], options: ClientErrorOptions = {}) {
    super(message, options);
    this.failures = failures;
  }
}

/** The client was closed; no further requests are accepted. */
export class ClientClosedError extends ClientError {
  override name = 'ClientClosedError';
  constructor(message = 'the client is closed', options: ClientErrorOptions = {}) {
    super('UNAVAILABLE', message, options);
  }
  override get retryable(): boolean {
    return false;
  }
}

/** Why a lease handle (keep-alive, session) stopped holding its lease. */
export type LeaseLostReason =
  /** The member said the lease does not exist: it expired or someone revoked it. */
  | 'notFound'
  /** No successful renewal for a whole TTL: the lease must be presumed expired. */
  | 'unreachable'
  /** This handle revoked it. */
  | 'revoked'
  /** This handle (or its client) was closed; the lease may still exist until its TTL runs out. */
  | 'closed';

/** The reason of a lease handle's `signal` once the lease is lost. */
export class LeaseLostError extends ClientError {
  override name = 'LeaseLostError';
  readonly leaseId: number;
  readonly reason: LeaseLostReason;
  constructor(leaseId: number, reason: LeaseLostReason, options: ClientErrorOptions = {}) {
    super('LEASE_NOT_FOUND', `lease ${leaseId} lost (${reason})`, options);
    this.leaseId = leaseId;
    this.reason = reason;
  }
}

/** The typed error for an error body received from a member. */
export function errorFromBody(body: ErrorBody, context = ''): ClientError {
  const message = context === '' ? body.message : `${context}: ${body.message}`;
  const options = { details: body.details };
  switch (body.code) {
    case 'NOT_LEADER':
      return new NotLeaderError(message, options);
    case 'COMPACTED':
      return new CompactedError(message, options);
    case 'FUTURE_REVISION':
      return new FutureRevisionError(message, options);
    case 'LEASE_NOT_FOUND':
      return new LeaseNotFoundError(message, options);
    case 'NO_SPACE':
      return new NoSpaceError(message, options);
    case 'UNAVAILABLE':
      return new UnavailableError(message, options);
    case 'INVALID_ARGUMENT':
      return new InvalidArgumentError(message, options);
    case 'REQUEST_TOO_LARGE':
      return new RequestTooLargeError(message, options);
    case 'UNAUTHENTICATED':
      return new UnauthenticatedError(message, options);
    case 'AUTH_FAILED':
      return new UnauthenticatedError(message, options, 'AUTH_FAILED');
    case 'PERMISSION_DENIED':
      return new PermissionDeniedError(message, options);
    default:
      return new ClientError(body.code, message, options);
  }
}

/** Every error class, for `catch (e) { if (e instanceof errors.CompactedError) … }`. */
export const errors = {
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
} as const;
