/**
 * A session: a lease kept alive for as long as the session lives. It is the base of every recipe
 * (locks, elections, registries attach their keys to `session.leaseId`), as etcd's
 * clientv3/concurrency Session is.
 *
 * Guarantees: while `session.signal` has not aborted, the lease was renewed less than
 * `TTL − safetyMarginMs` ago (by the client's clock, measured from when the renewal was sent), so
 * keys attached to it exist, and will for at least about `safetyMarginMs` more. The signal aborts
 * (reason: LeaseLostError) when the lease expired or was revoked, when no renewal succeeded for
 * `TTL − safetyMarginMs` (the cluster may expire the lease `safetyMarginMs` later: that is the time a
 * holder has to stop; lease-margin.ts states the exact guarantee), or when the session or client was
 * closed. A lost session stays lost: create a new one.
 *
 * `close()` / `await using` revoke the lease (its keys disappear at once); `orphan()` stops the
 * keep-alive and leaves the lease to expire on its own.
 */
import type { ClientCore } from './core.js';
import type { LeaseLostError } from './errors.js';
import type { Abortable } from './kv.js';
import { grantLease, KeepAliveImpl, revokeLease, validateTtl } from './lease.js';
import { validateSafetyMargin } from './lease-margin.js';

export interface SessionOptions extends Abortable {
  /** TTL of the session's lease, in seconds. Default 60 (etcd's default). */
  readonly ttlSec?: number;
  /** Reuse an existing lease instead of granting a new one. */
  readonly leaseId?: number;
  /**
   * How long before the lease may expire on the cluster `signal` fires when renewals stop
   * succeeding, in ms. Default TTL/3; allowed from 100 ms + 1 ms per TTL second (the timer and
   * clock-drift allowance) to TTL/2.
   */
  readonly safetyMarginMs?: number;
}

export const DEFAULT_SESSION_TTL_SEC = 60;

export class Session implements AsyncDisposable {
  private constructor(
    private readonly keepAlive: KeepAliveImpl,
    /** The TTL the cluster granted. */
    readonly ttlSec: number,
  ) {}

  /** @internal Use `client.session()`. */
  static async create(core: ClientCore, options: SessionOptions = {}): Promise<Session> {
    const ttlSec = validateTtl(options.ttlSec ?? DEFAULT_SESSION_TTL_SEC);
    // A new lease's TTL is known before granting: refuse a bad margin before anything is granted.
    if (options.leaseId === undefined) validateSafetyMargin(options.safetyMarginMs, ttlSec);
    let leaseId = options.leaseId;
    let granted = ttlSec;
    if (leaseId === undefined) {
      const grant = await grantLease(core, ttlSec, options);
      leaseId = grant.id;
      granted = grant.ttlSec;
    }
    try {
      const ka = await KeepAliveImpl.start(core, leaseId, options, options.leaseId === undefined);
      return new Session(ka, options.leaseId === undefined ? granted : ka.ttlSec);
    } catch (e) {
      if (options.leaseId === undefined) await revokeLease(core, leaseId).catch(() => undefined);
      throw e;
    }
  }

  get leaseId(): number {
    return this.keepAlive.id;
  }

  /** Aborts (reason: LeaseLostError) when the session is lost. Pass it to every call made on its behalf. */
  get signal(): AbortSignal {
    return this.keepAlive.signal;
  }

  /** Resolves (never rejects) when the session is lost, with why. */
  get lost(): Promise<LeaseLostError> {
    return this.keepAlive.lost;
  }

  get isLost(): boolean {
    return this.keepAlive.signal.aborted;
  }

  /** Client-clock estimate of when the lease expires if no further renewal succeeds. */
  get expiresAtMs(): number {
    return this.keepAlive.expiresAtMs;
  }

  /** Without a renewal, `signal` aborts at `expiresAtMs - safetyMarginMs`. */
  get safetyMarginMs(): number {
    return this.keepAlive.safetyMarginMs;
  }

  /** Revokes the lease and ends the session. Idempotent. */
  async close(options: Abortable = {}): Promise<void> {
    await this.keepAlive.revoke(options);
  }

  /** Stops renewing without revoking: the lease (and its keys) expire after the TTL. */
  async orphan(): Promise<void> {
    await this.keepAlive.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.keepAlive[Symbol.asyncDispose]();
  }
}
