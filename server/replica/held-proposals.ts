/**
 * Proposals held while the leader's successor is being elected (issue 19).
 *
 * A follower whose peer connection to its leader closed (the leader's process most likely died)
 * refuses to forward proposals to that leader, and every member refuses them while no leader is
 * known (Raft's NO_LEADER). Answered at once, such a refusal sends the client into its backoff, and
 * the write lands whenever its next retry happens to come after the election. Instead, for one
 * election timeout after this member saw its leader's connection close, the replica holds the
 * refused proposal and proposes it again as soon as a leader is known (after every Ready and
 * every tick): the write goes through in the same call, one commit after the election, as etcd's
 * node holds proposals while it has no leader.
 *
 * A follower also holds a proposal while its connection to the leader is closed and the redial
 * probe has not decided yet (the moments before Raft suspects the leader): forwarded then, it would
 * be dropped by the transport for certain, and its caller would wait out its deadline.
 *
 * A held proposal was never handed to Raft, so one that cannot be proposed in time (the window
 * ends with no leader, or its own deadline comes first) is refused with UNAVAILABLE: nothing was
 * proposed, retrying is safe. Silent failures close no connection and open no window: their
 * refusals stay immediate, as before.
 */
import { unavailable } from '../errors.js';
import { ProposalRefusedError, RaftRefusal } from '../raft/index.js';

/** Where a held proposal's caller waits (the replica's pending requests of its kind). */
export interface HeldWaiter {
  has(id: number): boolean;
  reject(id: number, error: Error): void;
}

interface Held {
  readonly data: Uint8Array;
  readonly waiter: HeldWaiter;
}

export class HeldProposals {
  private readonly held = new Map<number, Held>();
  /** Refusals for want of a leader are held until then (0: no successor expected). */
  private untilMs = 0;

  constructor(private readonly nowMs: () => number) {}

  get size(): number {
    return this.held.size;
  }

  /** This member's leader was found dead: a successor is expected within `windowMs`. */
  expectSuccessor(windowMs: number): void {
    this.untilMs = this.nowMs() + windowMs;
  }

  /** Whether `err` (what proposing threw) is a refusal to hold rather than answer now. */
  shouldHold(err: unknown): boolean {
    return (
      err instanceof ProposalRefusedError &&
      err.reason === RaftRefusal.NoLeader &&
      this.nowMs() < this.untilMs
    );
  }

  hold(id: number, data: Uint8Array, waiter: HeldWaiter): void {
    this.held.set(id, { data, waiter });
  }

  /**
   * The caller's deadline came while `id` was held: the error to answer with (UNAVAILABLE, never
   * proposed), or undefined if `id` is not held (it was proposed: the outcome is unknown).
   */
  expire(id: number): Error | undefined {
    if (!this.held.delete(id)) return undefined;
    return unavailable('no leader was elected in time; the request was not proposed, retry');
  }

  /**
   * Proposes the held proposals again, oldest first. Stops at the first refusal that is still to
   * be held (no leader yet); any other refusal (the window is over, a leader too busy) is answered
   * as it would have been at once. Returns whether anything was handed to Raft.
   */
  retry(
    propose: (data: Uint8Array) => void,
    toError: (err: unknown) => Error,
    blocked: () => boolean,
  ): boolean {
    // The leader's connection is still closed: the copy would be lost (replica.ts).
    if (blocked()) return false;
    let proposed = false;
    for (const [id, h] of this.held) {
      // Its caller gave up (aborted) meanwhile: forget it.
      if (!h.waiter.has(id)) {
        this.held.delete(id);
        continue;
      }
      try {
        propose(h.data);
      } catch (err) {
        if (this.shouldHold(err)) return proposed;
        this.held.delete(id);
        h.waiter.reject(id, toError(err));
        continue;
      }
      this.held.delete(id);
      proposed = true;
    }
    return proposed;
  }
}
