/**
 * Moves watch responses from the (pull-based, synchronous) watchable store to each watcher's
 * sink: after every applied batch, on every tick (idle progress), and in rounds while watchers
 * are catching up from history. Catch-up rounds yield to the event loop between batches so a
 * watcher that starts far in the past never blocks the member.
 *
 * The pump never reads the clock or schedules by itself: the next round is deferred through the
 * `defer` it is given (a real member passes `setImmediate`; the simulator a zero-delay timer of its
 * virtual time), so the same pump runs in both.
 */
import type { ErrorCode } from '../../client/protocol/error-codes.js';
import type { Timers } from '../platform/timers.js';
import type { WatchableStore, WatchRequest, WatchResponse } from '../watch/index.js';

export type WatchResponseSink = (response: WatchResponse) => void;

/** Why every watch ends at once (the member stops). */
export interface WatchEnding {
  readonly code: ErrorCode;
  readonly reason: string;
  /** The store revision the watches end at. */
  readonly revision: number;
}

/** Runs `fn` after the work queued now had its turn (not synchronously). */
export type Defer = (fn: () => void) => void;

/** A `Defer` on the `Timers` port: a zero-delay timer (virtual time in the simulator). */
export function deferOn(timers: Timers): Defer {
  return (fn) => {
    timers.setTimeout(fn, 0);
  };
}

export class WatchPump {
  private readonly sinks = new Map<number, WatchResponseSink>();
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly watchable: WatchableStore,
    private readonly defer: Defer,
  ) {}

  get watcherCount(): number {
    return this.sinks.size;
  }

  /** Creates a watcher; its responses (starting with `created`) go to `sink`. Throws typed errors. */
  create(request: WatchRequest, sink: WatchResponseSink): number {
    const id = this.watchable.watch(request);
    this.sinks.set(id, sink);
    this.schedule();
    return id;
  }

  cancel(watchId: number): void {
    this.sinks.delete(watchId);
    this.watchable.cancel(watchId);
  }

  requestProgress(watchId: number): void {
    if (this.watchable.requestProgress(watchId)) this.schedule();
  }

  /** After a batch of entries was applied. */
  onApplied(): void {
    this.pump();
  }

  onTick(nowMs: number): void {
    this.watchable.progressTick(nowMs);
    this.pump();
  }

  /**
   * Cancels every watcher. With `ending`, each sink is told first (a `canceled` response with its
   * code), as a client whose member went away must be; without, the sinks are dropped silently
   * (a real member closes its client connections before).
   */
  close(ending?: WatchEnding): void {
    this.closed = true;
    for (const [id, sink] of [...this.sinks]) {
      this.cancel(id);
      if (ending !== undefined) sink({ type: 'canceled', watchId: id, ...ending });
    }
  }

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.closed) return;
    this.watchable.sync();
    for (const id of this.watchable.pendingWatchIds()) {
      const sink = this.sinks.get(id);
      for (const response of this.watchable.take(id)) {
        if (response.type === 'canceled') this.sinks.delete(id);
        sink?.(response);
      }
    }
    // Watchers still catching up get another round after other work had a turn.
    if (this.watchable.groupSizes().unsynced > 0 || this.watchable.groupSizes().victims > 0) this.schedule();
  }
}
