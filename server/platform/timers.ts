/** Opaque handle returned by `Timers.setTimeout`. */
export interface TimerHandle {
  readonly id: number;
}

/** Timers, injected so that the simulator can fire them on virtual time. */
export interface Timers {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}
