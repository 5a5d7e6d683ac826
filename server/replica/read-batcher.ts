/**
 * Linearizable reads through Raft's ReadIndex, batched: every read that arrives while a round is
 * being prepared shares one ReadIndex request (one heartbeat round on the leader). A read
 * resolves once the member has applied up to the confirmed read index; it then reads local state.
 */
import { timeout } from '../errors.js';
import type { TimerHandle, Timers } from '../platform/timers.js';

interface ReadWaiter {
  settled: boolean;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
  readonly timer: TimerHandle | undefined;
  readonly cleanup: () => void;
}

export class ReadBatcher {
  private queued: ReadWaiter[] = [];
  private readonly inflight = new Map<string, ReadWaiter[]>();
  private confirmed: { index: number; waiters: ReadWaiter[] }[] = [];
  private flushScheduled = false;
  private seq = 0;

  constructor(
    private readonly prefix: string,
    private readonly timers: Timers,
    /** Issue a ReadIndex request; throws (a ServerError) if refused. */
    private readonly requestReadIndex: (context: string) => void,
  ) {}

  read(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
        return;
      }
      const onAbort = (): void =>
        settle(waiter, signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = this.timers.setTimeout(
        () => settle(waiter, timeout('read timed out waiting for the read index')),
        timeoutMs,
      );
      const waiter: ReadWaiter = {
        settled: false,
        resolve,
        reject,
        timer,
        cleanup: () => {
          signal?.removeEventListener('abort', onAbort);
          this.timers.clearTimeout(timer);
        },
      };
      this.queued.push(waiter);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queued.filter((w) => !w.settled);
    this.queued = [];
    if (batch.length === 0) return;
    const context = `${this.prefix}-${++this.seq}`;
    try {
      this.requestReadIndex(context);
    } catch (err) {
      for (const w of batch) settle(w, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.inflight.set(context, batch);
  }

  /** Raft confirmed the read index for `context`. */
  onReadState(index: number, context: string, appliedIndex: number): void {
    const batch = this.inflight.get(context);
    if (batch === undefined) return;
    this.inflight.delete(context);
    this.confirmed.push({ index, waiters: batch });
    this.onApplied(appliedIndex);
  }

  onApplied(appliedIndex: number): void {
    if (this.confirmed.length === 0) return;
    const still: { index: number; waiters: ReadWaiter[] }[] = [];
    for (const c of this.confirmed) {
      if (c.index <= appliedIndex) for (const w of c.waiters) settle(w, undefined);
      else still.push(c);
    }
    this.confirmed = still;
  }

  /** Requests sent to a leader that is gone will never be answered: drop them (waiters time out or retry). */
  forgetInflight(): void {
    for (const [ctx, batch] of this.inflight) {
      if (batch.every((w) => w.settled)) this.inflight.delete(ctx);
    }
  }

  failAll(error: () => Error): void {
    for (const w of this.queued) settle(w, error());
    for (const batch of this.inflight.values()) for (const w of batch) settle(w, error());
    for (const c of this.confirmed) for (const w of c.waiters) settle(w, error());
    this.queued = [];
    this.inflight.clear();
    this.confirmed = [];
  }
}

function settle(w: ReadWaiter, error: Error | undefined): void {
  if (w.settled) return;
  w.settled = true;
  w.cleanup();
  if (error === undefined) w.resolve();
  else w.reject(error);
}
