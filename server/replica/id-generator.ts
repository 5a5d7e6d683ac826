/**
 * Unique ids decided before proposing (request ids, lease ids), after etcd's pkg/idutil: the low
 * 16 bits of the member id, then a counter seeded from the clock at start, so ids from different
 * members never collide and a restarted member does not reuse ids. Fits in 53 bits:
 *
 *   [16 bits member][37 bits counter]
 *
 * The counter starts at (milliseconds since start of 2024 × 2^6) mod 2^37 — unique across restarts
 * unless a member restarts and issues more than 64 ids per ms sustained since the previous start.
 */
import type { Clock } from '../platform/clock.js';

const COUNTER_BITS = 37;
const COUNTER_MOD = 2 ** COUNTER_BITS;
const EPOCH_MS = Date.UTC(2024, 0, 1);

export class IdGenerator {
  private readonly prefix: number;
  private counter: number;

  constructor(memberId: number, clock: Clock) {
    this.prefix = (memberId & 0xffff) * COUNTER_MOD;
    // Whole milliseconds: a clock with a fractional part (a simulated one) must still give integer ids.
    this.counter = (Math.floor(Math.max(0, clock.nowMs() - EPOCH_MS)) * 64) % COUNTER_MOD;
  }

  next(): number {
    this.counter = (this.counter + 1) % COUNTER_MOD;
    // 0 means "no id" in several places (lease 0 = no lease): skip it.
    if (this.prefix === 0 && this.counter === 0) this.counter = 1;
    return this.prefix + this.counter;
  }
}
