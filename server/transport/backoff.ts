/**
 * Exponential reconnect backoff with jitter. The n-th consecutive failure waits
 * `base = min(maxMs, minMs · 2^n)`, then "equal jitter" takes a random 0–50 % off, never going
 * below `minMs`: the delay is in `[max(minMs, base/2), base]`. Jitter keeps members that lost a
 * peer at the same instant from redialling in lock step. Pure: randomness is injected.
 */
import type { Random } from '../platform/random.js';

export class Backoff {
  private failures = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: Random,
  ) {}

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.failures, 52));
    this.failures++;
    const jittered = base - Math.floor((base / 2) * this.random.float());
    return Math.max(this.minMs, jittered);
  }

  /** A connection succeeded: the next failure starts again from `minMs`. */
  reset(): void {
    this.failures = 0;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }
}
