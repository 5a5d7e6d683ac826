/**
 * Real timers (Node adapter for `Timers`). Handles are small numbered objects so that code written
 * against `Timers` never sees a `NodeJS.Timeout`. `pending()` exists for leak checks in tests.
 */
import type { TimerHandle, Timers } from './timers.js';

export class NodeTimers implements Timers {
  private nextId = 1;
  private readonly live = new Map<number, NodeJS.Timeout>();

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const timeout = setTimeout(() => {
      this.live.delete(id);
      callback();
    }, delayMs);
    this.live.set(id, timeout);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const timeout = this.live.get(handle.id);
    if (timeout === undefined) return;
    clearTimeout(timeout);
    this.live.delete(handle.id);
  }

  /** How many timers are scheduled and not yet fired or cleared. */
  pending(): number {
    return this.live.size;
  }
}
