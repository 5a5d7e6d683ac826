/**
 * etcd's watch stream (the `Watch` method's bidirectional stream, and the gateway's `/v3/watch`)
 * over the shared core (watch-stream-core.ts): WatchRequests in, etcd's WatchResponses out, as
 * etcd answers them (api/v3rpc/watch.go is the behaviour followed, not the code). The gRPC and
 * gateway doors only carry the messages and report back-pressure.
 *
 * - create: `created` with the watch's id (the request's `watch_id`, or the lowest id not yet used
 *   on the stream, from 0), then the watch's events, fragmented at max_request_bytes when the
 *   request asks for `fragment` (etcd's rule). A start revision already compacted is `created`, then
 *   `canceled` with `compact_revision`. A create refused otherwise (an id already open, too many
 *   watches, the member cannot serve it) is one response with `watch_id` -1, `created` and
 *   `canceled` and the reason.
 * - cancel: `canceled` for that watch; a cancel of a watch that is not open is ignored.
 * - progress request: a response with `watch_id` -1 once every watch has been sent everything up
 *   to its header revision; progress_notify: idle watches get an empty response every progress
 *   interval.
 * - The end of a watch by the server is a `canceled` response with etcd's text for the reason.
 * - A client that does not read (the slow-consumer rule of the core ends a watch with
 *   SLOW_WATCHER): the whole stream ends, every watch with a `canceled` response carrying the
 *   reason, then the door ends its stream with the SLOW_WATCHER error; the client re-creates its
 *   watches from the last revision it received.
 */
import {
  ErrorCode,
  watchCanceledFromEnd,
  type ErrorBody,
  type WatchRequest,
  type WatchResponse,
} from '../../client/protocol/index.js';
import type { Logger } from '../platform/logger.js';
import type { ApiMetrics } from './api-metrics.js';
import type { CallOptions, ClientBackend } from './backend.js';
import { etcdMessage } from './errors.js';
import type { ApiLimits } from './options.js';
import { WatchStreamCore, type DueEvents, type WatchDoor } from './watch-stream-core.js';

export interface EtcdWatchContext {
  readonly backend: ClientBackend;
  readonly limits: ApiLimits;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
}

/** What a door gives the etcd watch stream: where its responses go, and its back-pressure. */
export interface EtcdWatchWire {
  /**
   * Writes one response. `refusedCreate`: a refused create, written as etcd does (the canceled
   * response with `created` set too).
   */
  write(response: WatchResponse, refusedCreate: boolean): void;
  /** True while the client does not take more (the stream calls nothing but `write` for ends). */
  isCongested(): boolean;
  /** The stream ended itself (a slow consumer): the door ends its call or response with `error`. */
  ended(error: ErrorBody): void;
  /** A watch left the stream. */
  watchEnded?(): void;
}

export class EtcdWatchStream implements WatchDoor {
  private readonly core: WatchStreamCore;
  private closed = false;
  /** Closed without frames (the client went away). */
  private closedSilently = false;

  constructor(
    private readonly ctx: EtcdWatchContext,
    /** The door's name in metrics (`grpc`, `http`); logs call the http door `gateway`. */
    private readonly doorName: 'grpc' | 'http',
    private readonly wire: EtcdWatchWire,
    /** What each watch's backend call carries (signal, token, peer). */
    private readonly callOptions: CallOptions,
  ) {
    const limits = ctx.limits;
    this.core = new WatchStreamCore(ctx.backend, this, {
      // etcd cuts fragments at the request limit, and sends a revision whole without `fragment`.
      frameBudgetBytes: limits.maxRequestBytes,
      maxUnsplitBytes: Number.MAX_SAFE_INTEGER,
      maxQueuedBytes: limits.maxQueuedWatchBytes,
      maxWatches: limits.maxWatches,
      progressIntervalMs: limits.progressIntervalMs,
    });
  }

  get size(): number {
    return this.core.size;
  }

  /** Serves one request; resolves once it is answered (a create: its `created` response is out). */
  async serve(request: WatchRequest): Promise<void> {
    if (this.closed) return;
    switch (request.type) {
      case 'create': {
        const req = request.request;
        await this.core.create(req, req.watchId === 0 ? 'auto' : req.watchId, this.callOptions);
        return;
      }
      case 'cancel':
        if (!this.core.cancel(request.request.watchId)) {
          this.ctx.logger.debug(`${this.logName} watch cancel of no open watch ignored`, {
            watchId: request.request.watchId,
          });
        }
        return;
      case 'progress': {
        const reported = await this.core.requestProgressAll();
        const header = this.ctx.backend.header();
        this.write({
          type: 'progress',
          header: { ...header, revision: reported ?? header.revision },
          watchId: -1,
        });
        return;
      }
    }
  }

  /** Refuses a create the door could not read (etcd's refused-create response). */
  refuseCreate(error: ErrorBody): void {
    this.answerCreate(-1, error);
  }

  /** The door can take more again. */
  drained(): void {
    this.core.flush();
  }

  /**
   * Ends the stream: with `error` (the member stops), each open watch first gets a `canceled`
   * response with it; without, the client went away and nothing is written.
   */
  close(error?: ErrorBody): void {
    if (this.closed) return;
    this.closed = true;
    this.closedSilently = error === undefined;
    this.core.close(error, error !== undefined);
  }

  // ---- WatchDoor ------------------------------------------------------------------------------

  answerCreate(id: number, error: ErrorBody | undefined): void {
    this.ctx.metrics.observe(this.doorName, 'watch.create', error?.code ?? 'OK');
    if (error === undefined) {
      this.write({ type: 'created', header: this.ctx.backend.header(), watchId: id });
      return;
    }
    if (error.code === ErrorCode.Compacted) {
      // etcd creates the watch, then cancels it with the compaction revision.
      this.write({ type: 'created', header: this.ctx.backend.header(), watchId: id });
      this.write(this.canceled(id, error));
      return;
    }
    this.ctx.logger.debug(`${this.logName} watch refused`, { watchId: id, code: error.code });
    if (!this.closed) this.wire.write(this.canceled(-1, error), true);
  }

  sendEvents(f: DueEvents): void {
    const header = { ...this.ctx.backend.header(), revision: f.revision };
    this.write({ type: 'events', header, watchId: f.watchId, events: f.events, fragment: f.fragment });
  }

  sendProgress(id: number, revision: number): void {
    this.write({ type: 'progress', header: { ...this.ctx.backend.header(), revision }, watchId: id });
  }

  sendEnd(id: number, error: ErrorBody | undefined): void {
    this.ctx.logger.debug(`${this.logName} watch ended`, { watchId: id, code: error?.code ?? 'OK' });
    this.write(this.canceled(id, error));
    if (error?.code === ErrorCode.SlowWatcher && !this.closed) {
      // The client does not read: every watch of the stream starves, so the stream ends.
      this.close(error);
      this.wire.ended(error);
    }
  }

  isCongested(): boolean {
    return this.wire.isCongested();
  }

  corked(fn: () => void): void {
    fn();
  }

  watchEnded(id: number): void {
    // Ends without a frame (the client went away) are logged here; the others in sendEnd.
    if (this.closedSilently)
      this.ctx.logger.debug(`${this.logName} watch ended`, { watchId: id, code: 'OK' });
    this.wire.watchEnded?.();
  }

  logDebug(msg: string, fields: Record<string, unknown>): void {
    this.ctx.logger.debug(`${this.logName} ${msg}`, fields);
  }

  private get logName(): string {
    return this.doorName === 'http' ? 'gateway' : this.doorName;
  }

  private canceled(watchId: number, error: ErrorBody | undefined): WatchResponse {
    const reason = error === undefined ? undefined : { ...error, message: etcdMessage(error) };
    return watchCanceledFromEnd(watchId, this.ctx.backend.header(), reason);
  }

  private write(response: WatchResponse): void {
    this.wire.write(response, false);
  }
}
