import { assert } from '../assert.js';

/**
 * The last indexes of MsgApps sent to one follower and not yet acknowledged: a bounded window that
 * throttles a follower in replicate state. Acknowledgements free everything up to their index.
 */
export class Inflights {
  private readonly buf: number[] = [];

  constructor(readonly capacity: number) {
    assert(capacity > 0, 'inflights: capacity must be positive');
  }

  add(lastIndex: number): void {
    assert(!this.full(), 'inflights: add to a full window');
    const last = this.buf[this.buf.length - 1];
    assert(last === undefined || lastIndex >= last, 'inflights: indexes must not decrease');
    this.buf.push(lastIndex);
  }

  freeLE(index: number): void {
    let n = 0;
    while (n < this.buf.length && this.buf[n]! <= index) n++;
    if (n > 0) this.buf.splice(0, n);
  }

  /** Make room for one more append (the oldest one was probably lost). */
  freeFirstOne(): void {
    this.buf.shift();
  }

  full(): boolean {
    return this.buf.length >= this.capacity;
  }

  count(): number {
    return this.buf.length;
  }

  reset(): void {
    this.buf.length = 0;
  }
}
