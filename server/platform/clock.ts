/** Wall-clock milliseconds. Injected so that the simulator can run on virtual time. */
export interface Clock {
  nowMs(): number;
}
