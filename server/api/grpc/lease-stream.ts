/**
 * One call of etcd's `LeaseKeepAlive` method: each request renews one lease once and is answered
 * by one response, in order. A lease that does not exist is answered with TTL 0 (etcd's answer, not
 * an error). Only the leader renews: a follower sends the renewal on to the leader (lease-forward.ts),
 * as etcd's followers do, unless the renewal was itself forwarded. Other failures end the call with
 * their status. The stream stays open after the client half-closes, as etcd's does.
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
import { grpcCallOptions, tokenOf } from './auth-service.js';
import { FORWARDED_METADATA } from './lease-forward.js';
import { statusOf } from './status.js';

export class GrpcKeepAliveStream {
  private finished = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();
  /** This stream's renewals were forwarded by a follower: never forward them again. */
  private readonly forwarded: boolean;

  constructor(
    private readonly ctx: GrpcContext,
    private readonly call: ServerDuplexStream<LeaseKeepAliveRequest, LeaseKeepAliveResponse>,
    private readonly onFinish: () => void,
  ) {
    this.forwarded = call.metadata.get(FORWARDED_METADATA).length > 0;
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
      const result = await this.ctx.backend.leaseKeepAlive(id, grpcCallOptions(this.call, this.abort.signal));
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
      const leaderUrls = body.details.leaderClientUrls ?? [];
      const forwarder = this.ctx.forwarder;
      if (
        body.code === ErrorCode.NotLeader &&
        !this.forwarded &&
        forwarder !== undefined &&
        leaderUrls.length > 0
      ) {
        await this.forward(forwarder, id, leaderUrls);
        return;
      }
      void this.close(body);
    }
  }

  private async forward(
    forwarder: NonNullable<GrpcContext['forwarder']>,
    id: number,
    leaderUrls: readonly string[],
  ): Promise<void> {
    try {
      const ttlSec = await forwarder.renew(id, leaderUrls, this.abort.signal, tokenOf(this.call.metadata));
      this.ctx.metrics.observe('grpc', 'lease.keepAlive', 'OK');
      this.respond({ header: this.ctx.backend.header(), id, ttlSec });
    } catch (err) {
      if (this.finished) return;
      this.ctx.logger.debug('grpc keep-alive: the leader did not renew', { leaseId: id, error: err });
      this.call.emit('error', err as Error);
      this.finish();
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
