/**
 * Leader routing (`routing: 'leader'`, the default): should the client move its connection to the
 * leader, and where. A write sent to a follower is forwarded by it through Raft and answered only
 * once the follower has applied it (two more network and event-loop hops than on the leader), a
 * linearizable read there waits for a ReadIndex round trip to the leader, and only the leader renews
 * leases. So when the member the client is connected to says that another member leads (in its
 * welcome, in a `leader_changed` notice, or in the member list when the notice had no URL yet), the
 * client moves its one connection there, as it does after a NOT_LEADER answer.
 *
 * This module holds the decision and the memory of failed moves; the client core dials and moves
 * (core.ts). A leader that cannot be dialled from the client (wrong advertise URL, a network that
 * only reaches some members) is not a failure of the client: it stays on the member it has, whose
 * forwarding works, and tries that leader URL again after a delay that doubles up to a minute.
 *
 * A member that knows no leader for longer than an election takes (`NO_LEADER_GRACE_MS`: an
 * isolated former leader, which steps down and hears of no successor until the partition heals)
 * cannot serve writes; with all of the client on it, the client looks for a member that does, as
 * after a going_away: it moves to the next endpoint, whose welcome names the leader. Each search
 * that finds none doubles the wait before the next (up to a minute), so a cluster without quorum
 * does not make the client bounce.
 */
import { normalizeEndpoint } from './options.js';

/** What the current member says about the leader. */
export interface LeaderView {
  /** The leader's member id; 0: none known (an election). */
  readonly leaderId: number;
  /** The client URLs the leader published; empty: not known yet. */
  readonly urls: readonly string[];
}

export type RouteDecision =
  /** Connected to the leader, or routing is off: nothing to do. */
  | { readonly action: 'stay' }
  /** No leader known for too long: move to another endpoint (which may know one). */
  | { readonly action: 'elsewhere' }
  /** Dial `endpoint` and move there. */
  | { readonly action: 'move'; readonly endpoint: string }
  /** The leader's URL failed recently: decide again in `delayMs`. */
  | { readonly action: 'wait'; readonly delayMs: number }
  /** The leader is known but not its URLs: look them up in the member list. */
  | { readonly action: 'lookup' };

/** First and largest delay before a leader URL that could not be dialled is tried again. */
export const LEADER_RETRY_FIRST_MS = 1000;
export const LEADER_RETRY_MAX_MS = 60_000;
/** How long a member may know no leader before the client looks elsewhere (a few elections). */
export const NO_LEADER_GRACE_MS = 2000;

interface Backoff {
  readonly untilMs: number;
  readonly delayMs: number;
}

export class LeaderRoute {
  private readonly backoff = new Map<string, Backoff>();
  /** Moves elsewhere since a leader was last seen (doubles the grace before the next). */
  private searches = 0;

  constructor(private readonly nowMs: () => number) {}

  /**
   * Where a client connected to member `memberId` at `endpoint` should be, given what that member
   * says about the leader (and, when it knows none, for how long it has known none).
   */
  decide(memberId: number, endpoint: string, view: LeaderView, noLeaderForMs: number): RouteDecision {
    if (view.leaderId === 0) {
      const graceMs = Math.min(LEADER_RETRY_MAX_MS, NO_LEADER_GRACE_MS * 2 ** Math.min(this.searches, 10));
      if (noLeaderForMs < graceMs) return { action: 'wait', delayMs: graceMs - noLeaderForMs };
      this.searches++;
      return { action: 'elsewhere' };
    }
    this.searches = 0;
    if (view.leaderId === memberId) return { action: 'stay' };
    const target = firstEndpoint(view.urls);
    if (target === undefined) return { action: 'lookup' };
    // A member that names another leader at our own address (a proxy in front of several
    // members): moving cannot help.
    if (target === endpoint) return { action: 'stay' };
    const b = this.backoff.get(target);
    const waitMs = b === undefined ? 0 : b.untilMs - this.nowMs();
    return waitMs > 0 ? { action: 'wait', delayMs: waitMs } : { action: 'move', endpoint: target };
  }

  /**
   * Dialling `endpoint` (or keeping a connection there) failed: wait longer before the next try,
   * at least `minDelayMs`. A member given up as frozen passes its liveness timeout here: the
   * members that still name it as leader (their lease has not run out) would otherwise send the
   * client straight back to it, into a dial that hangs until its connect timeout.
   */
  failed(endpoint: string, minDelayMs = 0): void {
    const previous = this.backoff.get(endpoint);
    const delayMs = Math.max(
      minDelayMs,
      previous === undefined ? LEADER_RETRY_FIRST_MS : Math.min(LEADER_RETRY_MAX_MS, previous.delayMs * 2),
    );
    this.backoff.set(endpoint, { untilMs: this.nowMs() + delayMs, delayMs });
  }

  /** A connection to `endpoint` is up: forget its failures. */
  succeeded(endpoint: string): void {
    this.backoff.delete(endpoint);
  }
}

/** The first of `urls` that is a valid endpoint, normalized as the pool's endpoints are. */
function firstEndpoint(urls: readonly string[]): string | undefined {
  for (const url of urls) {
    try {
      return normalizeEndpoint(url);
    } catch {
      // a URL this client cannot dial (another scheme): try the next
    }
  }
  return undefined;
}
