/** The real wall clock (Node adapter for `Clock`). */
import type { Clock } from './clock.js';

export class NodeClock implements Clock {
  nowMs(): number {
    return Date.now();
  }
}
