/**
 * One client WebSocket connection (docs/protocol.md §3–§6): the hello/welcome handshake, then many
 * concurrent requests, watch / keep-alive / snapshot streams, and the connection's limits.
 *
 * States: `hello` (waiting for the first frame) → `open` → `draining` (going away: new requests get
 * UNAVAILABLE, streams have ended, in-flight requests finish) → `closed`.
 *
 * Nothing a client sends can throw out of this class: every frame is decoded by
 * `decodeClientFrame` (never throws) and every failure becomes an `error` frame or an error
 * `response`; the connection stays open unless the protocol says otherwise.
 */
import { setMaxListeners } from 'node:events';
import { certUserOf, certUserOption } from './cert-user.js';
import type { WebSocket, RawData } from 'ws';
import {
  CloseCode,
  decodeClientFrame,
  ErrorCode,
  Feature,
  PROTOCOL_VERSION,
  ProtocolError,
  SUPPORTED_FEATURES,
  type ErrorBody,
  type HelloFrame,
  type Method,
  type RequestFrame,
  type ServerFrame,
} from '../../client/protocol/index.js';
import type { Logger } from '../platform/logger.js';
import type { ApiMetrics } from './api-metrics.js';
import type { CallOptions, ClientBackend } from './backend.js';
import { callUnary, isUnary, type UnaryCall } from './dispatch.js';
import { protocolLimitsOf, type ApiLimits } from './options.js';
import { Outbox } from './outbox.js';
import { SessionLeases } from './session-lease.js';
import { SessionSnapshots } from './session-maintenance.js';
import { SessionReplies } from './session-replies.js';
import { isWatchRequest, WatchHub } from './watch-hub.js';

export interface SessionContext {
  readonly backend: ClientBackend;
  readonly limits: ApiLimits;
  readonly logger: Logger;
  readonly metrics: ApiMetrics;
  readonly serverVersion: string;
}

type State = 'hello' | 'open' | 'draining' | 'closed';

/** What the session needs of the socket under the WebSocket: write coalescing. */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Suggested backoff for TOO_MANY_REQUESTS. */
const RETRY_AFTER_MS = 100;

export class ClientSession {
  private state: State = 'hello';
  private readonly outbox: Outbox;
  /** The requests in flight on this connection: their method, by id. */
  private readonly inFlight = new Map<number, Method>();
  /**
   * The abort signal of every call this connection makes: aborted when the connection closes, or
   * when the member's shutdown grace ends, which is the only way a request of this connection is
   * ever aborted. One per connection, not one per request: a controller and its signal per
   * request were a third of what the leader promoted to its old generation per put at 64 in
   * flight (docs/performance.md, "One abort signal per connection"). The backend removes every
   * listener it adds when its call settles (test/member/request-path.test.ts checks it).
   */
  private readonly calls = new AbortController();
  /** Encodes, size-checks and counts every answer (session-replies.ts). */
  private readonly replies: SessionReplies;
  private readonly watches: WatchHub;
  private readonly leases: SessionLeases;
  private readonly snapshots: SessionSnapshots;
  private helloTimer: NodeJS.Timeout | undefined;
  private lastSeenMs = Date.now();
  private readingPaused = false;
  private idleWaiters: (() => void)[] = [];
  private readonly closedPromise: Promise<void>;
  private clientName = '';
  /** From the hello's auth_token, replaced by each successful `auth.authenticate` on this socket. */
  private authToken: string | undefined;
  /** The user of the socket's verified client certificate, used when no token was given. */
  private readonly certUser: { readonly certUser?: string };

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: SessionContext,
    readonly remote: string,
    /** The socket under `ws`, if known: corked while a watch flush writes many frames. */
    private readonly socket?: Corkable,
  ) {
    this.certUser = certUserOption(certUserOf(socket));
    const limits = ctx.limits;
    // A call listens to the signal while it waits, one listener at a time: past one per request
    // and keep-alive the connection allows, Node's leak warning is deserved.
    setMaxListeners(limits.maxInFlightRequests + limits.maxKeepAlives, this.calls.signal);
    this.outbox = new Outbox(ws, limits.outgoingBufferBytes, limits.maxOutgoingBufferBytes, {
      congested: () => this.pauseReading(),
      drained: () => {
        this.resumeReading();
        this.watches.flush();
      },
      overflow: () => this.closeSlowConsumer(),
    });
    this.replies = new SessionReplies({
      logger: ctx.logger,
      metrics: ctx.metrics,
      maxFrameBytes: limits.maxFrameBytes,
      remote,
      send: (text) => this.outbox.send(text),
    });
    this.watches = new WatchHub(
      {
        send: (text) => this.outbox.send(text),
        isCongested: () => this.outbox.isCongested,
        header: () => ctx.backend.header(),
        answerCreate: (id, error) =>
          error === undefined
            ? this.respond(id, 'watch.create', { type: 'created', header: ctx.backend.header(), watchId: id })
            : this.respondError(id, 'watch.create', error),
        respond: (id, method, result) => this.respond(id, method, result),
        watchEnded: () => this.maybeIdle(),
        corked: (fn) => this.corked(fn),
        logDebug: (msg, fields) => ctx.logger.debug(msg, { remote, ...fields }),
      },
      ctx.backend,
      limits,
    );
    this.leases = new SessionLeases(ctx.backend, {
      send: (text) => this.outbox.send(text),
      onInternal: (err) => this.replies.logInternal('lease.keepAlive', err),
      observe: (method, code) => this.replies.observe(method, code),
      token: () => this.authToken,
    });
    this.snapshots = new SessionSnapshots(
      ctx.backend,
      {
        send: (text) => this.outbox.send(text),
        whenWritable: () => this.outbox.whenWritable(),
        isOpen: () => this.outbox.isOpen,
        onInternal: (err) => this.replies.logInternal('maintenance.snapshot', err),
      },
      limits.snapshotChunkBytes,
    );
    this.closedPromise = new Promise((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on('pong', () => (this.lastSeenMs = Date.now()));
    ws.on('close', () => this.onClose());
    ws.on('error', (err) => ctx.logger.debug('client socket error', { remote, error: err }));
    this.helloTimer = setTimeout(() => {
      if (this.state !== 'hello') return;
      this.sendError({
        code: ErrorCode.InvalidArgument,
        message: `no hello within ${limits.helloTimeoutMs} ms`,
        details: {},
      });
      this.ws.close(CloseCode.PolicyViolation, 'hello timeout');
    }, limits.helloTimeoutMs);
    this.helloTimer.unref();
  }

  get watchCount(): number {
    return this.watches.size;
  }

  get keepAliveCount(): number {
    return this.leases.keepAlives.size;
  }

  /** Resolves when the socket has closed. */
  closed(): Promise<void> {
    return this.closedPromise;
  }

  // ---- timers driven by the gateway ----------------------------------------------------------

  /** Pings the client; a client silent for longer than pingTimeoutMs is dropped. */
  ping(nowMs: number): void {
    if (this.state === 'closed') return;
    if (nowMs - this.lastSeenMs > this.ctx.limits.pingTimeoutMs) {
      this.ctx.logger.info('client ping timeout', { remote: this.remote });
      this.ws.terminate();
      return;
    }
    try {
      this.ws.ping();
    } catch {
      // not open any more; 'close' follows
    }
  }

  progressTick(): void {
    if (this.state === 'open') this.watches.progressTick();
  }

  leaseRevoked(leaseId: number): void {
    this.leases.keepAlives.leaseRevoked(leaseId);
  }

  leaderChanged(leaderId: number): void {
    if (this.state !== 'open') return;
    // The new leader's client URLs let the SDK follow it at once (docs/protocol.md §6.4).
    const leader = this.ctx.backend.leader?.();
    const urls = leader !== undefined && leader.id === leaderId ? leader.clientUrls : undefined;
    this.send({
      type: 'notice',
      notice: {
        kind: 'leader_changed',
        header: this.ctx.backend.header(),
        leaderId,
        ...(urls === undefined ? {} : { leaderClientUrls: urls }),
      },
    });
  }

  /**
   * The member is going away: notice, end every stream with UNAVAILABLE, let in-flight requests
   * finish for up to closeGraceMs (then abort them: they answer UNAVAILABLE), close with 1001.
   */
  async goAway(message: string): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'hello') {
      this.ws.close(CloseCode.GoingAway, 'member shutting down');
    } else {
      this.state = 'draining';
      this.resumeReading();
      this.send({ type: 'notice', notice: { kind: 'going_away', message, retryAfterMs: 0 } });
      const gone: ErrorBody = {
        code: ErrorCode.Unavailable,
        message: `stream ended: ${message}`,
        details: {},
      };
      this.watches.endAll(gone, true);
      this.leases.keepAlives.endAll(gone, true);
      this.snapshots.end(gone);
      const grace = setTimeout(() => {
        this.calls.abort(new ProtocolError(ErrorCode.Unavailable, message));
      }, this.ctx.limits.closeGraceMs);
      grace.unref();
      // A backend that ignores the abort must not hold the shutdown: give up after a second grace.
      let giveUp: NodeJS.Timeout | undefined;
      await Promise.race([
        this.whenIdle(),
        new Promise<void>((resolve) => {
          giveUp = setTimeout(resolve, 2 * this.ctx.limits.closeGraceMs);
          giveUp.unref();
        }),
      ]);
      clearTimeout(grace);
      clearTimeout(giveUp);
      this.ws.close(CloseCode.GoingAway, 'member shutting down');
    }
    const force = setTimeout(() => this.ws.terminate(), this.ctx.limits.closeGraceMs);
    force.unref();
    await this.closedPromise;
    clearTimeout(force);
  }

  // ---- inbound --------------------------------------------------------------------------------

  private onMessage(data: RawData, isBinary: boolean): void {
    this.lastSeenMs = Date.now();
    if (this.state === 'closed') return;
    if (isBinary) {
      this.sendError({
        code: ErrorCode.InvalidArgument,
        message: 'binary messages are not part of the concord.v1.json subprotocol; send JSON text',
        details: {},
      });
      if (this.state === 'hello') this.ws.close(CloseCode.ProtocolError, 'first frame must be hello');
      return;
    }
    // A Buffer (ws's default) is decoded in place: Buffer.from(buffer) would copy it first.
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.isBuffer(data)
        ? data.toString('utf8')
        : Buffer.from(data).toString('utf8');
    const frame = decodeClientFrame(text, this.ctx.limits);
    if (this.state === 'hello') {
      this.onFirstFrame(frame);
      return;
    }
    if (frame instanceof ProtocolError) {
      this.onBadFrame(frame);
      return;
    }
    switch (frame.type) {
      case 'hello':
        this.sendError({
          code: ErrorCode.InvalidArgument,
          message: 'duplicate hello ignored',
          details: { field: 'type' },
        });
        return;
      case 'request':
        this.onRequest(frame);
        return;
      case 'renew':
        this.leases.keepAlives.renew(frame.id);
        return;
      case 'cancel':
        this.cancelStream(frame.id);
        return;
    }
  }

  private onFirstFrame(frame: ReturnType<typeof decodeClientFrame>): void {
    if (this.helloTimer !== undefined) clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    if (frame instanceof ProtocolError || frame.type !== 'hello') {
      const error =
        frame instanceof ProtocolError
          ? frame.toErrorBody()
          : {
              code: ErrorCode.InvalidArgument,
              message: 'the first frame must be a hello',
              details: { field: 'type' },
            };
      this.sendError(error);
      this.ws.close(CloseCode.ProtocolError, 'first frame must be hello');
      this.state = 'closed';
      return;
    }
    this.onHello(frame);
  }

  private onHello(hello: HelloFrame): void {
    if (hello.protocolVersion !== PROTOCOL_VERSION) {
      this.sendError({
        code: ErrorCode.UnsupportedVersion,
        message: `protocol version ${hello.protocolVersion} is not spoken here (supported: ${PROTOCOL_VERSION})`,
        details: { field: 'protocol_version' },
      });
      this.ws.close(CloseCode.PolicyViolation, 'unsupported protocol version');
      this.state = 'closed';
      return;
    }
    this.clientName = hello.clientName;
    this.authToken = hello.authToken;
    this.state = 'open';
    // Optional features both sides know; the client may offer ones this server does not.
    const features = SUPPORTED_FEATURES.filter((f) => hello.features?.includes(f) === true);
    this.watches.groupFrames = features.includes(Feature.WatchGroup);
    this.send({
      type: 'welcome',
      protocolVersion: PROTOCOL_VERSION,
      serverVersion: this.ctx.serverVersion,
      header: this.ctx.backend.header(),
      limits: protocolLimitsOf(this.ctx.limits),
      ...(features.length === 0 ? {} : { features }),
      // Who leads now, so a client can move its writes there from the start (docs/protocol.md §3).
      ...leaderFieldsOf(this.ctx.backend),
    });
    this.ctx.logger.debug('client connected', { remote: this.remote, client: this.clientName });
  }

  private onBadFrame(err: ProtocolError): void {
    const id = err.requestId;
    if (id === undefined || this.idInUse(id)) {
      this.sendError(id === undefined ? err.toErrorBody() : idInUseError(id));
      return;
    }
    this.replies.refuseInvalid(id, err);
  }

  private idInUse(id: number): boolean {
    return (
      this.inFlight.has(id) ||
      this.watches.has(id) ||
      this.leases.keepAlives.has(id) ||
      this.snapshots.has(id)
    );
  }

  private onRequest(frame: RequestFrame): void {
    const { id, method } = frame;
    if (this.idInUse(id)) {
      this.sendError(idInUseError(id));
      return;
    }
    const refusal = this.refusal(frame);
    if (refusal !== undefined) {
      this.replies.refuse(id, method, refusal);
      return;
    }
    this.inFlight.set(id, method);
    // One reaction for both outcomes (not .catch().finally(): two more promises per request).
    const done = (): void => {
      this.inFlight.delete(id);
      this.maybeIdle();
    };
    this.run(frame).then(done, (err: unknown) => {
      try {
        this.respondError(id, method, err);
      } finally {
        done();
      }
    });
  }

  /** Why a request is refused before it runs (limits, shutdown), or undefined. */
  private refusal(frame: RequestFrame): ErrorBody | undefined {
    const limits = this.ctx.limits;
    if (this.state !== 'open') {
      return {
        code: ErrorCode.Unavailable,
        message: 'the member is shutting down',
        details: { retryAfterMs: 0 },
      };
    }
    if (this.inFlight.size >= limits.maxInFlightRequests) {
      return {
        code: ErrorCode.TooManyRequests,
        message: `more than ${limits.maxInFlightRequests} requests in flight on this connection`,
        details: { limit: limits.maxInFlightRequests, retryAfterMs: RETRY_AFTER_MS },
      };
    }
    // Watches: the hub refuses a create past max_watches (it counts creates in flight).
    if (frame.method === 'lease.keepAlive') return this.leases.refusal(this.inFlight, limits.maxKeepAlives);
    if (frame.method === 'maintenance.snapshot') return this.snapshots.refusal(this.inFlight);
    return undefined;
  }

  /**
   * The routing table: watches to the hub, the two other stream openers to their seams
   * (session-lease.ts, session-maintenance.ts), every unary method (kv, lease, cluster,
   * maintenance, auth) to dispatch.ts.
   */
  private async run(frame: RequestFrame): Promise<void> {
    const options = this.callOptions();
    if (isWatchRequest(frame)) return this.watches.serve(frame, options);
    switch (frame.method) {
      case 'lease.keepAlive':
        return this.leases.openKeepAlive(frame.id, frame.params, options, (r) =>
          this.respond(frame.id, 'lease.keepAlive', r),
        );
      case 'maintenance.snapshot':
        return this.snapshots.open(frame.id, options, (r) =>
          this.respond(frame.id, 'maintenance.snapshot', r),
        );
      default: {
        if (!isUnary(frame.method))
          throw new ProtocolError(ErrorCode.Unimplemented, `method ${frame.method}`);
        const result = await callUnary(this.ctx.backend, frame as UnaryCall, options);
        // Later requests on this socket carry the new token (docs/auth.md).
        if (frame.method === 'auth.authenticate') this.authToken = (result as { token: string }).token;
        this.respond(frame.id, frame.method, result as never);
      }
    }
  }

  /** What every backend call of this socket carries: its abort signal, token and peer. */
  private callOptions(): CallOptions {
    const token = this.authToken;
    const base = { signal: this.calls.signal, peer: this.remote, ...this.certUser };
    return token === undefined ? base : { ...base, token };
  }

  private cancelStream(id: number): void {
    if (this.watches.end(id)) return;
    if (this.leases.keepAlives.end(id)) return;
    if (this.snapshots.has(id)) this.snapshots.end(undefined);
  }

  // ---- outbound -------------------------------------------------------------------------------

  private send(frame: ServerFrame): boolean {
    return this.replies.send(frame);
  }

  private sendError(error: ErrorBody): void {
    this.replies.sendError(error);
  }

  private readonly respond: SessionReplies['respond'] = (id, method, result) =>
    this.replies.respond(id, method, result);

  private respondError(id: number, method: Method, err: unknown): void {
    this.replies.respondError(id, method, err);
  }

  // ---- flow control and lifecycle -------------------------------------------------------------

  /** Runs `fn` with the socket corked: the frames it sends leave in one write (writev). */
  private corked(fn: () => void): void {
    const socket = this.socket;
    if (socket === undefined) {
      fn();
      return;
    }
    socket.cork();
    try {
      fn();
    } finally {
      socket.uncork();
    }
  }

  private pauseReading(): void {
    if (this.readingPaused || this.state === 'closed' || this.state === 'draining') return;
    this.readingPaused = true;
    this.ws.pause();
  }

  private resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.ws.resume();
  }

  private closeSlowConsumer(): void {
    if (this.state === 'closed') return;
    this.ctx.logger.warn('closing slow client', {
      remote: this.remote,
      pendingBytes: this.outbox.pendingBytes,
    });
    this.ctx.metrics.slowConsumer();
    this.state = 'closed';
    this.stopEverything();
    // Read again, so the client's answering close frame completes the close handshake.
    this.resumeReading();
    this.ws.close(CloseCode.PolicyViolation, 'slow consumer: outgoing buffer full');
    const force = setTimeout(() => this.ws.terminate(), this.ctx.limits.closeGraceMs);
    force.unref();
  }

  private whenIdle(): Promise<void> {
    if (this.inFlight.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private maybeIdle(): void {
    if (this.inFlight.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private stopEverything(): void {
    this.calls.abort(new ProtocolError(ErrorCode.Unavailable, 'connection closed'));
    this.watches.endAll(undefined, false);
    this.leases.keepAlives.endAll(undefined, false);
    this.snapshots.end(undefined, false);
    this.outbox.wakeWaiters();
  }

  private onClose(): void {
    if (this.helloTimer !== undefined) clearTimeout(this.helloTimer);
    this.state = 'closed';
    this.stopEverything();
    this.maybeIdle();
  }
}

function leaderFieldsOf(backend: ClientBackend): { leaderId?: number; leaderClientUrls?: readonly string[] } {
  const leader = backend.leader?.();
  return leader === undefined ? {} : { leaderId: leader.id, leaderClientUrls: leader.clientUrls };
}

function idInUseError(id: number): ErrorBody {
  return {
    code: ErrorCode.InvalidArgument,
    message: `request id ${id} is still in use (a request awaiting its response or an open stream); request dropped`,
    details: { field: 'id' },
  };
}
