/**
 * One call of etcd's `Watch` method: a bidirectional stream carrying many watches. A thin door over
 * watch-etcd-stream.ts (etcd's answers: created, events, fragments, progress, canceled) and the
 * shared core under it (ids, created-gating, progress, the slow-consumer rule): it decodes the
 * protobuf requests, encodes the responses and reports back-pressure.
 *
 * - Requests are served in order (a create is answered before the next request is read). A create
 *   that does not decode is refused as etcd refuses a create (`watch_id` -1, `created` and
 *   `canceled`); any other request that does not decode, or an empty one, is ignored.
 * - The stream stays open after the client half-closes, as etcd's does, until the client cancels it
 *   or goes away.
 * - Back-pressure: once `call.write()` says false (grpc-js's buffer is full because HTTP/2 flow
 *   control holds the data: the client does not read), nothing more is written until 'drain';
 *   events queue in the core. A client that does not read: once `maxQueuedWatchBytes` are queued,
 *   every watch gets a `canceled` response with SLOW_WATCHER's reason and the call ends with the
 *   SLOW_WATCHER status (RESOURCE_EXHAUSTED, trailer `concord-error-code: SLOW_WATCHER`); the
 *   member drops the stream's watches and queues, so a client that never reads costs bounded memory.
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  codecs,
  type ErrorBody,
  type WatchResponse as DomainWatchResponse,
} from '../../../client/protocol/index.js';
import {
  WatchRequestSchema,
  WatchResponseSchema,
  type WatchRequest,
  type WatchResponse,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import { toErrorBody } from '../errors.js';
import { EtcdWatchStream } from '../watch-etcd-stream.js';
import { grpcCallOptions } from './auth-service.js';
import { toDomain, toMessage } from './bridge.js';
import type { GrpcContext } from './context.js';
import { statusOf } from './status.js';

export class GrpcWatchStream {
  private readonly stream: EtcdWatchStream;
  private finished = false;
  private queue: Promise<void> = Promise.resolve();
  private readonly abort = new AbortController();

  constructor(
    private readonly ctx: GrpcContext,
    private readonly call: ServerDuplexStream<WatchRequest, WatchResponse>,
    private readonly onFinish: () => void,
  ) {
    this.stream = new EtcdWatchStream(
      ctx,
      'grpc',
      {
        write: (response, refusedCreate) => this.write(response, refusedCreate),
        isCongested: () => call.writableNeedDrain,
        ended: (error) => this.endCall(error),
      },
      grpcCallOptions(call, this.abort.signal),
    );
    call.on('data', (request: WatchRequest) => {
      this.queue = this.queue.then(() => this.serve(request));
    });
    call.on('drain', () => this.stream.drained());
    call.on('cancelled', () => this.finish());
    call.on('close', () => this.finish());
    call.on('error', () => this.finish());
  }

  get size(): number {
    return this.stream.size;
  }

  /**
   * Ends the call with `error` (member shutting down): each watch gets a `canceled` response, then
   * the status; resolves once the status is handed to the connection (at once if already ended).
   */
  close(error: ErrorBody): Promise<void> {
    if (this.finished) return Promise.resolve();
    const written = new Promise<void>((resolve) => this.call.once('finish', resolve).once('close', resolve));
    this.stream.close(error);
    this.endCall(error);
    return written;
  }

  private async serve(request: WatchRequest): Promise<void> {
    if (this.finished) return;
    const kind = request.requestUnion.case;
    if (kind === undefined) return; // an empty request: etcd ignores it too
    let decoded;
    try {
      decoded = toDomain(WatchRequestSchema, request, codecs.WATCH_REQUEST, this.ctx.limits);
    } catch (err) {
      if (kind === 'createRequest') this.stream.refuseCreate(toErrorBody(err));
      else this.ctx.logger.debug('grpc watch: unreadable request ignored', { kind });
      return;
    }
    await this.stream.serve(decoded);
  }

  private write(response: DomainWatchResponse, refusedCreate: boolean): void {
    if (this.finished || !this.call.writable) return;
    // Mapped directly (bridge.ts), not through gateway JSON: a watch stream carries every event.
    const message: WatchResponse = toMessage(WatchResponseSchema, response, codecs.WATCH_RESPONSE);
    if (refusedCreate) message.created = true;
    this.call.write(message);
  }

  /** Ends the call with `error`'s status (etcd's code and text, Concord's code in the trailer). */
  private endCall(error: ErrorBody): void {
    if (this.finished) return;
    this.call.emit('error', statusOf(error));
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.abort.abort();
    this.stream.close();
    this.onFinish();
  }
}
