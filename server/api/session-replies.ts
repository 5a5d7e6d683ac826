/**
 * How a WebSocket session answers (docs/protocol.md §4): frames encoded, a response too big for
 * the connection turned into RESPONSE_TOO_LARGE, and every answer counted in the API metrics by
 * method and code. Split from client-session.ts so the session keeps only its lifecycle.
 */
import {
  describeFrame,
  encodeFrame,
  ErrorCode,
  ProtocolError,
  type ErrorBody,
  type Method,
  type MethodResult,
  type ServerFrame,
} from '../../client/protocol/index.js';
import type { Logger } from '../platform/logger.js';
import type { ApiMetrics } from './api-metrics.js';
import { toErrorBody } from './errors.js';

export interface RepliesContext {
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  readonly maxFrameBytes: number;
  readonly remote: string;
  /** Queues an encoded text frame (or its UTF-8 bytes) on the connection; false when it was not queued. */
  send(frame: string | Uint8Array): boolean;
}

export class SessionReplies {
  constructor(private readonly ctx: RepliesContext) {}

  send(frame: ServerFrame): boolean {
    let text: string;
    try {
      text = encodeFrame(frame);
    } catch (err) {
      this.logInternal(describeFrame(frame), err);
      return false;
    }
    return this.ctx.send(text);
  }

  sendError(error: ErrorBody): void {
    this.send({ type: 'error', error });
  }

  /** Sends a result; a result that cannot be encoded or is too big becomes an error response. */
  respond<M extends Method>(id: number, method: M, result: MethodResult<M>): boolean {
    let bytes: Buffer;
    try {
      // Encoded to UTF-8 once: the size check, the outbox's accounting and the socket all use
      // these bytes (as text, each measured or converted the string again).
      bytes = Buffer.from(encodeFrame({ type: 'response', id, method, result } as ServerFrame));
    } catch (err) {
      this.respondError(id, method, err);
      return false;
    }
    const limit = this.ctx.maxFrameBytes;
    if (bytes.length > limit) {
      this.respondError(
        id,
        method,
        new ProtocolError(
          ErrorCode.ResponseTooLarge,
          `the response would exceed ${limit} bytes; narrow the request or use limit`,
          { details: { limit } },
        ),
      );
      return false;
    }
    this.observe(method, 'OK');
    return this.ctx.send(bytes);
  }

  respondError(id: number, method: Method, err: unknown): void {
    const error = toErrorBody(err, (e) => this.logInternal(method, e));
    this.observe(method, error.code);
    this.send({ type: 'response', id, method, error });
  }

  /** A request refused before it ran (limits, shutdown): answered and counted under its method. */
  refuse(id: number, method: Method, error: ErrorBody): void {
    this.observe(method, error.code);
    this.send({ type: 'response', id, method, error });
  }

  /**
   * A request frame that could not be decoded but named its id: answered under `kv.range` (the
   * frame's method is unknown) and counted as `invalid`.
   */
  refuseInvalid(id: number, err: ProtocolError): void {
    this.observe('invalid', err.code);
    this.send({ type: 'response', id, method: 'kv.range', error: err.toErrorBody() });
  }

  /** Counts one answer of `method` (also the keep-alive renewals, keepalive.ts). */
  observe(method: string, code: string): void {
    this.ctx.metrics.observe('ws', method, code);
  }

  logInternal(what: string, err: unknown): void {
    this.ctx.logger.error('client request failed unexpectedly', {
      remote: this.ctx.remote,
      what,
      error: err,
    });
  }
}
