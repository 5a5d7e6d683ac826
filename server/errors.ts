/**
 * Expected, operational failures on the server side. Each carries a stable code from the shared
 * vocabulary (client/protocol/error-codes.ts) that the API layer puts on the wire unchanged.
 */
import { ErrorCode } from '../client/protocol/error-codes.js';

export class ServerError extends Error {
  override readonly name: string = 'ServerError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const unavailable = (message: string, cause?: unknown): ServerError =>
  new ServerError(ErrorCode.Unavailable, message, true, cause === undefined ? undefined : { cause });

/** The request may or may not have been applied: the caller must not assume either. */
export const timeout = (message: string): ServerError => new ServerError(ErrorCode.Timeout, message, true);
