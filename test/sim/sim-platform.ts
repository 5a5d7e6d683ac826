/**
 * The replica's platform ports (server/replica/ports.ts: clock, timers, random) on the simulator's
 * virtual time. One instance per incarnation of a member: `dispose()` (a crash) cancels every timer
 * it still has, so nothing of a dead incarnation runs again.
 */
import type { Clock } from '../../server/platform/clock.js';
import type { SeededRandom } from '../../server/platform/random.js';
import type { TimerHandle, Timers } from '../../server/platform/timers.js';
import type { ReplicaPlatform } from '../../server/replica/index.js';
import type { ScheduledEvent, Scheduler } from './scheduler.js';

/**
 * Virtual time 0 is this wall-clock instant. The replica's request ids are seeded from the clock
 * (server/replica/id-generator.ts), and an epoch before 2024 would seed every incarnation at 0: a
 * restarted member would reuse its previous incarnation's ids and take their results for its own.
 */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

export class SimPlatform implements ReplicaPlatform, Clock, Timers {
  readonly clock: Clock = this;
  readonly timers: Timers = this;
  private readonly pending = new Map<number, ScheduledEvent>();
  private nextId = 1;
  private disposed = false;

  /**
   * `afterCallback` runs after every timer callback (the replica's ticks, request timeouts, read
   * batches): the simulator reads the member's live role there, as it does after every message.
   */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly node: number,
    readonly random: SeededRandom,
    private readonly afterCallback: () => void = () => undefined,
  ) {}

  /** Whole milliseconds, as Date.now() gives (virtual time is fractional; ids are built from this). */
  nowMs(): number {
    return SIM_EPOCH_MS + Math.floor(this.scheduler.nowMs);
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const handle = { id: this.nextId++ };
    if (this.disposed) return handle;
    const event = this.scheduler.after(Math.max(0, delayMs), 'timer', this.node, undefined, () => {
      this.pending.delete(handle.id);
      callback();
      this.afterCallback();
    });
    this.pending.set(handle.id, event);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.scheduler.cancel(this.pending.get(handle.id));
    this.pending.delete(handle.id);
  }

  /** The incarnation is gone: its timers never fire, new ones are never scheduled. */
  dispose(): void {
    this.disposed = true;
    for (const event of this.pending.values()) this.scheduler.cancel(event);
    this.pending.clear();
  }
}
