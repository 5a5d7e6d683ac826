/**
 * The lease keep-alive streams of one WebSocket connection (docs/protocol.md §6.2).
 *
 * - A stream is opened by `lease.keepAlive` (whose response is the first renewal) and named by
 *   that request's id. Each `renew {id}` renews once and is answered by exactly one `keepalive`
 *   frame; a renew while the previous one is unanswered gets a `keepalive` error TOO_MANY_REQUESTS.
 * - Transient failures (UNAVAILABLE, TIMEOUT, NOT_LEADER with the leader's id and client URLs in
 *   details) are `keepalive` errors and leave the stream open; the SDK moves the stream to the
 *   leader on NOT_LEADER.
 * - A lease that is gone (LEASE_NOT_FOUND on renew, a TTL ≤ 0, or the backend's revoke
 *   notification) ends the stream with `end` LEASE_NOT_FOUND.
 * - `cancel {id}` ends the stream without revoking the lease.
 */
import {
  ErrorCode,
  encodeFrame,
  type ErrorBody,
  type LeaseKeepAliveResponse,
} from '../../client/protocol/index.js';
import type { ClientBackend } from './backend.js';
import { toErrorBody } from './errors.js';

interface KeepAliveStream {
  readonly id: number;
  readonly leaseId: number;
  renewing: AbortController | undefined;
}

export interface KeepAliveHost {
  send(text: string): boolean;
  onInternal(err: unknown): void;
  observe(method: string, code: string): void;
  /** The connection's auth token now (renewals are checked like any request). */
  token?(): string | undefined;
}

const leaseGone = (leaseId: number): ErrorBody => ({
  code: ErrorCode.LeaseNotFound,
  message: `lease ${leaseId} expired or revoked`,
  details: {},
});

export class KeepAlives {
  private readonly streams = new Map<number, KeepAliveStream>();

  constructor(
    private readonly backend: ClientBackend,
    private readonly host: KeepAliveHost,
  ) {}

  get size(): number {
    return this.streams.size;
  }

  has(id: number): boolean {
    return this.streams.has(id);
  }

  /** Registers the stream after its opening response was sent. */
  open(id: number, leaseId: number): void {
    this.streams.set(id, { id, leaseId, renewing: undefined });
  }

  /** One renew of stream `id`; ignored when there is no such stream (it may race with `end`). */
  renew(id: number): void {
    const stream = this.streams.get(id);
    if (stream === undefined) return;
    if (stream.renewing !== undefined) {
      this.host.send(
        encodeFrame({
          type: 'keepalive',
          id,
          error: {
            code: ErrorCode.TooManyRequests,
            message: 'a renew of this stream is still unanswered',
            details: { limit: 1 },
          },
        }),
      );
      return;
    }
    const ac = new AbortController();
    stream.renewing = ac;
    const token = this.host.token?.();
    const options = token === undefined ? { signal: ac.signal } : { signal: ac.signal, token };
    this.backend.leaseKeepAlive(stream.leaseId, options).then(
      (result) => this.renewed(stream, ac, result),
      (err: unknown) => this.failed(stream, ac, err),
    );
  }

  /** Ends stream `id` (client cancel: no error). False if there is none. */
  end(id: number, error?: ErrorBody, sendFrame = true): boolean {
    const stream = this.streams.get(id);
    if (stream === undefined) return false;
    this.streams.delete(id);
    stream.renewing?.abort();
    stream.renewing = undefined;
    if (sendFrame)
      this.host.send(encodeFrame(error === undefined ? { type: 'end', id } : { type: 'end', id, error }));
    return true;
  }

  /** The lease was revoked or expired: end its streams at once. */
  leaseRevoked(leaseId: number): void {
    for (const stream of [...this.streams.values()]) {
      if (stream.leaseId === leaseId) this.end(stream.id, leaseGone(leaseId));
    }
  }

  endAll(error: ErrorBody | undefined, sendFrames: boolean): void {
    for (const id of [...this.streams.keys()]) this.end(id, error, sendFrames);
  }

  private renewed(stream: KeepAliveStream, ac: AbortController, result: LeaseKeepAliveResponse): void {
    if (stream.renewing !== ac) return; // the stream ended meanwhile
    stream.renewing = undefined;
    if (result.ttlSec <= 0) {
      this.host.observe('lease.keepAlive', ErrorCode.LeaseNotFound);
      this.end(stream.id, leaseGone(stream.leaseId));
      return;
    }
    this.host.observe('lease.keepAlive', 'OK');
    this.host.send(encodeFrame({ type: 'keepalive', id: stream.id, result }));
  }

  private failed(stream: KeepAliveStream, ac: AbortController, err: unknown): void {
    if (stream.renewing !== ac) return;
    stream.renewing = undefined;
    const body = toErrorBody(err, (e) => this.host.onInternal(e));
    this.host.observe('lease.keepAlive', body.code);
    if (body.code === ErrorCode.LeaseNotFound) {
      this.end(stream.id, body);
      return;
    }
    this.host.send(encodeFrame({ type: 'keepalive', id: stream.id, error: body }));
  }
}
