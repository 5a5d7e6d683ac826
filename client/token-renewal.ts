/**
 * The token of one connection opened with a user name and password (the `auth` option's second
 * form). The member keeps the token per socket (the last `auth.authenticate` on it wins), so
 * renewing is authenticating again on the same socket. A new connection always authenticates
 * afresh: that is what makes a leader change or a reconnect safe, since a simple token's sliding
 * TTL runs per member (each member renews it on its own use) and a restarted member has forgotten
 * it.
 *
 * - Renewed before it expires: at RENEW_AT_FRACTION of the TTL the member told (`ttlSec`,
 *   Concord's own field of the WebSocket answer), counted from when the authentication was sent
 *   (an upper bound of the member's issue time, so the estimate errs early). A member that tells
 *   no TTL (0) gets no timer; the retry below covers it.
 * - A request about to go out past the renewal time (the timer fired late: a blocked event loop,
 *   a suspended machine) waits for the renewal first, so an idle client's next request does not
 *   fail on a dead token. If that renewal fails for a transient reason, the request goes on with the
 *   token it has and the member decides.
 * - Single flight: every reason (timer, late request, refused request) shares the renewal in
 *   flight. A request refused for a stale token (UNAUTHENTICATED, AUTH_OLD_REVISION) renews only
 *   if no renewal has completed since it was sent (the generation it went out under), then is
 *   sent exactly once more: N concurrent refusals cost one authentication.
 * - A caller's signal ends its own wait, never the shared renewal; the renewal has its own
 *   deadline (requestTimeoutMs) and ends with the connection (hence with the client).
 * - A wrong password (AUTH_FAILED, e.g. the user's password was changed) ends the connection's
 *   renewals: every waiter, and every request or refusal after it, gets the UnauthenticatedError,
 *   and the connection closes once the requests already sent are answered (closed at once, one
 *   sent meanwhile would be lost with it: an IndeterminateError for a write the member refused).
 *   The next dial fails with it too, so nothing loops. Auth turned off meanwhile
 *   (AUTH_NOT_ENABLED) stops the renewals.
 */
import type { Connection } from './connection.js';
import { ClientError, RequestTimeoutError } from './errors.js';
import type { Credentials, ResolvedOptions } from './options.js';
import type { ClientStatus } from './status.js';
import { abortable } from './util.js';

/** Renew when this much of the TTL has passed (etcd's clients re-authenticate only on refusal). */
export const RENEW_AT_FRACTION = 2 / 3;

/** Why an authentication was made (the `authenticated` status event says it). */
export type AuthenticateReason = 'connect' | 'renewal' | 'retry';

export interface TokenRenewalContext {
  readonly options: Pick<ResolvedOptions, 'clock' | 'requestTimeoutMs' | 'log'>;
  readonly status: (status: ClientStatus) => void;
}

/** A refusal that another authentication on the same socket may cure. */
export function isStaleTokenError(e: unknown): boolean {
  return e instanceof ClientError && (e.code === 'UNAUTHENTICATED' || e.code === 'AUTH_OLD_REVISION');
}

export class ConnectionAuth {
  private generationNo = 0;
  private inflight: Promise<void> | undefined;
  private timer: object | undefined;
  /** Client-clock times of the current token; Infinity when the member told no TTL. */
  private renewAtMs = Number.POSITIVE_INFINITY;
  private expiresAtMs = Number.POSITIVE_INFINITY;
  private readonly lifetime = new AbortController();
  /** The AUTH_FAILED a renewal got: this socket's token cannot be renewed any more. */
  private failure: ClientError | undefined;

  private constructor(
    private readonly conn: Connection,
    private readonly credentials: Credentials,
    private readonly ctx: TokenRenewalContext,
  ) {
    void conn.lost().then((error) => this.stop(error));
  }

  /**
   * Authenticates a new connection. Undefined when the cluster has auth off (the credentials are
   * not needed then). On failure the connection is closed and the error thrown (AUTH_FAILED is an
   * UnauthenticatedError, fatal to the dial).
   */
  static async open(
    conn: Connection,
    credentials: Credentials,
    ctx: TokenRenewalContext,
    signal: AbortSignal,
  ): Promise<ConnectionAuth | undefined> {
    const auth = new ConnectionAuth(conn, credentials, ctx);
    try {
      if (await auth.authenticate('connect', signal)) return auth;
      auth.stop(undefined);
      return undefined;
    } catch (e) {
      auth.stop(undefined);
      conn.close(1000, 'authentication failed');
      throw e;
    }
  }

  /** Moves with every successful authentication on this connection. */
  get generation(): number {
    return this.generationNo;
  }

  /**
   * Before a request goes out: waits for a renewal when the token is past its renewal time.
   * Returns the generation the request goes out under (for `renewAfter`).
   */
  async ready(signal: AbortSignal): Promise<number> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ctx.options.clock.nowMs() >= this.renewAtMs) {
      try {
        await abortable(this.renew('renewal'), signal);
      } catch (e) {
        if (signal.aborted || this.conn.isClosed) throw e;
        // Transient (no leader to record a simple token, a timeout): the token may still be good.
      }
    }
    return this.generationNo;
  }

  /**
   * A request sent under `generation` was refused for a stale token: renews unless a renewal
   * completed since (joining one in flight), so that the caller sends once more.
   */
  async renewAfter(generation: number, signal: AbortSignal): Promise<void> {
    if (this.generationNo > generation) return;
    await abortable(this.renew('retry'), signal);
  }

  /** The single-flight renewal (see the file comment). */
  private renew(reason: AuthenticateReason): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.inflight === undefined) {
      const run = this.renewOnce(reason).finally(() => {
        if (this.inflight === run) this.inflight = undefined;
      });
      this.inflight = run;
    }
    return this.inflight;
  }

  private async renewOnce(reason: AuthenticateReason): Promise<void> {
    const { clock, requestTimeoutMs } = this.ctx.options;
    const deadline = new AbortController();
    const timer = clock.setTimeout(
      () =>
        deadline.abort(new RequestTimeoutError(`token renewal got no answer within ${requestTimeoutMs} ms`)),
      requestTimeoutMs,
    );
    try {
      if (!(await this.authenticate(reason, AbortSignal.any([this.lifetime.signal, deadline.signal]))))
        this.stop(undefined);
    } catch (e) {
      if (e instanceof ClientError && e.code === 'AUTH_FAILED') {
        this.failure = e;
        this.stop(undefined);
        this.conn.closeWhenIdle('authentication failed');
      }
      throw e;
    } finally {
      clock.clearTimeout(timer);
    }
  }

  /** One `auth.authenticate` on the socket; false when auth is off. */
  private async authenticate(reason: AuthenticateReason, signal: AbortSignal): Promise<boolean> {
    const sentAtMs = this.ctx.options.clock.nowMs();
    let ttlSec: number;
    try {
      const r = await this.conn.request(
        'auth.authenticate',
        { name: this.credentials.username, password: this.credentials.password },
        { signal },
      );
      ttlSec = r.ttlSec;
    } catch (e) {
      if (e instanceof ClientError && e.code === 'AUTH_NOT_ENABLED') return false;
      throw e;
    }
    this.generationNo++;
    this.schedule(sentAtMs, ttlSec);
    this.ctx.status({ type: 'authenticated', endpoint: this.conn.endpoint, reason, ttlSec });
    return true;
  }

  private schedule(sentAtMs: number, ttlSec: number): void {
    this.clearTimer();
    if (ttlSec <= 0 || this.lifetime.signal.aborted) {
      this.renewAtMs = this.expiresAtMs = Number.POSITIVE_INFINITY;
      return;
    }
    this.renewAtMs = sentAtMs + ttlSec * 1000 * RENEW_AT_FRACTION;
    this.expiresAtMs = sentAtMs + ttlSec * 1000;
    this.arm(this.renewAtMs);
  }

  private arm(atMs: number): void {
    const { clock } = this.ctx.options;
    this.timer = clock.setTimeout(
      () => {
        this.timer = undefined;
        this.renew('renewal').catch((e: unknown) => this.onBackgroundFailure(e));
      },
      Math.max(0, atMs - clock.nowMs()),
    );
  }

  /** A timer's renewal failed: try again halfway to the expiry; past it, the next request renews. */
  private onBackgroundFailure(e: unknown): void {
    if (this.lifetime.signal.aborted || this.conn.isClosed) return;
    const now = this.ctx.options.clock.nowMs();
    this.ctx.options.log('warn', 'token renewal failed', {
      endpoint: this.conn.endpoint,
      error: e instanceof Error ? e.message : String(e),
    });
    if (now < this.expiresAtMs && this.timer === undefined) this.arm(now + (this.expiresAtMs - now) / 2);
  }

  private clearTimer(): void {
    if (this.timer === undefined) return;
    this.ctx.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** No more renewals: the connection ended (or auth is off). */
  private stop(error: Error | undefined): void {
    this.clearTimer();
    this.renewAtMs = this.expiresAtMs = Number.POSITIVE_INFINITY;
    if (error !== undefined && !this.lifetime.signal.aborted) this.lifetime.abort(error);
  }
}

/** What a stream refused for a stale token needs to reopen once its socket's token is renewed. */
export interface StreamReopen {
  /** Still the same incarnation of the stream, waiting to open (not closed, not reopened). */
  readonly stillWanted: () => boolean;
  readonly reopen: () => void;
  readonly fail: (e: unknown) => void;
}

/**
 * A watch or keep-alive stream refused for a stale token (a reconnect can race a renewal): renew
 * the socket's token, then open once more, as a unary call is retried once. A failed renewal fails
 * the stream with its own typed error, or with the refusal when that error is not a client error.
 */
export function reopenAfterRenewal(
  conn: Connection,
  authGeneration: number,
  closeSignal: AbortSignal,
  refusal: unknown,
  stream: StreamReopen,
): void {
  const auth = conn.auth as NonNullable<Connection['auth']>;
  auth.renewAfter(authGeneration, closeSignal).then(
    () => {
      if (stream.stillWanted() && !conn.isClosed) stream.reopen();
    },
    (e: unknown) => {
      if (stream.stillWanted()) stream.fail(e instanceof ClientError ? e : refusal);
    },
  );
}
