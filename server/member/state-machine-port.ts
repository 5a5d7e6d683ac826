/**
 * Adapts the apply layer's StateMachine to the replica's narrow `StateMachine<R>` port: the
 * replica hands over an entry's command bytes, the apply layer decodes and applies them.
 */
import type { ApplyResult, StateMachine } from '../apply/index.js';
import type { StateMachine as ReplicaStateMachine } from '../replica/index.js';
import type { Clock } from '../platform/clock.js';

export class StateMachinePort implements ReplicaStateMachine<ApplyResult> {
  constructor(
    readonly machine: StateMachine,
    private readonly clock: Clock,
  ) {}

  apply(index: number, command: Uint8Array): ApplyResult {
    // The lessor starts a lease's deadline from the latest time it saw (primary only).
    this.machine.lessor.observeTime(this.clock.nowMs());
    return this.machine.applyEntry(index, command);
  }

  snapshot(): Uint8Array {
    return this.machine.snapshot();
  }

  restore(data: Uint8Array): void {
    // An empty payload is a brand-new member's initial snapshot: the machine is already empty.
    if (data.length === 0) return;
    this.machine.restore(data);
  }
}
