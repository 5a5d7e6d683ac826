/**
 * One call of etcd's `Watch` method: a bidirectional stream carrying many watches, as etcd serves
 * it (api/v3rpc/watch.go is the behaviour followed, not the code):
 *
 * - create: a `created` response with the watch's id (the request's `watch_id`, or the lowest id
 *   not yet used on the stream), then the watch's events. A start revision already compacted is
 *   `created`, then `canceled` with `compact_revision`. A create refused otherwise (an id already in
 *   use, too many watches, a request that does not decode) is one response with `watch_id` -1,
 *   `created` and `canceled` and the reason.
 * - cancel: `canceled` for that watch; the cancel of a watch not open is ignored.
 * - progress request: a response with `watch_id` -1 once every watch has been sent everything up
 *   to its header revision.
 * - progress_notify: idle watches get an empty response every progress interval.
 *
 * Requests are served in order (a create is registered before the next request is read). The
 * stream stays open after the client half-closes, as etcd's does, until the client cancels it or
 * goes away. A client that does not read: once `maxQueuedWatchBytes` are waiting for it, the call
 * ends with SLOW_WATCHER (its watches are dropped; the client re-creates them from its last
 * revision). "Waiting" is counted by the write callbacks, which node:http2 calls before the
 * client's flow-control window lets the data out, so this bound does not hold yet (compat.md).
 */
import type { ServerDuplexStream } from '@grpc/grpc-js';
import {
  codecs,
  ErrorCode,
  watchCanceledFromEnd,
  type ErrorBody,
  type WatchCreateRequest,
  type WatchEvent,
  type WatchResponse as DomainWatchResponse,
} from '../../../client/protocol/index.js';
import {
  WatchRequestSchema,
  WatchResponseSchema,
  type WatchRequest,
  type WatchResponse,
} from '../../../client/protocol/gen/etcdserverpb/rpc_pb.js';
import type { WatchHandle } from '../backend.js';
import { grpcCallOptions } from './auth-service.js';
import { etcdMessage, toErrorBody } from '../errors.js';
import { DUPLICATE_WATCH_ID_REASON } from '../gateway-watch.js';
import { eventSizeBytes } from '../watch-hub.js';
import { toDomain, fromWire } from './bridge.js';
import type { GrpcContext } from './context.js';
import { statusOf } from './status.js';

interface Watch {
  readonly id: number;
  readonly progressNotify: boolean;
  handle: WatchHandle | undefined;
  /** Its `created` response is out: events go straight to the stream. */
  created: boolean;
  /** Events that arrived before the `created` response. */
  readonly early: { events: readonly WatchEvent[]; revision: number }[];
  /** The backend ended it before its `created` response: sent after that response. */
  endedEarly: ErrorBody | undefined;
  /** Nothing was sent for it since the last progress tick. */
  idle: boolean;
}

export class GrpcWatchStream {
  private readonly watches = new Map<number, Watch>();
  private nextAutoId = 0;
  private finished = false;
  private pendingBytes = 0;
  private queue: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly abort = new AbortController();

  constructor(
    private readonly ctx: GrpcContext,
    private readonly call: ServerDuplexStream<WatchRequest, WatchResponse>,
    private readonly onFinish: () => void,
  ) {
    call.on('data', (request: WatchRequest) => {
      this.queue = this.queue.then(() => this.serve(request));
    });
    call.on('cancelled', () => this.finish());
    call.on('close', () => this.finish());
    call.on('error', () => this.finish());
    this.timer = setInterval(() => this.progressTick(), ctx.limits.progressIntervalMs);
    this.timer.unref();
  }

  get size(): number {
    return this.watches.size;
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

  private async serve(request: WatchRequest): Promise<void> {
    if (this.finished) return;
    const kind = request.requestUnion.case;
    if (kind === undefined) return; // an empty request: etcd ignores it too
    let decoded;
    try {
      decoded = toDomain(WatchRequestSchema, request, codecs.WATCH_REQUEST, this.ctx.limits);
    } catch (err) {
      if (kind === 'createRequest') this.createFailed(toErrorBody(err));
      else this.ctx.logger.debug('grpc watch: unreadable request ignored', { kind });
      return;
    }
    switch (decoded.type) {
      case 'create':
        return this.create(decoded.request);
      case 'cancel':
        return this.cancel(decoded.request.watchId);
      case 'progress':
        return this.progress();
    }
  }

  private async create(req: WatchCreateRequest): Promise<void> {
    let id = req.watchId;
    if (id === 0) {
      while (this.watches.has(this.nextAutoId)) this.nextAutoId++;
      id = this.nextAutoId++;
    } else if (this.watches.has(id)) {
      this.createFailed({ code: ErrorCode.InvalidArgument, message: DUPLICATE_WATCH_ID_REASON, details: {} });
      return;
    }
    if (this.watches.size >= this.ctx.limits.maxWatches) {
      this.createFailed({
        code: ErrorCode.TooManyStreams,
        message: `the stream has its maximum of ${this.ctx.limits.maxWatches} watches`,
        details: { limit: this.ctx.limits.maxWatches },
      });
      return;
    }
    const watch: Watch = {
      id,
      progressNotify: req.progressNotify,
      handle: undefined,
      created: false,
      early: [],
      endedEarly: undefined,
      idle: true,
    };
    this.watches.set(id, watch);
    const sink = {
      events: (events: readonly WatchEvent[], revision: number) => this.events(watch, events, revision),
      ended: (error: Error) => {
        watch.handle = undefined;
        this.ended(watch, toErrorBody(error));
      },
    };
    let handle: WatchHandle;
    try {
      handle = await this.ctx.backend.watch(
        { ...req, watchId: id },
        sink,
        grpcCallOptions(this.call, this.abort.signal),
      );
    } catch (err) {
      this.watches.delete(id);
      const error = toErrorBody(err, (e) =>
        this.ctx.logger.error('grpc watch failed unexpectedly', { watchId: id, error: e }),
      );
      this.ctx.metrics.observe('grpc', 'watch.create', error.code);
      if (error.code === ErrorCode.Compacted) {
        // etcd creates the watch, then cancels it with the compaction revision.
        this.send({ type: 'created', header: this.ctx.backend.header(), watchId: id });
        this.send(this.canceled(id, error));
      } else {
        this.createFailed(error);
      }
      return;
    }
    if (this.finished || this.watches.get(id) !== watch) {
      handle.cancel();
      return;
    }
    if (watch.endedEarly === undefined) watch.handle = handle;
    this.ctx.metrics.observe('grpc', 'watch.create', 'OK');
    this.send({ type: 'created', header: this.ctx.backend.header(), watchId: id });
    watch.created = true;
    for (const batch of watch.early.splice(0)) this.eventsResponse(watch, batch.events, batch.revision);
    if (watch.endedEarly !== undefined) this.ended(watch, watch.endedEarly);
  }

  /** etcd's answer to a create it refuses: `watch_id` -1, `created` and `canceled`, the reason. */
  private createFailed(error: ErrorBody): void {
    this.ctx.metrics.observe('grpc', 'watch.create', error.code);
    this.ctx.logger.debug('grpc watch refused', { code: error.code, message: error.message });
    const response = this.message(this.canceled(-1, error));
    response.created = true;
    this.write(response, 0);
  }

  private cancel(watchId: number): void {
    const watch = this.watches.get(watchId);
    if (watch === undefined) return;
    this.watches.delete(watchId);
    watch.handle?.cancel();
    this.send({
      type: 'canceled',
      header: this.ctx.backend.header(),
      watchId,
      compactRevision: 0,
      cancelReason: '',
    });
  }

  private async progress(): Promise<void> {
    const handles = [...this.watches.values()].flatMap((w) => (w.handle === undefined ? [] : [w.handle]));
    const revisions = await Promise.all(handles.map((h) => h.requestProgress().catch(() => undefined)));
    const known = revisions.filter((r): r is number => r !== undefined);
    const header = this.ctx.backend.header();
    const revision = known.length === 0 ? header.revision : Math.min(...known);
    this.send({ type: 'progress', header: { ...header, revision }, watchId: -1 });
  }

  private events(watch: Watch, events: readonly WatchEvent[], revision: number): void {
    if (this.finished || this.watches.get(watch.id) !== watch) return;
    watch.idle = false;
    if (!watch.created) {
      watch.early.push({ events: [...events], revision });
      return;
    }
    this.eventsResponse(watch, events, revision);
  }

  private eventsResponse(watch: Watch, events: readonly WatchEvent[], revision: number): void {
    let bytes = 0;
    for (const e of events) bytes += eventSizeBytes(e);
    this.send(
      {
        type: 'events',
        header: { ...this.ctx.backend.header(), revision },
        watchId: watch.id,
        events,
        fragment: false,
      },
      bytes,
    );
    if (this.pendingBytes > this.ctx.limits.maxQueuedWatchBytes) {
      this.ctx.logger.debug('grpc watch stream ended: the client does not read', {
        pendingBytes: this.pendingBytes,
      });
      this.close({
        code: ErrorCode.SlowWatcher,
        message: 'watch could not keep up: the client did not read its events',
        details: { limit: this.ctx.limits.maxQueuedWatchBytes },
      });
    }
  }

  /** The backend ended a watch (compaction past it, too slow, member stopping). */
  private ended(watch: Watch, error: ErrorBody): void {
    if (this.finished || this.watches.get(watch.id) !== watch) return;
    if (!watch.created) {
      watch.endedEarly = error;
      return;
    }
    this.watches.delete(watch.id);
    this.send(this.canceled(watch.id, error));
  }

  /** A progress notification for each idle watch created with progress_notify. */
  private progressTick(): void {
    for (const watch of this.watches.values()) {
      const idle = watch.idle;
      watch.idle = true;
      const handle = watch.handle;
      if (!watch.progressNotify || !watch.created || !idle || handle === undefined) continue;
      handle.requestProgress().then(
        (revision) => {
          if (this.finished || this.watches.get(watch.id) !== watch) return;
          this.send({
            type: 'progress',
            header: { ...this.ctx.backend.header(), revision },
            watchId: watch.id,
          });
        },
        () => undefined,
      );
    }
  }

  private canceled(watchId: number, error: ErrorBody): DomainWatchResponse {
    return watchCanceledFromEnd(watchId, this.ctx.backend.header(), {
      ...error,
      message: etcdMessage(error),
    });
  }

  private message(response: DomainWatchResponse): WatchResponse {
    return fromWire(WatchResponseSchema, codecs.WATCH_RESPONSE.toWire(response));
  }

  private send(response: DomainWatchResponse, bytes = 0): void {
    this.write(this.message(response), bytes);
  }

  private write(response: WatchResponse, bytes: number): void {
    if (this.finished || !this.call.writable) return;
    this.pendingBytes += bytes;
    this.call.write(response, () => {
      this.pendingBytes -= bytes;
    });
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearInterval(this.timer);
    this.abort.abort();
    for (const watch of this.watches.values()) watch.handle?.cancel();
    this.watches.clear();
    this.onFinish();
  }
}
