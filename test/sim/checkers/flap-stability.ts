/**
 * The early pre-vote must never unseat a healthy leader: under the flap profile (options.ts
 * `isFlapOnly`: connection flaps and nothing else that could cost a leader its term), no member's
 * term may move past the term the leader held when the first flap happened, for the whole fault
 * phase. A follower that cannot reach a live leader may campaign, but the other voters, still in
 * their lease and with their own connections fine, must ignore it (raft.ts `sharesLeaderLoss`).
 */
import { Invariant, Violation } from './violation.js';

export class FlapStabilityChecker {
  private leaderTerm: number | undefined;
  private flaps = 0;

  /** A flap starts while a leader of `term` leads. */
  onFlap(term: number): void {
    this.flaps++;
    this.leaderTerm ??= term;
  }

  get flapCount(): number {
    return this.flaps;
  }

  /** `highestTerm`: the highest term any member has seen so far. */
  check(highestTerm: number, nowMs: number): void {
    if (this.leaderTerm === undefined || highestTerm <= this.leaderTerm) return;
    throw new Violation(
      Invariant.FlapDisruption,
      `term moved from ${this.leaderTerm} to ${highestTerm} at ${nowMs.toFixed(1)}ms under connection flaps ` +
        `alone (${this.flaps} flaps so far): a flap unseated a healthy leader`,
    );
  }
}
