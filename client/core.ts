/**
 * The machinery under every client view: the current connection (single-flight dial, eager
 * reconnect after a loss, moving to the leader or away from a member going away without dropping
 * in-flight requests), the registry of resumable streams (watches and keep-alives re-attach on every
 * new connection), and `call()`, the one execution path of every request, which owns retries:
 *
 * - idempotent methods (reads, watch/keep-alive opening, revoke, compact) are retried on retryable
 *   errors and on connection loss, with backoff, until the deadline;
 * - non-idempotent writes (put, deleteRange, txn, lease.grant, alarm) are retried only when the
 *   member said they were not applied (NOT_LEADER, UNAVAILABLE, TOO_MANY_REQUESTS) or they were
 *   never sent; once sent, a lost connection, a TIMEOUT answer or the deadline makes them an
 *   IndeterminateError, never a silent second attempt.
 */
import pRetry, { AbortError } from 'p-retry';
import { Connection, ConnectionLostError } from './connection.js';
import {
  ClientClosedError,
  ClientError,
  IndeterminateError,
  NotLeaderError,
  RequestTimeoutError,
  UnavailableError,
} from './errors.js';
import type { ResolvedOptions } from './options.js';
import { METHODS, type Method, type MethodParams, type MethodResult, type Notice } from './protocol/index.js';
import { dialLoop, EndpointPool, type DialContext } from './reconnect.js';
import type { ClientState, ClientStatus } from './status.js';
import type { ClientTransport } from './transport.js';
import { abortable, backoffDelayMs, delay } from './util.js';
import { wsTransport } from './ws-transport.js';

/** A stream that lives across connections (watch, keep-alive). */
export interface ResumableStream {
  /** A new connection is current: (re)open the stream on it. */
  attach(conn: Connection): void;
  /** The client is closing: end the stream. */
  clientClosed(): void;
}

/** A connection lost sooner than this after opening counts as a quick loss (see dialLoop). */
const SHORT_LIVED_MS = 1000;

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

export interface CoreEvents {
  readonly state: (state: ClientState) => void;
  readonly status: (status: ClientStatus) => void;
}

function defaultTransport(options: ResolvedOptions): ClientTransport {
  const tls = options.tls;
  if (tls === undefined) return wsTransport();
  return wsTransport({
    ...(tls.ca === undefined ? {} : { ca: typeof tls.ca === 'string' ? tls.ca : [...tls.ca] }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  });
}

export class ClientCore {
  readonly pool: EndpointPool;
  private readonly closeController = new AbortController();
  private readonly streams = new Set<ResumableStream>();
  private conn: Connection | undefined;
  private dialing: Promise<Connection> | undefined;
  private stateValue: ClientState = 'idle';
  /** The last failed connection attempt, reported as the cause of a timeout while disconnected. */
  private lastDialError: Error | undefined;
  /** Consecutive connections lost within SHORT_LIVED_MS of opening. */
  private quickLosses = 0;
  private connectedAtMs = 0;
  private readonly dial: DialContext;

  constructor(
    readonly options: ResolvedOptions,
    private readonly events: CoreEvents,
  ) {
    this.pool = new EndpointPool(options.endpoints);
    this.dial = {
      options,
      transport: options.transport ?? defaultTransport(options),
      pool: this.pool,
      events: { onNotice: (n) => this.onNotice(n), log: options.logger },
      status: (s) => {
        if (s.type === 'connecting' && this.stateValue !== 'connected') this.setState('connecting');
        if (s.type === 'connectFailed') this.lastDialError = s.error;
        events.status(s);
      },
    };
  }

  get state(): ClientState {
    return this.stateValue;
  }

  /** Aborts when the client is closed. */
  get closeSignal(): AbortSignal {
    return this.closeController.signal;
  }

  get isClosed(): boolean {
    return this.closeController.signal.aborted;
  }

  /** The current connection, if one is open. */
  current(): Connection | undefined {
    return this.conn !== undefined && !this.conn.isClosed ? this.conn : undefined;
  }

  /** The current connection, dialling if there is none. */
  async connection(signal?: AbortSignal): Promise<Connection> {
    if (this.isClosed) throw new ClientClosedError();
    const current = this.current();
    if (current !== undefined) return current;
    return abortable(this.startDial(), signal);
  }

  register(stream: ResumableStream): () => void {
    this.streams.add(stream);
    const current = this.current();
    if (current !== undefined) stream.attach(current);
    else if (!this.isClosed) void this.startDial().catch(() => undefined);
    return () => this.streams.delete(stream);
  }

  /**
   * Moves to the member at one of `urls` (the leader named by a NOT_LEADER answer): dial it, make
   * it current, re-attach streams there, and close the old connection once its requests are answered.
   */
  failover(urls: readonly string[], reason: string): void {
    const first = urls[0];
    if (first === undefined || this.isClosed) return;
    let target: string;
    try {
      target = this.pool.prefer(first);
    } catch {
      return;
    }
    const current = this.current();
    if (current?.endpoint === target || this.dialing !== undefined) return;
    this.events.status({ type: 'failover', from: current?.endpoint ?? '', to: target, reason });
    void this.startDial().catch(() => undefined);
  }

  private onNotice(notice: Notice): void {
    const current = this.current();
    const endpoint = current?.endpoint ?? '';
    if (notice.kind === 'leader_changed') {
      this.events.status({ type: 'leaderChanged', endpoint, leaderId: notice.leaderId });
      return;
    }
    this.events.status({ type: 'goingAway', endpoint, message: notice.message });
    if (current === undefined || this.pool.size < 2) return;
    this.pool.avoid(current.endpoint);
    void this.startDial().catch(() => undefined);
  }

  private setState(state: ClientState): void {
    if (this.stateValue === state || this.stateValue === 'closed') return;
    this.stateValue = state;
    this.events.state(state);
  }

  private startDial(): Promise<Connection> {
    if (this.dialing !== undefined) return this.dialing;
    const dialing = dialLoop(this.dial, this.closeSignal, this.quickLosses).then(
      (conn) => {
        this.dialing = undefined;
        this.adopt(conn);
        return conn;
      },
      (e: unknown) => {
        this.dialing = undefined;
        if (this.current() === undefined && !this.isClosed) this.setState('disconnected');
        throw this.isClosed ? new ClientClosedError() : e;
      },
    );
    this.dialing = dialing;
    return dialing;
  }

  private adopt(conn: Connection): void {
    if (this.isClosed) {
      conn.close(1000, 'client closed');
      return;
    }
    const previous = this.conn;
    this.conn = conn;
    this.connectedAtMs = this.options.clock.nowMs();
    this.setState('connected');
    const welcome = conn.welcome;
    this.events.status({
      type: 'connected',
      endpoint: conn.endpoint,
      memberId: welcome?.header.memberId ?? 0,
      clusterId: welcome?.header.clusterId ?? 0,
      serverVersion: welcome?.serverVersion ?? '',
    });
    void conn.lost().then((error) => this.onLost(conn, error));
    this.watchLiveness(conn);
    for (const stream of this.streams) stream.attach(conn);
    if (previous !== undefined && previous !== conn && !previous.isClosed) previous.closeWhenIdle();
  }

  /**
   * Checks every `livenessIntervalMs` that the member behind `conn` still answers. A frozen member
   * keeps the socket open and silent, so without this the client would wait on it forever (watches
   * and keep-alives never time out on their own).
   */
  private watchLiveness(conn: Connection): void {
    const { clock, livenessIntervalMs, livenessTimeoutMs } = this.options;
    if (livenessIntervalMs === 0) return;
    const alive = (): boolean => this.conn === conn && !conn.isClosed && !this.isClosed;
    const check = (): void => {
      if (!alive()) return;
      const probe = new AbortController();
      const timer = clock.setTimeout(() => probe.abort(), livenessTimeoutMs);
      conn.request('maintenance.status', {}, { signal: probe.signal }).then(
        () => {
          clock.clearTimeout(timer);
          if (alive()) clock.setTimeout(check, livenessIntervalMs);
        },
        () => {
          clock.clearTimeout(timer);
          if (!alive()) return;
          if (!probe.signal.aborted) {
            // The member answered (with an error): it is alive.
            clock.setTimeout(check, livenessIntervalMs);
            return;
          }
          if (this.pool.size > 1) this.pool.avoid(conn.endpoint);
          this.options.logger(
            `connection ${conn.endpoint}: no answer within ${livenessTimeoutMs} ms; moving on`,
          );
          conn.abandon(
            new UnavailableError(
              `member at ${conn.endpoint} stopped answering (no reply within ${livenessTimeoutMs} ms)`,
            ),
          );
        },
      );
    };
    clock.setTimeout(check, livenessIntervalMs);
  }

  private onLost(conn: Connection, error: ClientError): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    if (this.isClosed) return;
    const livedMs = this.options.clock.nowMs() - this.connectedAtMs;
    this.quickLosses = livedMs < SHORT_LIVED_MS ? this.quickLosses + 1 : 0;
    this.events.status({ type: 'disconnected', endpoint: conn.endpoint, error });
    this.setState('disconnected');
    void this.startDial().catch(() => undefined);
  }

  /** Runs one request with the retry policy described at the top of this file. */
  async call<M extends Method>(
    method: M,
    params: MethodParams<M>,
    options: CallOptions = {},
  ): Promise<MethodResult<M>> {
    const idempotent = METHODS[method].idempotent;
    const { clock, requestTimeoutMs } = this.options;
    options.signal?.throwIfAborted();
    if (this.isClosed) throw new ClientClosedError();
    const deadline = new AbortController();
    const timer = clock.setTimeout(
      () => deadline.abort(new RequestTimeoutError(`${method} got no answer within ${requestTimeoutMs} ms`)),
      requestTimeoutMs,
    );
    const parts = [deadline.signal, this.closeSignal];
    if (options.signal !== undefined) parts.push(options.signal);
    const signal = AbortSignal.any(parts);
    let outstanding = false;
    let lastError: unknown;
    let retryAfterMs = 0;
    try {
      return await pRetry(
        async (attempt) => {
          if (attempt > 1) {
            const backoff = backoffDelayMs(
              attempt - 1,
              this.options.initialDelayMs,
              this.options.maxDelayMs,
              this.options.random,
            );
            await delay(clock, Math.max(backoff, retryAfterMs), signal);
          }
          let conn: Connection | undefined;
          try {
            conn = await this.connection(signal);
            const result = await conn.request(method, params, { signal, onId: () => (outstanding = true) });
            outstanding = false;
            return result;
          } catch (e) {
            if (signal.aborted) throw e;
            outstanding = false;
            lastError = e;
            retryAfterMs = e instanceof ClientError ? (e.details.retryAfterMs ?? 0) : 0;
            throw this.classify(e, method, idempotent, conn?.endpoint ?? 'a member');
          }
        },
        {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: 0,
          factor: 1,
          signal,
          shouldRetry: ({ error }) => error instanceof ClientError && error.retryable,
        },
      );
    } catch (e) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (this.isClosed) throw new ClientClosedError(undefined, { cause: e });
      if (deadline.signal.aborted) {
        if (!idempotent && outstanding) {
          throw new IndeterminateError(
            `${method} was sent but not answered within ${requestTimeoutMs} ms; it may have applied`,
            {
              cause: lastError ?? deadline.signal.reason,
            },
          );
        }
        const reason: unknown = deadline.signal.reason;
        const cause = lastError ?? (this.current() === undefined ? this.lastDialError : undefined);
        throw cause !== undefined && reason instanceof RequestTimeoutError
          ? new RequestTimeoutError(reason.message, { cause })
          : reason;
      }
      throw e;
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** What to do with a failed attempt: the error to retry on, or an AbortError to give up with. */
  private classify(e: unknown, method: Method, idempotent: boolean, endpoint: string): Error {
    if (e instanceof ConnectionLostError) {
      if (e.sent && !idempotent) {
        return new AbortError(
          new IndeterminateError(
            `${method} was sent but the connection to ${endpoint} was lost; it may have applied`,
            {
              cause: e,
            },
          ),
        );
      }
      return e;
    }
    if (e instanceof NotLeaderError) {
      this.failover(e.leaderClientUrls, `${method}: NOT_LEADER`);
      return e;
    }
    if (e instanceof ClientError) {
      if (!idempotent && e.mayHaveApplied) {
        return new AbortError(
          new IndeterminateError(`${method}: ${e.message}; it may have applied`, { cause: e }),
        );
      }
      return e.retryable ? e : new AbortError(e);
    }
    return new AbortError(e instanceof Error ? e : new Error(String(e)));
  }

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.closeController.abort(new ClientClosedError());
    this.stateValue = 'closed';
    this.events.state('closed');
    const conn = this.conn;
    this.conn = undefined;
    const streams = [...this.streams];
    this.streams.clear();
    for (const stream of streams) stream.clientClosed();
    if (conn !== undefined) {
      conn.close(1000, 'client closed');
      await conn.lost();
    }
    this.events.status({ type: 'closed', error: undefined });
  }
}
