/**
 * Checks every `livenessIntervalMs` that the member behind one connection still answers (a cheap
 * status request). A frozen member keeps the socket open and silent, so without this the client
 * would wait on it forever: watches and keep-alives never time out on their own. A probe that gets
 * no answer within `livenessTimeoutMs` reports the connection unresponsive; any answer, an error
 * included, proves the member alive.
 *
 * At most one timer is pending at any time, and `stop()` clears it: a monitor must never keep the
 * process alive after its connection or its client is gone.
 */
import type { Connection } from './connection.js';
import type { ClientClock } from './options.js';

export interface LivenessOptions {
  readonly clock: ClientClock;
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

export class LivenessMonitor {
  private timer: object | undefined;
  private probe: AbortController | undefined;
  private stopped = false;

  constructor(
    private readonly conn: Connection,
    private readonly options: LivenessOptions,
    private readonly onUnresponsive: () => void,
  ) {}

  start(): void {
    this.scheduleNext();
  }

  /** The next periodic probe (none when probing is off: `intervalMs` 0). */
  private scheduleNext(): void {
    if (this.options.intervalMs > 0) this.schedule(() => this.check(), this.options.intervalMs);
  }

  /** Idempotent; nothing of the monitor runs afterwards. */
  stop(): void {
    this.stopped = true;
    this.clearTimer();
    this.probe?.abort();
    this.probe = undefined;
  }

  private schedule(fn: () => void, ms: number): void {
    this.clearTimer();
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (!this.stopped && !this.conn.isClosed) fn();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Probes now, with `timeoutMs` to answer (a request just met its deadline on a silent
   * connection: frozen member, or a live one whose answer waits on someone else, such as a follower
   * whose forwarded write waits for a dead leader). A probe already under way decides instead.
   */
  checkNow(timeoutMs: number): void {
    if (this.stopped || this.conn.isClosed || this.probe !== undefined) return;
    this.check(timeoutMs);
  }

  private check(timeoutMs = this.options.timeoutMs): void {
    const probe = new AbortController();
    this.probe = probe;
    let timedOut = false;
    this.schedule(() => {
      timedOut = true;
      probe.abort();
    }, timeoutMs);
    const settled = (): boolean => {
      if (this.probe === probe) this.probe = undefined;
      this.clearTimer();
      return !this.stopped && !this.conn.isClosed;
    };
    this.conn.request('maintenance.status', {}, { signal: probe.signal }).then(
      () => {
        if (settled()) this.scheduleNext();
      },
      () => {
        if (!settled()) return;
        if (timedOut) this.onUnresponsive();
        // The member answered (with an error): it is alive.
        else this.scheduleNext();
      },
    );
  }
}
