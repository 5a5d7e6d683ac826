/**
 * One `POST /v3/watch` of the HTTP gateway: etcd's watch stream carried by one HTTP response.
 *
 * The body holds WatchRequests one after another (create, cancel, progress), as etcd's gateway
 * reads them from the body; they are served in order, and every answer is a `{"result": ...}` line
 * of the response, as etcd writes them:
 *
 * - create: `created` with the watch's id (the request's `watch_id`, or etcd's automatic one: the
 *   lowest id not yet used on this stream, from 0), then the watch's events. A start revision below
 *   the compaction is `created` and then `canceled` with `compact_revision`; a create that fails
 *   otherwise (duplicate `watch_id`, too many watches, the member cannot serve it) is one line with
 *   `watch_id` -1, `created` and `canceled` and the reason, as etcd answers a duplicate id.
 * - cancel: `canceled` for that watch; a cancel of a watch that is not open is ignored (etcd).
 * - progress: a progress line with `watch_id` -1 once every watch has been sent everything up to
 *   its header revision.
 *
 * Since the body is read whole before the first line, no request can arrive later: the response
 * ends when no watch is left (etcd keeps its stream open until the client closes it; a client sees
 * the same lines, then the end). It also ends when the client goes, when the client does not read
 * (every watch gets a SLOW_WATCHER `canceled` line), and when the member stops.
 */
import type { ServerResponse } from 'node:http';
import {
  codecs,
  ErrorCode,
  gatewayStreamResult,
  ProtocolError,
  watchCanceledFromEnd,
  type ErrorBody,
  type WatchCreateRequest,
  type WatchEvent,
  type WatchRequest,
  type WatchResponse,
} from '../../client/protocol/index.js';
import type { Logger } from '../platform/logger.js';
import type { ApiMetrics } from './api-metrics.js';
import type { ClientBackend, WatchHandle } from './backend.js';
import { etcdMessage, toErrorBody } from './errors.js';
import type { ApiLimits } from './options.js';

export interface GatewayWatchContext {
  readonly backend: ClientBackend;
  readonly limits: ApiLimits;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
}

/** etcd's cancel reason for a create with a `watch_id` already open on the stream. */
export const DUPLICATE_WATCH_ID_REASON = 'mvcc: duplicate watch ID provided on the WatchStream';

interface GatewayWatch {
  readonly id: number;
  readonly progressNotify: boolean;
  handle: WatchHandle | undefined;
  /** Its `created` line is out: events go straight to the response. */
  created: boolean;
  /** Events that arrived before the `created` line. */
  readonly early: WatchEvent[][];
  /** The backend ended it before its `created` line: sent after that line. */
  endedEarly: ErrorBody | undefined;
  /** Nothing was sent for it since the last progress tick. */
  idle: boolean;
}

export class GatewayWatchStream {
  private readonly watches = new Map<number, GatewayWatch>();
  private nextAutoId = 0;
  /** The body's requests are still being served (so the stream may not end for lack of watches). */
  private serving = true;
  private finished = false;
  private timer: NodeJS.Timeout | undefined;
  private resolveDone: () => void = () => undefined;
  private readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly ctx: GatewayWatchContext,
    private readonly res: ServerResponse,
    private readonly signal: AbortSignal,
    /** The request's `Authorization` token: each watch created is checked with it. */
    private readonly token?: string,
    /** The user of the connection's verified client certificate (used when there is no token). */
    private readonly certUser?: string,
  ) {}

  /** Answers 200, serves `requests` in order, then streams until the stream ends (file header). */
  async run(requests: readonly WatchRequest[]): Promise<void> {
    this.res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
    this.res.on('close', () => this.finish());
    this.signal.addEventListener('abort', () => this.finish(), { once: true });
    if (this.signal.aborted || this.res.destroyed) this.finish();
    this.timer = setInterval(() => this.progressTick(), this.ctx.limits.progressIntervalMs);
    this.timer.unref();
    for (const request of requests) {
      if (this.finished) break;
      switch (request.type) {
        case 'create':
          await this.create(request.request);
          break;
        case 'cancel':
          this.cancel(request.request.watchId);
          break;
        case 'progress':
          await this.progress();
          break;
      }
    }
    this.serving = false;
    this.endIfNoWatch();
    await this.done;
  }

  /** Ends the stream: every open watch gets a `canceled` line with `reason` (member stopping). */
  close(reason: string): void {
    this.finish({ code: ErrorCode.Unavailable, message: reason, details: {} });
  }

  private async create(req: WatchCreateRequest): Promise<void> {
    let id = req.watchId;
    if (id === 0) {
      while (this.watches.has(this.nextAutoId)) this.nextAutoId++;
      id = this.nextAutoId++;
    } else if (this.watches.has(id)) {
      this.createFailed(id, {
        code: ErrorCode.InvalidArgument,
        message: DUPLICATE_WATCH_ID_REASON,
        details: {},
      });
      return;
    }
    if (this.watches.size >= this.ctx.limits.maxWatches) {
      this.createFailed(id, {
        code: ErrorCode.TooManyStreams,
        message: `the stream has its maximum of ${this.ctx.limits.maxWatches} watches`,
        details: { limit: this.ctx.limits.maxWatches },
      });
      return;
    }
    const watch: GatewayWatch = {
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
      events: (events: readonly WatchEvent[]) => this.events(watch, events),
      ended: (error: Error) => {
        watch.handle = undefined;
        this.ended(watch, toErrorBody(error));
      },
    };
    let handle: WatchHandle;
    try {
      const options = {
        signal: this.signal,
        ...(this.token === undefined ? {} : { token: this.token }),
        ...(this.certUser === undefined ? {} : { certUser: this.certUser }),
      };
      handle = await this.ctx.backend.watch({ ...req, watchId: id }, sink, options);
    } catch (err) {
      this.watches.delete(id);
      const error = toErrorBody(err, (e) =>
        this.ctx.logger.error('gateway watch failed unexpectedly', { watchId: id, error: e }),
      );
      if (error.code === ErrorCode.Compacted) {
        this.ctx.metrics.observe('http', 'watch.create', error.code);
        // etcd creates the watch, then cancels it with the compaction revision.
        this.line({ type: 'created', header: this.ctx.backend.header(), watchId: id });
        this.line(this.canceledLine(id, error));
      } else {
        this.createFailed(id, error);
      }
      return;
    }
    if (this.finished) {
      handle.cancel();
      return;
    }
    if (watch.endedEarly === undefined) watch.handle = handle;
    this.ctx.metrics.observe('http', 'watch.create', 'OK');
    this.line({ type: 'created', header: this.ctx.backend.header(), watchId: id });
    watch.created = true;
    for (const events of watch.early.splice(0)) this.eventsLine(watch, events);
    if (watch.endedEarly !== undefined) this.ended(watch, watch.endedEarly);
  }

  /** etcd's answer to a create it refuses: one line, `watch_id` -1, both `created` and `canceled`. */
  private createFailed(requestedId: number, error: ErrorBody): void {
    this.ctx.metrics.observe('http', 'watch.create', error.code);
    this.ctx.logger.debug('gateway watch refused', { watchId: requestedId, code: error.code });
    const canceled = codecs.WATCH_RESPONSE.toWire(this.canceledLine(-1, error));
    const { header, watch_id, ...rest } = canceled;
    this.write({ header, watch_id, created: true, ...rest });
  }

  private cancel(watchId: number): void {
    const watch = this.watches.get(watchId);
    if (watch === undefined) {
      this.ctx.logger.debug('gateway watch cancel of no open watch ignored', { watchId });
      return;
    }
    this.watches.delete(watchId);
    watch.handle?.cancel();
    this.ctx.logger.debug('gateway watch ended', { watchId, code: 'OK' });
    this.line({
      type: 'canceled',
      header: this.ctx.backend.header(),
      watchId,
      compactRevision: 0,
      cancelReason: '',
    });
    this.endIfNoWatch();
  }

  private async progress(): Promise<void> {
    const handles = [...this.watches.values()].flatMap((w) => (w.handle === undefined ? [] : [w.handle]));
    const revisions = await Promise.all(handles.map((h) => h.requestProgress().catch(() => undefined)));
    const known = revisions.filter((r): r is number => r !== undefined);
    const header = this.ctx.backend.header();
    const revision = known.length === 0 ? header.revision : Math.min(...known);
    this.line({ type: 'progress', header: { ...header, revision }, watchId: -1 });
  }

  private events(watch: GatewayWatch, events: readonly WatchEvent[]): void {
    if (this.finished || this.watches.get(watch.id) !== watch) return;
    watch.idle = false;
    if (!watch.created) {
      watch.early.push([...events]);
      return;
    }
    this.eventsLine(watch, events);
  }

  private eventsLine(watch: GatewayWatch, events: readonly WatchEvent[]): void {
    this.line({
      type: 'events',
      header: this.ctx.backend.header(),
      watchId: watch.id,
      events,
      fragment: false,
    });
    if (this.res.writableLength > this.ctx.limits.outgoingBufferBytes) {
      this.finish({
        code: ErrorCode.SlowWatcher,
        message: 'watch could not keep up: the client did not read',
        details: {},
      });
    }
  }

  /** The backend ended a watch (compaction past it, too slow, member stopping). */
  private ended(watch: GatewayWatch, error: ErrorBody): void {
    if (this.finished || this.watches.get(watch.id) !== watch) return;
    if (!watch.created) {
      watch.endedEarly = error;
      return;
    }
    this.watches.delete(watch.id);
    this.ctx.logger.debug('gateway watch ended', { watchId: watch.id, code: error.code });
    this.line(this.canceledLine(watch.id, error));
    this.endIfNoWatch();
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
          this.line({
            type: 'progress',
            header: { ...this.ctx.backend.header(), revision },
            watchId: watch.id,
          });
        },
        () => undefined,
      );
    }
  }

  private canceledLine(watchId: number, error: ErrorBody): WatchResponse {
    return watchCanceledFromEnd(watchId, this.ctx.backend.header(), {
      ...error,
      message: etcdMessage(error),
    });
  }

  private endIfNoWatch(): void {
    if (!this.serving && this.watches.size === 0) this.finish();
  }

  /** Ends the response once; with `error`, each open watch first gets a `canceled` line. */
  private finish(error?: ErrorBody): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    for (const watch of this.watches.values()) {
      watch.handle?.cancel();
      this.ctx.logger.debug('gateway watch ended', { watchId: watch.id, code: error?.code ?? 'OK' });
      if (error !== undefined && watch.created) this.line(this.canceledLine(watch.id, error));
    }
    this.watches.clear();
    if (!this.res.writableEnded && !this.res.destroyed) this.res.end();
    this.resolveDone();
  }

  private line(response: WatchResponse): void {
    this.write(codecs.WATCH_RESPONSE.toWire(response));
  }

  private write(result: object): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.write(gatewayStreamResult(result));
  }
}

/** The body of `/v3/watch` as requests, or the ProtocolError of the first that is not one. */
export function watchRequestsOf(
  values: readonly unknown[],
  decode: (value: unknown) => WatchRequest | ProtocolError,
): { requests: WatchRequest[]; error?: ProtocolError } {
  const requests: WatchRequest[] = [];
  for (const value of values) {
    const request = decode(value);
    if (request instanceof ProtocolError) return { requests, error: request };
    requests.push(request);
  }
  return { requests };
}
