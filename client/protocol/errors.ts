/**
 * Errors on the wire and in the codec.
 *
 * `ErrorBody` is what travels in a `response`, `keepalive`, `end` or `error` frame: a stable code, a
 * human message, and structured details. `ProtocolError` is what every decoder of this folder
 * returns (never throws) when its input is not a valid message: it names the offending field as a
 * JSON path (`params.success[0].request_put.key`) and, when the frame's request id could be read,
 * that id, so the server can answer the request instead of the connection.
 */
import { ERROR_CODE_INFO, type ErrorCode } from './error-codes.js';

/** Structured details of an error. Every field is optional; unknown detail keys are ignored. */
export interface ErrorDetails {
  /** INVALID_ARGUMENT and friends: JSON path of the offending field. */
  readonly field?: string;
  /** COMPACTED: the oldest revision still available. */
  readonly compactRevision?: number;
  /** FUTURE_REVISION: the member's current revision. */
  readonly currentRevision?: number;
  /** NOT_LEADER: the member this one believes is the leader (0: unknown). */
  readonly leaderId?: number;
  /** NOT_LEADER: where clients reach that leader. */
  readonly leaderClientUrls?: readonly string[];
  /** TOO_MANY_REQUESTS, UNAVAILABLE: a hint for the client's backoff. */
  readonly retryAfterMs?: number;
  /** REQUEST_TOO_LARGE, TOO_MANY_REQUESTS, TOO_MANY_STREAMS, RESPONSE_TOO_LARGE: the limit hit. */
  readonly limit?: number;
  /** Set by the decoder when a (newer) server sent a code this client does not know. */
  readonly unknownCode?: string;
}

export interface ErrorBody {
  readonly code: ErrorCode;
  readonly message: string;
  readonly details: ErrorDetails;
}

/** A decoding or validation failure. Returned by the decoders, never thrown out of them. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  readonly code: ErrorCode;
  /** JSON path of the offending field, if one is to blame. */
  readonly field: string | undefined;
  /** The request id of the frame, if it could be read before the failure. */
  readonly requestId: number | undefined;
  readonly details: ErrorDetails;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; requestId?: number; details?: ErrorDetails; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.field = options.field;
    this.requestId = options.requestId;
    const details: ErrorDetails = { ...options.details };
    this.details = options.field === undefined ? details : { ...details, field: options.field };
  }

  get retryable(): boolean {
    return ERROR_CODE_INFO[this.code].retryable;
  }

  /** The same failure attributed to a request id (used once the frame's id is known). */
  withRequestId(requestId: number): ProtocolError {
    return new ProtocolError(this.code, this.message, {
      ...(this.field === undefined ? {} : { field: this.field }),
      requestId,
      details: this.details,
      cause: this.cause,
    });
  }

  toErrorBody(): ErrorBody {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** Shorthand for the common case: an INVALID_ARGUMENT naming a field. */
export function invalid(field: string, message: string): ProtocolError {
  return new ProtocolError('INVALID_ARGUMENT', field === '' ? message : `${field}: ${message}`, { field });
}
