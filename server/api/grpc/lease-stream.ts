/**
 * One call of etcd's `LeaseKeepAlive` method: each request renews one lease once and is answered
 * by one response, in order. A lease that does not exist is answered with TTL 0 (etcd's answer, not
 * an error). Other failures end the call with their status; a follower answers NOT_LEADER, since
 * only the leader renews (etcd forwards the renewal to its leader instead: not yet done here, see
 * docs/compat.md). The stream stays open after the client half-closes, as etcd's does.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { codecs, ErrorCode, type ErrorBody } from '../../../client/protocol/index.js';
import {
  LeaseKeepAliveResponseSchema,
  type LeaseKeepAliveRequest,
  type LeaseKeepAliveResponse,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { toErrorBody } from '../errors.js';
import { toMessage } from './bridge.js';
import type { GrpcContext } from './context.js';
import { statusOf } from './status.js';

export class GrpcKeepAliveStream {
  private finished = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  constructor(
    private readonly ctx: GrpcContext,
    private readonly call: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>,
    private readonly onFinish: () => void,
  ) {
    call.on('data', (request: LeaseKeepAliveRequest) => {
      this.queue = this.queue.then(() => this.renew(request.ID));
    });
    call.on('cancelled', () => this.finish());
    call.on('close', () => this.finish());
    call.on('error', () => this.finish());
  }

  /**
   * Ends the call with `error` (member shutting down); resolves once its status is handed to the
   * connection (or at once if the call had already ended).
   */
  close(error: ErrorBody): Promise<void> {
    if (this.finished) return Promise.resolve();
    const written = new Promise<void>((resolve) => this.call.once('finish', resolve).once('close', resolve));
    this.call.emit('error', statusOf(error));
    this.finish();
    return written;
  }

  private async renew(rawId: bigint): Promise<void> {
    if (this.finished) return;
    const id = Number(rawId);
    if (!Number.isSafeInteger(id) || id <= 0) {
      // No lease can have this id: etcd's answer for a lease it does not know.
      this.respond({ header: this.ctx.backend.header(), id: Number.isSafeInteger(id) ? id : 0, ttlSec: 0 });
      return;
    }
    try {
      const result = await this.ctx.backend.leaseKeepAlive(id, { signal: this.abort.signal });
      this.ctx.metrics.observe('grpc', 'lease.keepAlive', 'OK');
      this.respond(result);
    } catch (err) {
      const body = toErrorBody(err, (e) =>
        this.ctx.logger.error('grpc keep-alive failed unexpectedly', { leaseId: id, error: e }),
      );
      this.ctx.metrics.observe('grpc', 'lease.keepAlive', body.code);
      if (body.code === ErrorCode.LeaseNotFound) {
        this.respond({ header: this.ctx.backend.header(), id, ttlSec: 0 });
        return;
      }
      this.close(body);
    }
  }

  private respond(result: {
    header: ReturnType<GrpcContext['backend']['header']>;
    id: number;
    ttlSec: number;
  }): void {
    if (this.finished || !this.call.writable) return;
    this.call.write(toMessage(LeaseKeepAliveResponseSchema, result, codecs.LEASE_KEEP_ALIVE_RESPONSE));
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.abort.abort();
    this.onFinish();
  }
}
