/**
 * A clock and timers that move only when the test says so. `advance(ms)` fires due timers in
 * time order and drains pending promise callbacks after each, so async code driven by timers
 * (the replica's tick loop, request timeouts) runs deterministically without wall-clock waits.
 */
import type { Clock } from '../../server/platform/clock.js';
import type { TimerHandle, Timers } from '../../server/platform/timers.js';

interface Scheduled {
  readonly handle: TimerHandle;
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
}

/** Lets every queued promise callback (and what they queue in turn) run. */
export async function drainMicrotasks(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class ManualClock implements Clock, Timers {
  private now: number;
  private seq = 0;
  private nextId = 1;
  private readonly timers = new Map<number, Scheduled>();

  constructor(startMs = 1_700_000_000_000) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = { id: this.nextId++ };
    this.timers.set(handle.id, { handle, at: this.now + Math.max(0, delayMs), seq: this.seq++, callback });
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle.id);
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const until = this.now + ms;
    await drainMicrotasks();
    for (;;) {
      let next: Scheduled | undefined;
      for (const t of this.timers.values()) {
        if (t.at <= until && (next === undefined || t.at < next.at || (t.at === next.at && t.seq < next.seq)))
          next = t;
      }
      if (next === undefined) break;
      this.timers.delete(next.handle.id);
      this.now = next.at;
      next.callback();
      await drainMicrotasks();
    }
    this.now = until;
  }
}
