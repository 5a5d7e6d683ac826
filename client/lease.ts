/**
 * Leases and keep-alives.
 *
 * A keep-alive handle renews its lease every TTL/3 over a keep-alive stream (docs/protocol.md §6.2)
 * and keeps a safe local estimate of the lease's expiry: *send time of the last successful renewal
 * + TTL*, the earliest moment the cluster may expire it. Its `signal` aborts with a LeaseLostError
 * as soon as the lease must be presumed lost:
 *
 * - `notFound`: the member ended the stream with LEASE_NOT_FOUND (expired or revoked elsewhere);
 * - `unreachable`: no successful renewal by the estimate minus the safety margin (lease-margin.ts:
 *   default TTL/3) — the lease still exists on the cluster for about that margin, which is the time
 *   a holder has to stop before anyone else may take what the lease held;
 * - `revoked`: this handle revoked it; `closed`: the handle or the client was closed.
 *
 * The stream re-attaches on every new connection (which renews at once); a NOT_LEADER answer moves
 * the client's connection to the leader named in the error details.
 */
import type { Connection, StreamHandler } from './connection.js';
import { ConnectionLostError } from './connection.js';
import type { ClientCore, ResumableStream } from './core.js';
import {
  ClientClosedError,
  ClientError,
  errorFromBody,
  InvalidArgumentError,
  LeaseLostError,
  LeaseNotFoundError,
  NotLeaderError,
  RequestTimeoutError,
  type LeaseLostReason,
} from './errors.js';
import type { Abortable } from './kv.js';
import type { KeySpace } from './namespace.js';
import type {
  ErrorBody,
  KeepAliveFrame,
  ResponseHeader,
  SnapshotFrame,
  WatchFrame,
} from './protocol/index.js';
import {
  effectiveSafetyMarginMs,
  renewIntervalMs,
  validateSafetyMargin,
  validateSafetyMarginShape,
} from './lease-margin.js';
import { isStaleTokenError, reopenAfterRenewal } from './token-renewal.js';
import { abortable, deferred } from './util.js';

export interface LeaseGrant {
  readonly header: ResponseHeader;
  readonly id: number;
  /** The TTL the cluster granted (may be raised to its minimum). */
  readonly ttlSec: number;
}

export interface LeaseTimeToLive {
  readonly header: ResponseHeader;
  readonly id: number;
  /** Seconds left; -1 if the lease has expired or does not exist. */
  readonly ttlSec: number;
  readonly grantedTtlSec: number;
  readonly keys: readonly Uint8Array[];
}

export interface GrantOptions extends Abortable {
  /** Ask for this lease id (0/absent: the cluster chooses). */
  readonly id?: number;
}

export interface KeepAliveOptions extends Abortable {
  /**
   * How long before the expiry estimate the signal fires when renewals stop succeeding (ms).
   * Default TTL/3; allowed from the timer and clock-drift allowance (100 ms + 1 ms per TTL second)
   * to TTL/2. See docs/client.md "Leases" for what it guarantees.
   */
  readonly safetyMarginMs?: number;
}

export interface LeaseKeepAlive extends AsyncDisposable {
  readonly id: number;
  /** TTL of the last successful renewal. */
  readonly ttlSec: number;
  /** Client-side estimate of the expiry (clock ms): last successful renewal's send time + TTL. */
  readonly expiresAtMs: number;
  /** The margin in force: without a renewal, `signal` aborts at `expiresAtMs - safetyMarginMs`. */
  readonly safetyMarginMs: number;
  /** Aborts with a LeaseLostError when the lease is lost (see the file header). */
  readonly signal: AbortSignal;
  /** Resolves (never rejects) with the loss. */
  readonly lost: Promise<LeaseLostError>;
  /** Stops renewing without revoking (the lease expires after its TTL). Idempotent. */
  close(): Promise<void>;
  /** Revokes the lease (deleting its keys) and stops. Idempotent. */
  revoke(options?: Abortable): Promise<void>;
}

export function validateTtl(ttlSec: number): number {
  if (!Number.isSafeInteger(ttlSec) || ttlSec < 1) {
    throw new InvalidArgumentError(`ttlSec must be a positive integer, got ${String(ttlSec)}`, {
      details: { field: 'ttlSec' },
    });
  }
  return ttlSec;
}

export async function grantLease(
  core: ClientCore,
  ttlSec: number,
  options: GrantOptions = {},
): Promise<LeaseGrant> {
  const r = await core.call('lease.grant', { ttlSec: validateTtl(ttlSec), id: options.id ?? 0 }, options);
  if (r.error !== '') throw new ClientError('INTERNAL', `lease.grant: ${r.error}`);
  return { header: r.header, id: r.id, ttlSec: r.ttlSec };
}

export async function revokeLease(core: ClientCore, id: number, options: Abortable = {}): Promise<void> {
  await core.call('lease.revoke', { id }, options);
}

/**
 * The lease's remaining and granted TTL (and its keys). A lease the cluster does not have (never
 * granted, revoked, expired) is not an error: `ttlSec` is -1, as etcd answers.
 */
export async function leaseTimeToLive(
  core: ClientCore,
  space: KeySpace,
  id: number,
  options: Abortable & { readonly keys?: boolean } = {},
): Promise<LeaseTimeToLive> {
  const r = await core.call('lease.timeToLive', { id, keys: options.keys ?? false }, options);
  return {
    header: r.header,
    id: r.id,
    ttlSec: r.ttlSec,
    grantedTtlSec: r.grantedTtlSec,
    keys: r.keys.map((k) => space.strip(k)),
  };
}

/** Renewal retry after a transient keepalive error: a tenth of the TTL, between 50 ms and 1 s. */
function retryDelayMs(ttlSec: number): number {
  return Math.max(50, Math.min(1000, (ttlSec * 1000) / 10));
}

export class KeepAliveImpl implements LeaseKeepAlive, ResumableStream {
  private ttl = 0;
  private expiresAt = 0;
  private conn: Connection | undefined;
  private serverId = 0;
  private generation = 0;
  private phase: 'idle' | 'opening' | 'open' | 'done' = 'idle';
  private renewSentAtMs = 0;
  private renewOutstanding = false;
  private renewTimer: object | undefined;
  private deadlineTimer: object | undefined;
  private retryTimer: object | undefined;
  /** The connection on which a stale-token refusal was already retried once. */
  private authRetriedOn: Connection | undefined;
  private readonly controller = new AbortController();
  private readonly lostDeferred = deferred<LeaseLostError>();
  private readonly first = deferred<void>();
  private readonly unregister: () => void;

  private constructor(
    private readonly core: ClientCore,
    readonly id: number,
    private readonly marginOption: number | undefined,
  ) {
    this.first.promise.catch(() => undefined);
    this.unregister = core.register(this);
  }

  /**
   * Opens the keep-alive and resolves after the first successful renewal. The margin is checked
   * against the TTL that renewal reports, unless the caller checked it already (`marginChecked`: a
   * session checks it against the TTL it asks for, before granting; a TTL the cluster raised only
   * widens the range, and the margin in force is raised to the new allowance).
   */
  static async start(
    core: ClientCore,
    id: number,
    options: KeepAliveOptions = {},
    marginChecked = false,
  ): Promise<KeepAliveImpl> {
    options.signal?.throwIfAborted();
    const margin = options.safetyMarginMs;
    validateSafetyMarginShape(margin);
    const ka = new KeepAliveImpl(core, id, margin);
    const { clock, requestTimeoutMs } = core.options;
    const timeout = new AbortController();
    const timer = clock.setTimeout(
      () =>
        timeout.abort(
          new RequestTimeoutError(`lease ${id}: no keep-alive answer within ${requestTimeoutMs} ms`),
        ),
      requestTimeoutMs,
    );
    const signal = AbortSignal.any(
      options.signal === undefined ? [timeout.signal] : [timeout.signal, options.signal],
    );
    try {
      // Fails fast, with each endpoint's reason, when no member can be reached at all.
      await core.connection(signal);
      await abortable(ka.first.promise, signal);
      if (!marginChecked) validateSafetyMargin(margin, ka.ttl);
      return ka;
    } catch (e) {
      await ka.close();
      throw e;
    } finally {
      clock.clearTimeout(timer);
    }
  }

  get ttlSec(): number {
    return this.ttl;
  }
  get expiresAtMs(): number {
    return this.expiresAt;
  }
  get safetyMarginMs(): number {
    return effectiveSafetyMarginMs(this.marginOption, this.ttl);
  }
  get signal(): AbortSignal {
    return this.controller.signal;
  }
  get lost(): Promise<LeaseLostError> {
    return this.lostDeferred.promise;
  }

  attach(conn: Connection): void {
    if (this.phase === 'done') return;
    if (this.conn === conn && this.phase !== 'idle') return;
    this.detachServer();
    this.open(conn);
  }

  clientClosed(): void {
    this.lose('closed');
  }

  async close(): Promise<void> {
    this.lose('closed');
    return Promise.resolve();
  }

  async revoke(options: Abortable = {}): Promise<void> {
    if (this.phase === 'done') {
      const lost = await this.lost;
      if (lost.reason !== 'closed' && lost.reason !== 'unreachable') return;
    }
    this.lose('revoked');
    try {
      await revokeLease(this.core, this.id, options);
    } catch (e) {
      if (!(e instanceof LeaseNotFoundError)) throw e;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.revoke();
    } catch (e) {
      if (!(e instanceof ClientClosedError)) throw e;
    }
  }

  private detachServer(): void {
    if (this.conn !== undefined && this.serverId !== 0 && !this.conn.isClosed)
      this.conn.detachStream(this.serverId);
    this.serverId = 0;
    this.renewOutstanding = false;
    this.generation++;
  }

  private open(conn: Connection): void {
    this.conn = conn;
    this.phase = 'opening';
    const generation = ++this.generation;
    const live = (): boolean => generation === this.generation && this.phase !== 'done';
    const handler: StreamHandler = {
      onFrame: (frame) => {
        if (live()) this.onFrame(frame);
      },
      onEnd: (error) => {
        if (live()) this.onEnd(error);
      },
      onLost: () => {
        if (live()) this.phase = 'idle';
      },
    };
    const sentAt = this.core.options.clock.nowMs();
    const authGeneration = conn.auth?.generation;
    conn
      .request(
        'lease.keepAlive',
        { id: this.id },
        { stream: handler, onId: (id) => (this.serverId = id), signal: this.core.closeSignal },
      )
      .then((r) => {
        if (!live()) return;
        this.phase = 'open';
        this.authRetriedOn = undefined;
        this.renewed(sentAt, r.ttlSec);
        this.first.resolve();
      })
      .catch((e: unknown) => {
        if (!live()) return;
        this.phase = 'idle';
        if (authGeneration !== undefined && isStaleTokenError(e) && this.authRetriedOn !== conn) {
          this.reopenAfterRenewal(conn, authGeneration, e);
          return;
        }
        this.onFailure(e);
      });
  }

  /** Refused for a stale token: renew the socket's token and open once more (token-renewal.ts). */
  private reopenAfterRenewal(conn: Connection, authGeneration: number, refusal: unknown): void {
    this.authRetriedOn = conn;
    const generation = this.generation;
    reopenAfterRenewal(conn, authGeneration, this.core.closeSignal, refusal, {
      stillWanted: () => generation === this.generation && this.phase === 'idle',
      reopen: () => this.open(conn),
      fail: (e) => this.onFailure(e),
    });
  }

  private onFailure(e: unknown): void {
    if (e instanceof ConnectionLostError) return;
    if (e instanceof LeaseNotFoundError) {
      this.first.reject(e);
      this.lose('notFound', e);
      return;
    }
    if (e instanceof NotLeaderError) this.core.onNotLeader(e, 'keep-alive: NOT_LEADER');
    if (e instanceof ClientError && e.retryable) {
      const generation = this.generation;
      const clock = this.core.options.clock;
      if (this.retryTimer !== undefined) clock.clearTimeout(this.retryTimer);
      this.retryTimer = clock.setTimeout(
        () => {
          this.retryTimer = undefined;
          if (generation !== this.generation || this.phase !== 'idle') return;
          const current = this.core.current();
          if (current !== undefined) this.open(current);
        },
        retryDelayMs(this.ttl === 0 ? 10 : this.ttl),
      );
      return;
    }
    this.first.reject(e);
    this.lose('notFound', e);
  }

  private renewed(sentAtMs: number, ttlSec: number): void {
    if (ttlSec <= 0) {
      this.lose('notFound');
      return;
    }
    const clock = this.core.options.clock;
    this.ttl = ttlSec;
    this.expiresAt = Math.max(this.expiresAt, sentAtMs + ttlSec * 1000);
    const margin = this.safetyMarginMs;
    if (this.deadlineTimer !== undefined) clock.clearTimeout(this.deadlineTimer);
    // Fire a margin before the cluster may expire the lease, so a holder has that long to stop.
    this.deadlineTimer = clock.setTimeout(
      () => this.lose('unreachable'),
      Math.max(0, this.expiresAt - margin - clock.nowMs()),
    );
    this.scheduleRenew(renewIntervalMs(ttlSec, margin));
  }

  private scheduleRenew(ms: number): void {
    const clock = this.core.options.clock;
    if (this.renewTimer !== undefined) clock.clearTimeout(this.renewTimer);
    this.renewTimer = clock.setTimeout(() => {
      this.renewTimer = undefined;
      this.sendRenew();
    }, ms);
  }

  private sendRenew(): void {
    if (this.phase !== 'open' || this.renewOutstanding || this.conn === undefined) return;
    this.renewOutstanding = true;
    this.renewSentAtMs = this.core.options.clock.nowMs();
    this.conn.renew(this.serverId);
  }

  private onFrame(frame: WatchFrame | KeepAliveFrame | SnapshotFrame): void {
    if (frame.type !== 'keepalive') return;
    this.renewOutstanding = false;
    if ('result' in frame) {
      this.renewed(this.renewSentAtMs, frame.result.ttlSec);
      return;
    }
    const error = errorFromBody(frame.error, 'keep-alive');
    if (error instanceof LeaseNotFoundError) {
      this.lose('notFound', error);
      return;
    }
    if (error instanceof NotLeaderError) this.core.onNotLeader(error, 'keep-alive: NOT_LEADER');
    this.scheduleRenew(retryDelayMs(this.ttl));
  }

  private onEnd(error: ErrorBody | undefined): void {
    this.phase = 'idle';
    this.serverId = 0;
    if (error?.code === 'LEASE_NOT_FOUND') {
      this.lose('notFound', errorFromBody(error, 'keep-alive'));
      return;
    }
    this.onFailure(
      error === undefined
        ? new ClientError('UNAVAILABLE', 'keep-alive stream ended')
        : errorFromBody(error, 'keep-alive'),
    );
  }

  private lose(reason: LeaseLostReason, cause?: unknown): void {
    if (this.phase === 'done') return;
    this.detachServer();
    this.phase = 'done';
    this.unregister();
    const clock = this.core.options.clock;
    if (this.renewTimer !== undefined) clock.clearTimeout(this.renewTimer);
    if (this.deadlineTimer !== undefined) clock.clearTimeout(this.deadlineTimer);
    if (this.retryTimer !== undefined) clock.clearTimeout(this.retryTimer);
    const error = new LeaseLostError(this.id, reason, cause === undefined ? {} : { cause });
    this.first.reject(error);
    this.controller.abort(error);
    this.lostDeferred.resolve(error);
  }
}
