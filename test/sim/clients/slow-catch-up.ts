/**
 * A member whose watches catch up slowly, so that a compaction can overtake a watch that is still
 * catching up and the member must cancel it with COMPACTED (the watch then says so: its end carries
 * the compact revision, which watch-delivery.ts checks).
 *
 * A real member catches a watcher up in rounds (WatchableStore.sync: at most maxRevisionsPerSync
 * revisions per round, the watch pump yielding to the event loop between rounds). The simulator
 * runs a zero-delay round at the same virtual instant, so a catch-up always finishes before any
 * Raft message moves and a compaction can never land in between. Two knobs restore the window:
 * - the member's StateMachine catches up a few revisions per round (`SLOW_CATCH_UP_MACHINE`, for
 *   the member builder: `new StateMachine({ ...SLOW_CATCH_UP_MACHINE, ... })`);
 * - each round waits `CATCH_UP_ROUND_MS` of virtual time (`slowCatchUpTimers`, the `timers` given
 *   to the member's request path, which defers the watch pump's rounds on them and on nothing else).
 * A watch from a few hundred revisions back then takes tens of virtual ms to catch up, longer than
 * a compaction takes to commit and apply.
 */
import type { StateMachineOptions } from '../../../server/apply/index.js';
import type { TimerHandle, Timers } from '../../../server/platform/timers.js';

/** Revisions a watcher catches up per round on a simulated member. */
export const CATCH_UP_REVISIONS_PER_ROUND = 2;

/** Virtual ms between two catch-up rounds. */
export const CATCH_UP_ROUND_MS = 1;

/** The StateMachine options of a member whose watches catch up slowly. */
export const SLOW_CATCH_UP_MACHINE: StateMachineOptions = {
  watch: { maxRevisionsPerSync: CATCH_UP_REVISIONS_PER_ROUND },
};

/** The request path's timers: its zero-delay deferrals (watch catch-up rounds) take `roundMs`. */
export function slowCatchUpTimers(timers: Timers, roundMs = CATCH_UP_ROUND_MS): Timers {
  return {
    setTimeout: (callback: () => void, delayMs: number): TimerHandle =>
      timers.setTimeout(callback, Math.max(delayMs, roundMs)),
    clearTimeout: (handle: TimerHandle): void => timers.clearTimeout(handle),
  };
}
