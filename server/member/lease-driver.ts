/**
 * The leader's side of leases (etcd's revokeExpiredLeases and checkpointing): time decides when to
 * propose, only the log changes state. On every Raft tick the leader asks the lessor which leases
 * expired and proposes their revokes, and proposes checkpoints of remaining TTLs so that a later
 * leader does not extend them forever. On becoming leader it promotes the lessor (fresh deadlines
 * plus an election timeout of grace, so a leader change never expires a lease early); on losing
 * leadership it demotes it.
 */
import type { Clock } from '../platform/clock.js';
import type { Logger } from '../platform/logger.js';
import type { Lessor } from '../lease/index.js';
import type { Command } from '../apply/index.js';

export interface LeaseDriverDeps {
  readonly lessor: Lessor;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Propose a command; failures are logged and retried on a later tick. */
  readonly propose: (command: Command) => Promise<unknown>;
  /** Extra grace a new leader gives every lease (the election timeout). */
  readonly promoteGraceMs: number;
  /** Revokes proposed concurrently, at most (the rest wait for later ticks). */
  readonly maxRevokesInFlight?: number;
}

export class LeaseDriver {
  private leading = false;
  private readonly inFlight = new Set<number>();
  private checkpointInFlight = false;

  constructor(private readonly deps: LeaseDriverDeps) {}

  /** The member's leadership changed. */
  onLeaderChange(isLeader: boolean): void {
    if (isLeader === this.leading) return;
    this.leading = isLeader;
    if (isLeader) this.deps.lessor.promote(this.deps.clock.nowMs(), this.deps.promoteGraceMs);
    else {
      this.deps.lessor.demote();
      this.inFlight.clear();
    }
  }

  /** Called after each Raft tick. */
  onTick(): void {
    if (!this.leading) return;
    const now = this.deps.clock.nowMs();
    const max = this.deps.maxRevokesInFlight ?? 100;
    for (const id of this.deps.lessor.expired(now)) {
      if (this.inFlight.has(id) || this.inFlight.size >= max) continue;
      this.inFlight.add(id);
      this.deps
        .propose({ type: 'leaseRevoke', id })
        .catch((err: unknown) =>
          this.deps.logger.warn('lease revoke failed; will retry', { lease: id, error: err }),
        )
        .finally(() => this.inFlight.delete(id));
    }
    if (this.checkpointInFlight) return;
    const checkpoints = this.deps.lessor.dueCheckpoints(now);
    if (checkpoints.length === 0) return;
    this.checkpointInFlight = true;
    this.deps
      .propose({ type: 'leaseCheckpoint', checkpoints })
      .catch((err: unknown) => this.deps.logger.warn('lease checkpoint failed', { error: err }))
      .finally(() => {
        this.checkpointInFlight = false;
      });
  }
}
