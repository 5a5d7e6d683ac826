/**
 * Failed authentication attempts per client (by remote host): a token bucket each, drained by
 * failures only, so that guessing passwords is slow while a client that logs in correctly is never
 * refused. Once a client's failures have used its bucket, its attempts answer TOO_MANY_REQUESTS
 * with `retryAfterMs` before any password is compared (costing the server no KDF); other clients
 * keep their own buckets.
 *
 * Bounded: at most `maxClients` buckets; when full, buckets that have refilled (they hold nothing
 * worth remembering) are dropped first, then the oldest.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { ServerError } from '../errors.js';
import type { Clock } from '../platform/clock.js';

export interface AuthRateLimitOptions {
  /** Attempts a client may make at once. Default 5. */
  readonly burst?: number;
  /** Attempts regained per second. Default 1. */
  readonly perSecond?: number;
  /** Clients remembered. Default 10000. */
  readonly maxClients?: number;
}

interface Bucket {
  tokens: number;
  atMs: number;
}

export class AuthRateLimiter {
  private readonly burst: number;
  private readonly perSecond: number;
  private readonly maxClients: number;
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly clock: Clock,
    options: AuthRateLimitOptions = {},
  ) {
    this.burst = options.burst ?? 5;
    this.perSecond = options.perSecond ?? 1;
    this.maxClients = options.maxClients ?? 10_000;
  }

  /**
   * Throws TOO_MANY_REQUESTS if `client` has used up its failed attempts; call before comparing a
   * password.
   */
  admit(client: string): void {
    const b = this.refilled(client);
    if (b === undefined || b.tokens >= 1) return;
    const retryAfterMs = Math.ceil(((1 - b.tokens) / this.perSecond) * 1000);
    throw Object.assign(
      new ServerError(
        ErrorCode.TooManyRequests,
        `etcdserver: too many failed authentication attempts from this client; retry in ${retryAfterMs} ms`,
        true,
      ),
      { retryAfterMs },
    );
  }

  /** Counts a failed attempt of `client` (a wrong password or an unknown user). */
  failed(client: string): void {
    const now = this.clock.nowMs();
    const b = this.refilled(client) ?? { tokens: this.burst, atMs: now };
    b.tokens -= 1;
    this.buckets.delete(client);
    this.buckets.set(client, b);
    if (this.buckets.size > this.maxClients) this.evict(now);
  }

  private refilled(client: string): Bucket | undefined {
    const b = this.buckets.get(client);
    if (b === undefined) return undefined;
    const now = this.clock.nowMs();
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.atMs) / 1000) * this.perSecond);
    b.atMs = now;
    return b;
  }

  private evict(now: number): void {
    for (const [client, b] of this.buckets) {
      if (b.tokens + ((now - b.atMs) / 1000) * this.perSecond >= this.burst) this.buckets.delete(client);
    }
    // Map order is least recently used first (take() re-inserts).
    for (const client of this.buckets.keys()) {
      if (this.buckets.size <= this.maxClients) break;
      this.buckets.delete(client);
    }
  }
}
