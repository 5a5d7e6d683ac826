/**
 * The machinery under every client view: the current connection (single-flight dial, eager
 * reconnect after a loss, moving to the leader or away from a member going away without dropping
 * in-flight requests; with `routing: 'leader'`, moving to the leader as soon as a member names it,
 * see leader-route.ts), the registry of resumable streams (watches and keep-alives re-attach on every
 * new connection), and `call()`, the one execution path of every request, which owns retries:
 *
 * - idempotent methods (reads, watch/keep-alive opening, revoke, compact) are retried on retryable
 *   errors and on connection loss, with backoff, until the deadline;
 * - non-idempotent writes (put, deleteRange, txn, lease.grant, alarm) are retried only when the
 *   member said they were not applied (NOT_LEADER, UNAVAILABLE, TOO_MANY_REQUESTS) or they were
 *   never sent; once sent, a lost connection, a TIMEOUT answer or the deadline makes them an
 *   IndeterminateError, never a silent second attempt;
 * - a call (or `ready()`) waiting for a connection gives up once every endpoint has failed
 *   `connectRounds` times since it began, with an UnreachableError that says why for each endpoint:
 *   a cluster nobody can reach is reported at once, not as a timeout after `requestTimeoutMs`.
 *
 * `close()` ends everything the client started: connections (current, retiring, being dialled),
 * streams, the liveness monitor, retry and backoff timers; once it resolves nothing of the client
 * keeps the event loop alive.
 */
import pRetry, { AbortError } from 'p-retry';
import { Connection, ConnectionLostError } from './connection.js';
import {
  ClientClosedError,
  ClientError,
  IndeterminateError,
  InvalidArgumentError,
  NotLeaderError,
  RequestTimeoutError,
  UnavailableError,
  UnreachableError,
  type ConnectFailure,
} from './errors.js';
import { LeaderRoute, type LeaderView } from './leader-route.js';
import { LivenessMonitor } from './liveness.js';
import { logStatus } from './logger.js';
import type { ResolvedOptions } from './options.js';
import { METHODS, type Method, type MethodParams, type MethodResult, type Notice } from './protocol/index.js';
import {
  connectOnce,
  describeConnectFailure,
  DialAbandoned,
  Dialer,
  EndpointPool,
  type DialContext,
} from './reconnect.js';
import type { ClientState, ClientStatus } from './status.js';
import type { ClientTransport } from './transport.js';
import { isStaleTokenError } from './token-renewal.js';
import { backoffDelayMs, delay, onAbort } from './util.js';
import { wsTransport } from './ws-transport.js';

/** A stream that lives across connections (watch, keep-alive). */
export interface ResumableStream {
  /** A new connection is current: (re)open the stream on it. */
  attach(conn: Connection): void;
  /** The client is closing: end the stream. */
  clientClosed(): void;
}

/** A connection lost sooner than this after opening counts as a quick loss (see Dialer). */
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
  // Passed through as given: Node's TLS takes PEM text, Buffers and arrays of either.
  return wsTransport({
    ...(tls.ca === undefined ? {} : { ca: tls.ca }),
    ...(tls.cert === undefined ? {} : { cert: tls.cert }),
    ...(tls.key === undefined ? {} : { key: tls.key }),
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    ...(tls.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: tls.rejectUnauthorized }),
    ...(tls.servername === undefined ? {} : { servername: tls.servername }),
  });
}

/** A caller waiting for a connection: it gives up after its budget of failed attempts. */
interface Waiter {
  /** `failedAttempts` when it started waiting. */
  readonly since: number;
  readonly fail: (error: Error) => void;
}

export class ClientCore {
  readonly pool: EndpointPool;
  private readonly closeController = new AbortController();
  /** The abort controller of each call under way, aborted by close() (see `call`). */
  private readonly callControllers = new Set<AbortController>();
  private readonly streams = new Set<ResumableStream>();
  private conn: Connection | undefined;
  /** Connections left after a move, closed once their requests are answered. */
  private readonly retiring = new Set<Connection>();
  private dialing: Promise<Connection> | undefined;
  private readonly dialer: Dialer;
  private liveness: LivenessMonitor | undefined;
  private stateValue: ClientState = 'idle';
  /** Failed connection attempts since the client was created (monotonic; waiters count from it). */
  private failedAttempts = 0;
  /** The last failed attempt of each endpoint since the last connection, and the very last one. */
  private readonly failures = new Map<string, ConnectFailure>();
  private lastFailure: ConnectFailure | undefined;
  private readonly waiters = new Set<Waiter>();
  /** Consecutive connections lost within SHORT_LIVED_MS of opening. */
  private quickLosses = 0;
  private connectedAtMs = 0;
  private readonly dialContext: DialContext;
  /** Leader routing: failed moves and their backoff. */
  private readonly route: LeaderRoute;
  /** What the current connection's member last said about the leader. */
  private leaderView:
    { readonly conn: Connection; readonly view: LeaderView; readonly noLeaderSinceMs: number } | undefined;
  /** A pending re-decision of the route (a backoff, or a member-list lookup). */
  private routeTimer: object | undefined;
  /** Consecutive member-list lookups that found no URL for the leader (their backoff). */
  private lookups = 0;

  constructor(
    readonly options: ResolvedOptions,
    private readonly events: CoreEvents,
  ) {
    this.pool = new EndpointPool(options.endpoints);
    const dial: DialContext = {
      options,
      transport: options.transport ?? defaultTransport(options),
      pool: this.pool,
      events: {
        onNotice: (n, conn) => this.onNotice(n, conn),
        // A request met its deadline and the member sent nothing meanwhile: ask it for its status
        // at once, with as long to answer as the request had. A frozen member (SIGSTOP) fails
        // that too and is left; a follower whose answer waits on a dead or frozen leader
        // answers it and keeps the client (leaving it sent the client to the frozen member's
        // port, whose dial hangs until connectTimeoutMs).
        onSilent: (conn) => {
          if (conn === this.conn)
            this.liveness?.checkNow(Math.min(options.livenessTimeoutMs, options.requestTimeoutMs));
        },
        log: options.log,
      },
      status: (s) => {
        if (s.type === 'connecting' && this.stateValue !== 'connected') this.setState('connecting');
        if (s.type === 'connectFailed') this.onConnectFailed(s.endpoint, s.error);
        this.publish(s);
      },
    };
    this.dialContext = dial;
    this.dialer = new Dialer(dial, () => this.waiters.size > 0 || this.streams.size > 0);
    this.route = new LeaderRoute(() => options.clock.nowMs());
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

  /**
   * The current connection, dialling if there is none. Rejects with UnreachableError once every
   * endpoint has failed `connectRounds` times since the call began (the dial loop goes on in the
   * background for watches and keep-alives), or with `signal.reason`.
   */
  async connection(signal?: AbortSignal): Promise<Connection> {
    if (this.isClosed) throw new ClientClosedError();
    const current = this.current();
    if (current !== undefined) return current;
    signal?.throwIfAborted();
    return new Promise<Connection>((resolve, reject) => {
      let unsubscribe: () => void = () => undefined;
      const settle = (): void => {
        this.waiters.delete(waiter);
        unsubscribe();
      };
      const waiter: Waiter = {
        since: this.failedAttempts,
        fail: (e) => {
          settle();
          reject(e);
        },
      };
      this.waiters.add(waiter);
      if (signal !== undefined) unsubscribe = onAbort(signal, () => waiter.fail(signal.reason));
      const follow = (): void => {
        this.startDial().then(
          (conn) => {
            settle();
            resolve(conn);
          },
          (e: unknown) => {
            // A loop that stopped for want of callers just before this one came: start another.
            if (e instanceof DialAbandoned && this.waiters.has(waiter) && !this.isClosed) follow();
            else waiter.fail(e instanceof Error ? e : new Error(String(e)));
          },
        );
      };
      follow();
      this.dialer.hurry();
    });
  }

  /**
   * Connects if not connected. Rejects with UnreachableError (the reason of each endpoint in the
   * message) when no endpoint answers within the budget of `connectRounds` or `timeoutMs`.
   */
  async ready(signal: AbortSignal | undefined, timeoutMs = this.options.requestTimeoutMs): Promise<void> {
    if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1) {
      throw new InvalidArgumentError(`timeoutMs must be a positive integer, got ${String(timeoutMs)}`, {
        details: { field: 'timeoutMs' },
      });
    }
    if (this.current() !== undefined) return;
    const { clock } = this.options;
    const timeout = new AbortController();
    const timer = clock.setTimeout(
      () => timeout.abort(this.unreachable(`no member answered within ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await this.connection(
        signal === undefined ? timeout.signal : AbortSignal.any([timeout.signal, signal]),
      );
    } finally {
      clock.clearTimeout(timer);
    }
  }

  private onConnectFailed(endpoint: string, error: Error): void {
    if (this.isClosed) return;
    this.failedAttempts++;
    const failure = describeConnectFailure(endpoint, error);
    this.failures.set(endpoint, failure);
    this.lastFailure = failure;
    const budget = this.pool.size * this.options.connectRounds;
    for (const waiter of [...this.waiters]) {
      const tried = this.failedAttempts - waiter.since;
      if (tried >= budget)
        waiter.fail(this.unreachable(`no member reachable after ${tried} connection attempts`));
    }
  }

  /** UnreachableError with the last failure of each endpoint in its message. */
  private unreachable(summary: string): UnreachableError {
    const failures = [...this.failures.values()];
    const detail =
      failures.length === 0
        ? `still connecting to ${this.pool.list().join(', ')}`
        : failures.map((f) => `${f.endpoint}: ${f.reason}`).join('; ');
    return new UnreachableError(`${summary}: ${detail}`, failures, {
      ...(this.lastFailure === undefined ? {} : { cause: this.lastFailure.error }),
    });
  }

  private publish(status: ClientStatus): void {
    logStatus(this.options.log, status);
    this.events.status(status);
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
    this.publish({ type: 'failover', from: current?.endpoint ?? '', to: target, reason });
    void this.startDial().catch(() => undefined);
  }

  /**
   * A NOT_LEADER answer: move to the leader it names. A member that knows the leader's id but not
   * yet its client URLs (a new cluster publishes them through Raft just after its first election)
   * cannot name it: try the next endpoint at once rather than retry on this one (the retries of
   * keep-alives and watches wait a while); with no leader at all, stay, since no member can serve.
   */
  onNotLeader(e: NotLeaderError, reason: string): void {
    if (e.leaderClientUrls.length > 0) {
      this.failover(e.leaderClientUrls, reason);
      return;
    }
    const current = this.current();
    if (e.leaderId === 0 || current === undefined || this.isClosed || this.dialing !== undefined) return;
    this.moveToNextEndpoint(current.endpoint);
  }

  /** Dials the next endpoint of the pool (not `from`); its streams move there once it is up. */
  private moveToNextEndpoint(from: string): void {
    if (this.pool.size < 2) return;
    this.pool.avoid(from);
    void this.startDial().catch(() => undefined);
  }

  private onNotice(notice: Notice, conn: Connection): void {
    // A connection being retired after a move says nothing about where the client is now.
    if (conn !== this.current()) return;
    if (notice.kind === 'leader_changed') {
      this.publish({ type: 'leaderChanged', endpoint: conn.endpoint, leaderId: notice.leaderId });
      this.learnLeader(conn, notice.leaderId, notice.leaderClientUrls ?? [], 'leader_changed');
      return;
    }
    this.publish({ type: 'goingAway', endpoint: conn.endpoint, message: notice.message });
    this.moveToNextEndpoint(conn.endpoint);
  }

  // ---- leader routing (leader-route.ts) -------------------------------------------------------

  /** What `conn`'s member says about the leader (welcome, notice, member list): move if need be. */
  private learnLeader(conn: Connection, leaderId: number, urls: readonly string[], source: string): void {
    if (conn !== this.current()) return;
    const previous = this.leaderView;
    const same = previous?.conn === conn && previous.view.leaderId === leaderId;
    if (!same) this.lookups = 0;
    const noLeaderSinceMs = same ? previous.noLeaderSinceMs : this.options.clock.nowMs();
    this.leaderView = { conn, view: { leaderId, urls }, noLeaderSinceMs };
    this.routeToLeader(source);
  }

  /** Decides where the client should be (leader-route.ts) and acts on it. */
  private routeToLeader(source: string): void {
    this.clearRouteTimer();
    if (this.options.routing !== 'leader' || this.isClosed) return;
    const conn = this.current();
    const known = this.leaderView;
    if (conn === undefined || known?.conn !== conn) return;
    // A dial or move is under way: the connection it brings decides again from its welcome.
    if (this.dialing !== undefined) return;
    const memberId = conn.welcome?.header.memberId ?? 0;
    const noLeaderForMs = this.options.clock.nowMs() - known.noLeaderSinceMs;
    const decision = this.route.decide(memberId, conn.endpoint, known.view, noLeaderForMs);
    switch (decision.action) {
      case 'stay':
        return;
      case 'elsewhere':
        this.options.log('info', 'member knows no leader; trying another member', {
          endpoint: conn.endpoint,
          forMs: noLeaderForMs,
        });
        this.moveToNextEndpoint(conn.endpoint);
        return;
      case 'wait':
        this.scheduleRoute(decision.delayMs, 'retry');
        return;
      case 'lookup': {
        // A new cluster publishes its members' client URLs through Raft just after the first
        // election: ask the member list until the leader's are there (backoff between asks).
        this.lookups++;
        const delayMs =
          this.lookups === 1
            ? 0
            : backoffDelayMs(
                this.lookups - 1,
                this.options.initialDelayMs,
                this.options.maxDelayMs,
                this.options.random,
              );
        this.scheduleRoute(delayMs, 'lookup', () => this.lookUpLeader(conn, known.view.leaderId));
        return;
      }
      case 'move':
        this.moveToLeader(
          conn,
          decision.endpoint,
          `routing to the leader ${known.view.leaderId} (${source})`,
        );
        return;
    }
  }

  private scheduleRoute(delayMs: number, source: string, run = (): void => this.routeToLeader(source)): void {
    this.clearRouteTimer();
    this.routeTimer = this.options.clock.setTimeout(() => {
      this.routeTimer = undefined;
      run();
    }, delayMs);
  }

  private clearRouteTimer(): void {
    if (this.routeTimer === undefined) return;
    this.options.clock.clearTimeout(this.routeTimer);
    this.routeTimer = undefined;
  }

  /** Reads the leader's client URLs from the member list of `conn`'s member. */
  private lookUpLeader(conn: Connection, leaderId: number): void {
    if (conn !== this.current() || this.isClosed) return;
    conn.request('cluster.memberList', { linearizable: false }, { signal: this.closeSignal }).then(
      (list) => {
        const urls = list.members.find((m) => m.id === leaderId)?.clientUrls ?? [];
        // Still the leader this member named last (a notice may have come meanwhile)?
        if (this.leaderView?.conn === conn && this.leaderView.view.leaderId === leaderId)
          this.learnLeader(conn, leaderId, urls, 'member list');
      },
      (e: unknown) => {
        if (this.isClosed || conn !== this.current()) return;
        this.options.log('debug', 'member list lookup failed', { endpoint: conn.endpoint, error: String(e) });
        this.routeToLeader('lookup');
      },
    );
  }

  /**
   * Dials the leader at `endpoint` once and moves there (streams re-attach, the old connection
   * closes once its requests are answered). If it cannot be dialled the client stays on `from`,
   * whose member forwards writes, and tries again after a backoff.
   */
  private moveToLeader(from: Connection, endpoint: string, reason: string): void {
    this.publish({ type: 'failover', from: from.endpoint, to: endpoint, reason });
    void this.startDial(() =>
      connectOnce(this.dialContext, endpoint, 1, this.closeSignal).then(
        (conn) => {
          this.route.succeeded(endpoint);
          this.pool.learn(endpoint);
          return conn;
        },
        (e: unknown) => {
          if (this.isClosed) throw e;
          this.route.failed(endpoint);
          const current = this.current();
          this.options.log('warn', 'cannot reach the leader; staying on the member it was connected to', {
            leader: endpoint,
            endpoint: current?.endpoint ?? '',
            error: e instanceof Error ? e.message : String(e),
          });
          // Lost meanwhile: connect the usual way.
          if (current === undefined) return this.dialer.run(this.closeSignal, this.quickLosses);
          return current;
        },
      ),
    ).then(
      (conn) => {
        if (conn === from) this.routeToLeader('retry');
      },
      () => undefined,
    );
  }

  private setState(state: ClientState): void {
    if (this.stateValue === state || this.stateValue === 'closed') return;
    this.stateValue = state;
    this.events.state(state);
  }

  /**
   * The single-flight dial: `run` (default: the dial loop over the pool) brings a connection, which
   * becomes current (it may be the current one already: a move to the leader that did not happen).
   */
  private startDial(
    run: () => Promise<Connection> = () => this.dialer.run(this.closeSignal, this.quickLosses),
  ): Promise<Connection> {
    if (this.dialing !== undefined) return this.dialing;
    const dialing = run().then(
      async (conn) => {
        this.dialing = undefined;
        if (this.isClosed) {
          conn.close(1000, 'client closed');
          await conn.lost();
          throw new ClientClosedError();
        }
        if (conn !== this.conn) this.adopt(conn);
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
    const previous = this.conn;
    this.conn = conn;
    this.connectedAtMs = this.options.clock.nowMs();
    this.failures.clear();
    this.lastFailure = undefined;
    this.setState('connected');
    const welcome = conn.welcome;
    this.publish({
      type: 'connected',
      endpoint: conn.endpoint,
      memberId: welcome?.header.memberId ?? 0,
      clusterId: welcome?.header.clusterId ?? 0,
      serverVersion: welcome?.serverVersion ?? '',
    });
    void conn.lost().then((error) => this.onLost(conn, error));
    this.liveness?.stop();
    this.liveness = new LivenessMonitor(
      conn,
      {
        clock: this.options.clock,
        intervalMs: this.options.livenessIntervalMs,
        timeoutMs: this.options.livenessTimeoutMs,
      },
      () => this.onUnresponsive(conn),
    );
    this.liveness.start();
    for (const stream of this.streams) stream.attach(conn);
    if (previous !== undefined && previous !== conn && !previous.isClosed) {
      this.retiring.add(previous);
      previous.closeWhenIdle();
    }
    const welcomeLeader = welcome?.leaderId;
    if (welcomeLeader !== undefined)
      this.learnLeader(conn, welcomeLeader, welcome?.leaderClientUrls ?? [], 'welcome');
  }

  /** The member behind `conn` stopped answering its liveness probes: give the connection up. */
  private onUnresponsive(conn: Connection): void {
    const { livenessTimeoutMs } = this.options;
    if (this.pool.size > 1) this.pool.avoid(conn.endpoint);
    this.route.failed(conn.endpoint, livenessTimeoutMs);
    this.options.log('warn', 'member stopped answering; moving on', {
      endpoint: conn.endpoint,
      timeoutMs: livenessTimeoutMs,
    });
    conn.abandon(
      new UnavailableError(
        `member at ${conn.endpoint} stopped answering (no reply within ${livenessTimeoutMs} ms)`,
      ),
    );
  }

  private onLost(conn: Connection, error: ClientError): void {
    this.retiring.delete(conn);
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.liveness?.stop();
    this.liveness = undefined;
    this.leaderView = undefined;
    this.clearRouteTimer();
    if (this.isClosed) return;
    const livedMs = this.options.clock.nowMs() - this.connectedAtMs;
    this.quickLosses = livedMs < SHORT_LIVED_MS ? this.quickLosses + 1 : 0;
    // A leader that drops the client right after a move is not moved to again at once.
    if (livedMs < SHORT_LIVED_MS) this.route.failed(conn.endpoint);
    // Dial the others first: a member whose connection just closed is most likely down (its
    // process died: the redial would be refused), and any other member knows the new leader.
    if (this.pool.size > 1) this.pool.avoid(conn.endpoint);
    this.publish({ type: 'disconnected', endpoint: conn.endpoint, error });
    this.setState('disconnected');
    void this.startDial().catch(() => undefined);
  }

  /**
   * One request on `conn`; on a connection authenticated with a password, a refusal for an
   * expired, unknown or outdated token (UNAUTHENTICATED, AUTH_OLD_REVISION: the member refused it
   * before applying anything) renews the socket's token (shared with concurrent refusals) and sends
   * the request exactly once more (token-renewal.ts).
   */
  private async requestAuthenticated<M extends Method>(
    conn: Connection,
    method: M,
    params: MethodParams<M>,
    signal: AbortSignal,
    onId: () => void,
  ): Promise<MethodResult<M>> {
    const auth = conn.auth;
    if (auth === undefined || method === 'auth.authenticate')
      return conn.request(method, params, { signal, onId });
    const generation = await auth.ready(signal);
    try {
      return await conn.request(method, params, { signal, onId });
    } catch (e) {
      if (!isStaleTokenError(e)) throw e;
      await auth.renewAfter(generation, signal);
      return conn.request(method, params, { signal, onId });
    }
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
    // One controller for the call, aborted by whichever comes first: the deadline, close(), the
    // caller's signal. (AbortSignal.any made a composite signal and a weak reference per source on
    // every call, each source's set of dependants cleaned only by the garbage collector.)
    const controller = new AbortController();
    const signal = controller.signal;
    let deadlineReason: RequestTimeoutError | undefined;
    const timer = clock.setTimeout(() => {
      deadlineReason = new RequestTimeoutError(`${method} got no answer within ${requestTimeoutMs} ms`);
      controller.abort(deadlineReason);
    }, requestTimeoutMs);
    this.callControllers.add(controller);
    const callerSignal = options.signal;
    const unsubscribe =
      callerSignal === undefined
        ? undefined
        : onAbort(callerSignal, () => controller.abort(callerSignal.reason));
    let outstanding = false;
    let lastError: unknown;
    let retryAfterMs = 0;
    try {
      const tryOnce = async (attempt: number): Promise<MethodResult<M>> => {
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
          const result = await this.requestAuthenticated(
            conn,
            method,
            params,
            signal,
            () => (outstanding = true),
          );
          outstanding = false;
          return result;
        } catch (e) {
          if (signal.aborted) throw e;
          outstanding = false;
          lastError = e;
          retryAfterMs = e instanceof ClientError ? (e.details.retryAfterMs ?? 0) : 0;
          throw this.classify(e, method, idempotent, conn?.endpoint ?? 'a member');
        }
      };
      return await firstThenRetry(tryOnce, signal);
    } catch (e) {
      if (options.signal?.aborted === true) throw options.signal.reason;
      if (this.isClosed) throw new ClientClosedError(undefined, { cause: e });
      if (deadlineReason !== undefined) {
        if (!idempotent && outstanding) {
          throw new IndeterminateError(
            `${method} was sent but not answered within ${requestTimeoutMs} ms; it may have applied`,
            {
              cause: lastError ?? deadlineReason,
            },
          );
        }
        const reason: unknown = deadlineReason;
        const disconnected = this.current() === undefined ? this.lastFailure : undefined;
        const cause = lastError ?? disconnected?.error;
        if (cause === undefined || !(reason instanceof RequestTimeoutError)) throw reason;
        // The why goes in the message too: it is what a person reads first.
        const why =
          lastError === undefined && disconnected !== undefined
            ? `not connected: ${disconnected.endpoint}: ${disconnected.reason}`
            : `last error: ${cause instanceof Error ? cause.message : String(cause)}`;
        throw new RequestTimeoutError(`${reason.message} (${why})`, { cause });
      }
      throw e;
    } finally {
      clock.clearTimeout(timer);
      this.callControllers.delete(controller);
      unsubscribe?.();
    }
  }

  /** What to do with a failed attempt: the error to retry on, or an AbortError to give up with. */
  private classify(e: unknown, method: Method, idempotent: boolean, endpoint: string): Error {
    // The connection budget is spent: say so now rather than retry until the deadline.
    if (e instanceof UnreachableError) return new AbortError(e);
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
      this.onNotLeader(e, `${method}: NOT_LEADER`);
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

  /**
   * Closes every connection (the current one, those left after a move, one being dialled) and
   * stops every timer of the client; resolves once the sockets are closed, so that nothing of the
   * client keeps the process alive afterwards.
   */
  async close(): Promise<void> {
    if (this.isClosed) return;
    this.closeController.abort(new ClientClosedError());
    for (const call of [...this.callControllers]) call.abort(this.closeSignal.reason);
    this.stateValue = 'closed';
    this.events.state('closed');
    this.liveness?.stop();
    this.liveness = undefined;
    this.clearRouteTimer();
    for (const waiter of [...this.waiters]) waiter.fail(new ClientClosedError());
    const conns = [...(this.conn === undefined ? [] : [this.conn]), ...this.retiring];
    this.conn = undefined;
    this.retiring.clear();
    const streams = [...this.streams];
    this.streams.clear();
    for (const stream of streams) stream.clientClosed();
    for (const conn of conns) conn.close(1000, 'client closed');
    await Promise.all([...conns.map((c) => c.lost()), this.dialing?.catch(() => undefined)]);
    this.publish({ type: 'closed', error: undefined });
  }
}

/** pRetry's options for `call`: retry at once (`call`'s attempts wait their own backoff), forever. */
function retryOptions(signal: AbortSignal): Parameters<typeof pRetry>[1] {
  return {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: 0,
    factor: 1,
    signal,
    shouldRetry: ({ error }) => error instanceof ClientError && error.retryable,
  };
}

/**
 * `pRetry(attempt, retryOptions(signal))`, with the first attempt made here and pRetry entered
 * only when it failed with a retryable error: a call that succeeds at once (nearly all of them)
 * then costs no retry machinery. Same outcomes as pRetry's: an AbortError gives up with the error
 * it wraps, a non-retryable error is thrown as it is, an aborted signal throws its reason.
 */
async function firstThenRetry<T>(attempt: (n: number) => Promise<T>, signal: AbortSignal): Promise<T> {
  signal.throwIfAborted();
  let result: T;
  try {
    result = await attempt(1);
  } catch (error) {
    if (error instanceof AbortError) throw error.originalError;
    if (!(error instanceof ClientError && error.retryable)) throw error;
    signal.throwIfAborted();
    return pRetry((n) => attempt(n + 1), retryOptions(signal));
  }
  signal.throwIfAborted();
  return result;
}
