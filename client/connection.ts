/**
 * One logical connection to one member: the hello/welcome handshake, request/response correlation
 * by id, routing of stream frames (watch, keepalive, snapshot, end) to their stream handlers, the
 * in-flight limit announced in welcome (callers queue locally instead of hitting it), and the
 * request-size limit (checked before sending).
 *
 * Invariants:
 * - an id is in `pending` from the moment its request is sent until its response arrives, even if
 *   the caller gave up (aborted): the server counts it in flight until then, so do we;
 * - an id is in `streams` from its successful opening response until its `end` frame (or the
 *   connection's loss); frames for unknown ids are ignored (they race with cancel);
 * - when the connection ends, every pending request is rejected with ConnectionLostError
 *   (`sent: true`: its outcome is unknown) and every stream hears `onLost` exactly once.
 */
import {
  decodeServerFrame,
  encodeFrame,
  describeFrame,
  DEFAULT_LIMITS,
  PROTOCOL_VERSION,
  SUPPORTED_FEATURES,
  SUPPORTED_SUBPROTOCOLS,
  requestSizeBytes,
  type ClientFrame,
  type ErrorBody,
  type KeepAliveFrame,
  type Method,
  type MethodParams,
  type MethodResult,
  type Notice,
  type ProtocolLimits,
  type ServerFrame,
  type SnapshotFrame,
  type WatchFrame,
  type WelcomeFrame,
} from './protocol/index.js';
import {
  ClientError,
  errorFromBody,
  RequestTimeoutError,
  RequestTooLargeError,
  UnavailableError,
} from './errors.js';
import type { Log } from './logger.js';
import type { TransportConnection } from './transport.js';
import { deferred, onAbort, type Deferred } from './util.js';
import type { ConnectionAuth } from './token-renewal.js';

/** The connection carrying a request was lost. `sent`: the member may have received it. */
export class ConnectionLostError extends UnavailableError {
  override name = 'ConnectionLostError';
  readonly sent: boolean;
  constructor(message: string, sent: boolean, cause?: unknown) {
    super(message, cause === undefined ? {} : { cause });
    this.sent = sent;
  }
}

export interface StreamHandler {
  onFrame(frame: WatchFrame | KeepAliveFrame | SnapshotFrame): void;
  /** The member ended the stream (normally or with `error`). */
  onEnd(error: ErrorBody | undefined): void;
  /** The connection was lost with the stream open. */
  onLost(error: ClientError): void;
}

interface Pending {
  readonly method: Method;
  readonly result: Deferred<unknown>;
  readonly stream: StreamHandler | undefined;
  abandoned: boolean;
}

/** Decoding limits for what a member sends: its frames are bounded by the transport already. */
const DECODE_LIMITS: ProtocolLimits = {
  ...DEFAULT_LIMITS,
  maxFrameBytes: Number.MAX_SAFE_INTEGER,
  maxTxnOps: Number.MAX_SAFE_INTEGER,
  maxTxnDepth: 64,
};

export interface ConnectionEvents {
  /** A notice arrived on `conn` (the current connection, or one being retired after a move). */
  readonly onNotice: (notice: Notice, conn: Connection) => void;
  /**
   * A request on `conn` reached its deadline while the member sent nothing at all since the request
   * left: the member may be frozen (SIGSTOP, a hung host), or its answer waits on another member.
   * The owner probes it at once instead of waiting for the next liveness probe (liveness.ts).
   */
  readonly onSilent?: (conn: Connection) => void;
  readonly log: Log;
}

export class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, StreamHandler>();
  private readonly slotWaiters: (() => void)[] = [];
  private closedError: ClientError | undefined;
  private draining = false;
  private drainReason = '';
  /** Streams that cannot move to another connection (a snapshot): closing waits for them too. */
  private holds = 0;
  /** Frames received so far: any frame proves the member is not frozen. */
  private framesReceived = 0;
  private readonly welcomeReceived = deferred<WelcomeFrame>();
  private readonly lostDeferred = deferred<ClientError>();
  welcome: WelcomeFrame | undefined;
  /** The socket's token when the client authenticates with a password (token-renewal.ts). */
  auth: ConnectionAuth | undefined;

  private constructor(
    readonly endpoint: string,
    private readonly socket: TransportConnection,
    private readonly events: ConnectionEvents,
  ) {
    void this.readLoop();
  }

  /** Sends the hello over an open transport connection and waits for the welcome. */
  static async handshake(
    endpoint: string,
    socket: TransportConnection,
    hello: { clientName: string; authToken: string | undefined },
    events: ConnectionEvents,
    signal: AbortSignal,
  ): Promise<Connection> {
    const conn = new Connection(endpoint, socket, events);
    conn.sendFrame({
      type: 'hello',
      protocolVersion: PROTOCOL_VERSION,
      clientName: hello.clientName,
      ...(hello.authToken === undefined ? {} : { authToken: hello.authToken }),
      features: SUPPORTED_FEATURES,
    });
    const unsubscribe = onAbort(signal, () => conn.drop());
    try {
      conn.welcome = await conn.welcomeReceived.promise;
      return conn;
    } catch (e) {
      // Nothing was exchanged yet: drop the socket and let it close before reporting, so that a
      // failed or aborted attempt (the client closing) leaves no socket behind.
      conn.drop();
      await socket.closed();
      throw signal.aborted ? signal.reason : e;
    } finally {
      unsubscribe();
    }
  }

  static subprotocols(): readonly string[] {
    return SUPPORTED_SUBPROTOCOLS;
  }

  get isClosed(): boolean {
    return this.closedError !== undefined;
  }

  get limits(): ProtocolLimits {
    return this.welcome?.limits ?? DEFAULT_LIMITS;
  }

  /** Resolves (never rejects) with the reason once the connection is gone. */
  lost(): Promise<ClientError> {
    return this.lostDeferred.promise;
  }

  /**
   * Sends a request and resolves with its result. With `stream`, a successful response opens a
   * stream whose frames go to the handler; the request id is returned through `onId` first.
   * Rejects with ClientError (the member's answer), ConnectionLostError, RequestTooLargeError,
   * or `signal.reason`.
   */
  async request<M extends Method>(
    method: M,
    params: MethodParams<M>,
    options: { signal?: AbortSignal | undefined; stream?: StreamHandler; onId?: (id: number) => void } = {},
  ): Promise<MethodResult<M>> {
    const size = requestSizeBytes(params);
    if (size > this.limits.maxRequestBytes) {
      throw new RequestTooLargeError(`request is ${size} bytes, more than ${this.limits.maxRequestBytes}`, {
        details: { limit: this.limits.maxRequestBytes },
      });
    }
    await this.acquireSlot(options.signal);
    const id = this.nextId++;
    const entry: Pending = { method, result: deferred<unknown>(), stream: options.stream, abandoned: false };
    this.pending.set(id, entry);
    options.onId?.(id);
    this.sendFrame({ type: 'request', id, method, params } as ClientFrame);
    const heardBefore = this.framesReceived;
    const signal = options.signal;
    if (signal === undefined) return entry.result.promise as Promise<MethodResult<M>>;
    if (signal.aborted) {
      entry.abandoned = true;
      entry.result.reject(signal.reason);
    }
    const unsubscribe = onAbort(signal, () => {
      entry.abandoned = true;
      entry.result.reject(signal.reason);
      if (
        signal.reason instanceof RequestTimeoutError &&
        this.framesReceived === heardBefore &&
        !this.isClosed
      )
        this.events.onSilent?.(this);
    });
    try {
      return (await entry.result.promise) as MethodResult<M>;
    } finally {
      unsubscribe();
    }
  }

  /** Asks for the next renewal of keep-alive stream `id`. */
  renew(id: number): void {
    if (this.streams.has(id)) this.sendFrame({ type: 'renew', id });
  }

  /** Closes stream `id` (answered by `end`); a stream already gone is ignored. */
  cancel(id: number): void {
    if (this.streams.has(id)) this.sendFrame({ type: 'cancel', id });
  }

  /** Forgets a stream without waiting for its `end` (its handler hears nothing more). */
  detachStream(id: number): void {
    if (this.streams.delete(id)) this.sendFrame({ type: 'cancel', id });
  }

  close(code = 1000, reason = ''): void {
    this.socket.close(code, reason);
  }

  /**
   * Gives the connection up at once (its member stopped answering): pending requests fail as lost
   * (writes become indeterminate), streams move on, and the socket is closed without waiting for
   * the member's side of the close handshake.
   */
  abandon(error: ClientError): void {
    this.shutdown(error);
    this.drop();
  }

  /** Drops the socket without the close handshake (see TransportConnection.terminate). */
  private drop(): void {
    if (this.socket.terminate !== undefined) this.socket.terminate();
    else this.socket.close(4000, 'member unresponsive');
  }

  /**
   * Closes once every pending request is answered (after a move to another member, or once its
   * token cannot be renewed).
   */
  closeWhenIdle(reason = 'moved to another member'): void {
    if (!this.draining) this.drainReason = reason;
    this.draining = true;
    this.maybeCloseIdle();
  }

  /**
   * Keeps the connection open after a move until `release` is called (a snapshot stream, which
   * cannot resume elsewhere, finishes on the member it started on). Release is idempotent.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.maybeCloseIdle();
    };
  }

  private maybeCloseIdle(): void {
    if (this.draining && this.pending.size === 0 && this.holds === 0) this.close(1000, this.drainReason);
  }

  private sendFrame(frame: ClientFrame): void {
    if (this.isClosed) return;
    this.socket.send(encodeFrame(frame));
  }

  private async acquireSlot(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (this.closedError !== undefined) {
        throw new ConnectionLostError(`connection to ${this.endpoint} is closed`, false, this.closedError);
      }
      signal?.throwIfAborted();
      if (this.pending.size < this.limits.maxInFlightRequests) return;
      await new Promise<void>((resolve, reject) => {
        const unsubscribe =
          signal === undefined ? () => undefined : onAbort(signal, () => reject(signal.reason));
        this.slotWaiters.push(() => {
          unsubscribe();
          resolve();
        });
      });
    }
  }

  private releaseSlot(): void {
    this.slotWaiters.shift()?.();
    this.maybeCloseIdle();
  }

  private async readLoop(): Promise<void> {
    try {
      for await (const text of this.socket) this.onText(text);
    } catch (cause) {
      this.events.log('warn', 'connection read failed', { endpoint: this.endpoint, error: String(cause) });
    }
    const closeInfo = await this.socket.closed();
    this.shutdown(
      new UnavailableError(`connection to ${this.endpoint} closed (${closeInfo.code} ${closeInfo.reason})`),
    );
  }

  private shutdown(error: ClientError): void {
    if (this.closedError !== undefined) return;
    this.closedError = error;
    this.welcomeReceived.reject(error);
    for (const [, entry] of this.pending) {
      entry.result.reject(new ConnectionLostError(error.message, true, error));
    }
    this.pending.clear();
    const streams = [...this.streams.values()];
    this.streams.clear();
    for (const handler of streams) handler.onLost(error);
    for (const wake of this.slotWaiters.splice(0)) wake();
    this.lostDeferred.resolve(error);
  }

  private onText(text: string): void {
    const frame = decodeServerFrame(text, (id) => this.pending.get(id)?.method, DECODE_LIMITS);
    if (!(frame instanceof Error)) {
      this.onFrame(frame);
      return;
    }
    this.events.log('warn', 'undecodable frame skipped', { endpoint: this.endpoint, error: frame.message });
    // A response whose result does not decode must still settle its request.
    const id = responseIdOf(text);
    const entry = id === undefined ? undefined : this.pending.get(id);
    if (id !== undefined && entry !== undefined) {
      this.pending.delete(id);
      this.releaseSlot();
      entry.result.reject(
        new ClientError('INTERNAL', `undecodable response: ${frame.message}`, { cause: frame }),
      );
    }
  }

  private onFrame(frame: ServerFrame): void {
    this.framesReceived++;
    switch (frame.type) {
      case 'welcome':
        this.welcomeReceived.resolve(frame);
        return;
      case 'response':
        this.onResponse(frame.id, 'error' in frame ? { error: frame.error } : { result: frame.result });
        return;
      case 'watch':
      case 'keepalive':
      case 'snapshot':
        this.streams.get(frame.id)?.onFrame(frame);
        return;
      case 'watch_group': {
        // Decoded once, delivered to each watch as its own `watch` frame (events shared, read-only).
        const result = frame.result;
        for (const id of frame.ids) {
          this.streams.get(id)?.onFrame({ type: 'watch', id, result: { ...result, watchId: id } });
        }
        return;
      }
      case 'end': {
        const handler = this.streams.get(frame.id);
        this.streams.delete(frame.id);
        handler?.onEnd(frame.error);
        return;
      }
      case 'notice':
        this.events.onNotice(frame.notice, this);
        return;
      case 'error':
        this.events.log('error', 'member sent a protocol error', {
          endpoint: this.endpoint,
          frame: describeFrame(frame),
        });
        if (this.welcome === undefined)
          this.welcomeReceived.reject(errorFromBody(frame.error, 'handshake refused'));
        return;
    }
  }

  private onResponse(id: number, body: { result: unknown } | { error: ErrorBody }): void {
    const entry = this.pending.get(id);
    if (entry === undefined) return;
    this.pending.delete(id);
    this.releaseSlot();
    if ('error' in body) {
      entry.result.reject(errorFromBody(body.error, entry.method));
      return;
    }
    if (entry.stream !== undefined) {
      if (entry.abandoned) {
        // The caller gave up while the stream was being opened: close it right away.
        this.sendFrame({ type: 'cancel', id });
      } else {
        this.streams.set(id, entry.stream);
      }
    }
    entry.result.resolve(body.result);
  }
}

function responseIdOf(text: string): number | undefined {
  try {
    const obj: unknown = JSON.parse(text);
    if (typeof obj !== 'object' || obj === null) return undefined;
    const { type, id } = obj as { type?: unknown; id?: unknown };
    return type === 'response' && typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  }
}
