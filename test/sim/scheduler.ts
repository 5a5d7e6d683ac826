/**
 * Virtual time for the simulator: one queue of events ordered by (timeMs, seq). `seq` is a global
 * insertion counter, so two events at the same virtual instant run in the order they were scheduled
 * and a seed replays exactly. Nothing here reads a real clock.
 *
 * Cancellation is lazy: a cancelled event stays in the heap and is skipped when it reaches the top,
 * which keeps `cancel` O(1) (timers are cancelled often: every crash drops a node's tick timer).
 */
import { assert } from '../../server/assert.js';
import type { Trace, TraceSubject } from './trace.js';

export interface ScheduledEvent {
  readonly timeMs: number;
  readonly seq: number;
  /** A short constant label for the trace ("tick", "deliver", "fsync", ...). */
  readonly label: string;
  readonly node: number;
  readonly subject: TraceSubject;
  readonly run: () => void;
  cancelled: boolean;
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}

export class Scheduler {
  private readonly heap: ScheduledEvent[] = [];
  private seq = 0;
  private now = 0;
  /** Events executed so far (cancelled ones are not counted). */
  executed = 0;

  constructor(private readonly trace?: Trace) {}

  get nowMs(): number {
    return this.now;
  }

  get pendingCount(): number {
    return this.heap.length;
  }

  /** Schedule `run` after `delayMs` (≥ 0) of virtual time. */
  after(
    delayMs: number,
    label: string,
    node: number,
    subject: TraceSubject,
    run: () => void,
  ): ScheduledEvent {
    assert(delayMs >= 0 && Number.isFinite(delayMs), () => `scheduler: bad delay ${delayMs}`);
    const event: ScheduledEvent = {
      timeMs: this.now + delayMs,
      seq: this.seq++,
      label,
      node,
      subject,
      run,
      cancelled: false,
    };
    this.push(event);
    return event;
  }

  cancel(event: ScheduledEvent | undefined): void {
    if (event !== undefined) event.cancelled = true;
  }

  /** Runs the next live event. Returns false when the queue is empty or the next event is after `untilMs`. */
  step(untilMs = Infinity): boolean {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || top.timeMs > untilMs) return false;
      this.pop();
      if (top.cancelled) continue;
      assert(top.timeMs >= this.now, 'scheduler: time went backwards');
      this.now = top.timeMs;
      this.executed++;
      this.trace?.recordEvent(top.timeMs, top.label, top.node, top.subject);
      top.run();
      return true;
    }
  }

  /** Moves the clock to `timeMs` without running anything (used when the queue ran dry before it). */
  advanceTo(timeMs: number): void {
    if (timeMs > this.now) this.now = timeMs;
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as ScheduledEvent;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop() as ScheduledEvent;
    if (heap.length === 0) return;
    let i = 0;
    const n = heap.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && before(heap[r] as ScheduledEvent, heap[l] as ScheduledEvent)) c = r;
      const child = heap[c] as ScheduledEvent;
      if (!before(child, last)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
  }
}
