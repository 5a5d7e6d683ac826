/** Simple tokens as a member keeps them (token-spec.ts describes the token kinds). */
import type { Clock } from '../platform/clock.js';
import type { TokenInfo } from './token-spec.js';

interface Kept {
  readonly info: TokenInfo;
  expiresAtMs: number;
}

/** The member's simple tokens (see the file comment). Bounded: the oldest go first past `maxTokens`. */
export class SimpleTokenKeeper {
  private readonly tokens = new Map<string, Kept>();
  private counter = 0;

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxTokens = 100_000,
  ) {}

  /**
   * A fresh token to propose: 128 random bits from the platform's cryptographic source (Web
   * Crypto, a global in Node: no import), unguessable, plus a counter as etcd's has.
   */
  generate(): string {
    const bits = globalThis.crypto.getRandomValues(new Uint8Array(16));
    return `${Buffer.from(bits).toString('base64url')}.${++this.counter}`;
  }

  /** Called when an `assignToken` op is applied here. */
  assign(token: string, name: string, revision: number): void {
    this.tokens.set(token, { info: { name, revision }, expiresAtMs: this.clock.nowMs() + this.ttlMs });
    if (this.tokens.size > this.maxTokens) this.sweep();
    for (const oldest of this.tokens.keys()) {
      if (this.tokens.size <= this.maxTokens) break;
      this.tokens.delete(oldest);
    }
  }

  /** The token's user, renewing its TTL; undefined if unknown or expired. */
  verify(token: string): TokenInfo | undefined {
    const kept = this.tokens.get(token);
    if (kept === undefined) return undefined;
    const now = this.clock.nowMs();
    if (kept.expiresAtMs <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    kept.expiresAtMs = now + this.ttlMs;
    return kept.info;
  }

  /** Drops expired tokens. */
  sweep(): void {
    const now = this.clock.nowMs();
    for (const [token, kept] of this.tokens) if (kept.expiresAtMs <= now) this.tokens.delete(token);
  }

  get size(): number {
    return this.tokens.size;
  }
}
