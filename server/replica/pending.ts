/**
 * Proposals this member made that have not been applied yet, by request id. Each ends exactly
 * once: applied (resolve), refused or failed (reject), timed out or aborted (reject, and the
 * outcome is unknown: the entry may still commit later).
 */
import type { TimerHandle, Timers } from '../platform/timers.js';

interface Waiter<R> {
  readonly resolve: (value: R) => void;
  readonly reject: (error: Error) => void;
  readonly timer: TimerHandle | undefined;
  readonly cleanup: () => void;
}

export class PendingRequests<R> {
  private readonly waiters = new Map<number, Waiter<R>>();

  constructor(private readonly timers: Timers) {}

  get size(): number {
    return this.waiters.size;
  }

  /**
   * Register `id`; the promise settles when `resolve`/`reject` is called for it, after `timeoutMs`
   * with `onTimeout()`, or when `signal` aborts with its reason.
   */
  wait(id: number, timeoutMs: number, onTimeout: () => Error, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        return;
      }
      const onAbort = (): void =>
        this.reject(id, signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer =
        timeoutMs > 0 ? this.timers.setTimeout(() => this.reject(id, onTimeout()), timeoutMs) : undefined;
      this.waiters.set(id, {
        resolve,
        reject,
        timer,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
    });
  }

  has(id: number): boolean {
    return this.waiters.has(id);
  }

  resolve(id: number, value: R): void {
    const w = this.take(id);
    w?.resolve(value);
  }

  reject(id: number, error: Error): void {
    const w = this.take(id);
    w?.reject(error);
  }

  rejectAll(error: () => Error): void {
    for (const id of [...this.waiters.keys()]) this.reject(id, error());
  }

  private take(id: number): Waiter<R> | undefined {
    const w = this.waiters.get(id);
    if (w === undefined) return undefined;
    this.waiters.delete(id);
    if (w.timer !== undefined) this.timers.clearTimeout(w.timer);
    w.cleanup();
    return w;
  }
}
