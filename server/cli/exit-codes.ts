/**
 * The exit status of the client verbs of `concord` (get, put, watch, lease, ...): one stable number
 * per class of failure, so scripts can tell "try again later" from "your request is wrong" without
 * parsing messages. docs/cli.md has the table; change a number only with a major version.
 */
import {
  ClientError,
  CompactedError,
  FutureRevisionError,
  IndeterminateError,
  RequestTimeoutError,
  UnreachableError,
} from '../../client/index.js';
import { RecipeError, RecipeErrorCode } from '../../recipes/index.js';

export const ExitCode = {
  /** Done. */
  Ok: 0,
  /** Any failure not classed below (including an unhealthy endpoint for `endpoint health`). */
  Failure: 1,
  /** Bad flags or arguments: nothing was sent. */
  Usage: 2,
  /** No member could be reached, or none could serve (no leader, connection lost). */
  Unavailable: 3,
  /** The command timed out, or a write's outcome is unknown (it may have been applied). */
  Timeout: 4,
  /** The requested revision is compacted, or in the future. */
  Revision: 5,
  /** The lease (or another named thing: member, user, role) does not exist. */
  NotFound: 6,
  /** The member refused the request as invalid or too large. */
  Invalid: 7,
  /** The space quota is exhausted (NOSPACE alarm). */
  NoSpace: 8,
  /** Authentication failed or permission was denied. */
  Auth: 9,
  /** Interrupted by SIGINT/SIGTERM (a watch or keep-alive stopped this way ends with this too). */
  Interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit status for an error thrown by the SDK (or by the CLI itself). */
export function exitCodeOf(err: unknown): ExitCode {
  if (err instanceof UsageError) return ExitCode.Usage;
  // The recipes check their arguments (names, limits) before sending anything: a usage error.
  if (err instanceof RecipeError)
    return err.code === RecipeErrorCode.InvalidArgument
      ? ExitCode.Usage
      : err.code === RecipeErrorCode.Timeout
        ? ExitCode.Timeout
        : ExitCode.Failure;
  if (err instanceof CommandTimeoutError) return ExitCode.Timeout;
  if (err instanceof CompactedError || err instanceof FutureRevisionError) return ExitCode.Revision;
  // With one connection round the SDK reports a refused authentication as "unreachable": its cause says why.
  if (err instanceof UnreachableError)
    return err.cause instanceof ClientError && exitCodeOf(err.cause) === ExitCode.Auth
      ? ExitCode.Auth
      : ExitCode.Unavailable;
  // RequestTimeoutError carries UNAVAILABLE as its code: tell it apart by class first.
  if (err instanceof RequestTimeoutError || err instanceof IndeterminateError) return ExitCode.Timeout;
  if (!(err instanceof ClientError)) return ExitCode.Failure;
  switch (err.code) {
    case 'UNAVAILABLE':
    case 'NOT_LEADER':
    case 'TOO_MANY_REQUESTS':
      return ExitCode.Unavailable;
    case 'TIMEOUT':
      return ExitCode.Timeout;
    case 'COMPACTED':
    case 'FUTURE_REVISION':
      return ExitCode.Revision;
    case 'LEASE_NOT_FOUND':
    case 'KEY_NOT_FOUND':
    case 'MEMBER_NOT_FOUND':
    case 'USER_NOT_FOUND':
    case 'ROLE_NOT_FOUND':
      return ExitCode.NotFound;
    case 'INVALID_ARGUMENT':
    case 'REQUEST_TOO_LARGE':
    case 'LEASE_TTL_TOO_LARGE':
    case 'DUPLICATE_KEY':
      return ExitCode.Invalid;
    case 'NO_SPACE':
      return ExitCode.NoSpace;
    case 'UNAUTHENTICATED':
    case 'PERMISSION_DENIED':
    case 'USER_EMPTY':
    case 'AUTH_FAILED':
    case 'AUTH_OLD_REVISION':
      return ExitCode.Auth;
    default:
      return ExitCode.Failure;
  }
}

/** A usage error found by the CLI after commander parsed the flags (a bad value, a missing key). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** --command-timeout passed before the SDK answered. */
export class CommandTimeoutError extends Error {
  override readonly name = 'CommandTimeoutError';
}
