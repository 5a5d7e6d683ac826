/**
 * What the simulator gives its simulated clients (sim-clients.ts). The clients reach members only
 * through `backend(id)`, the member's `ClientBackend` (server/api/backend.ts): the real request path
 * of a member from the point where a request has been decoded, without sockets.
 */
import type { ClientBackend } from '../../../server/api/index.js';
import type { SeededRandom } from '../../../server/platform/random.js';
import type { Scheduler } from '../scheduler.js';
import type { Trace } from '../trace.js';

export interface ClientHost {
  /** All client time comes from here (virtual ms); client timers are its events. */
  readonly scheduler: Scheduler;
  /** The clients fork it once; every choice they make draws from the fork. */
  readonly random: SeededRandom;
  readonly trace: Trace;
  /** Every member a client may talk to (down ones included). */
  memberIds(): readonly number[];
  /**
   * The member's live incarnation, undefined while it is down; a new object after a restart (so a
   * client notices a crash by the object changing). A dead incarnation's promises never settle.
   */
  backend(id: number): ClientBackend | undefined;
}
