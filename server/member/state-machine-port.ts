/**
 * Adapts the apply layer's StateMachine to the replica's narrow `StateMachine<R>` port: the
 * replica hands over an entry's command bytes, the apply layer decodes and applies them.
 */
import { decodeCommand, type ApplyResult, type StateMachine } from '../apply/index.js';
import type { StateMachine as ReplicaStateMachine, SnapshotSource } from '../replica/index.js';
import type { Clock } from '../platform/clock.js';

export class StateMachinePort implements ReplicaStateMachine<ApplyResult> {
  private readonly revokedListeners = new Set<(leaseId: number) => void>();

  constructor(
    readonly machine: StateMachine,
    private readonly clock: Clock,
  ) {}

  apply(index: number, command: Uint8Array): ApplyResult {
    // The lessor starts a lease's deadline from the latest time it saw (primary only).
    this.machine.lessor.observeTime(this.clock.nowMs());
    const result = this.machine.applyEntry(index, command);
    if (result.status === 'ok' && result.response.type === 'leaseRevoke' && this.revokedListeners.size > 0) {
      // Revokes are rare: decode again to learn the id (keep-alive streams of it end at once).
      const decoded = decodeCommand(command, command.length + 1);
      if (decoded.type === 'leaseRevoke') for (const l of this.revokedListeners) l(decoded.id);
    }
    return result;
  }

  /** Tells `listener` of every lease revoke applied on this member (explicit or expiry). */
  onLeaseRevoked(listener: (leaseId: number) => void): () => void {
    this.revokedListeners.add(listener);
    return () => this.revokedListeners.delete(listener);
  }

  snapshot(): Uint8Array {
    return this.machine.snapshot();
  }

  /** The state at the applied index, serialised slice by slice in the background (replica). */
  beginSnapshot(): SnapshotSource {
    return this.machine.beginSnapshot();
  }

  restore(data: Uint8Array): void {
    // An empty payload is a brand-new member's initial snapshot: the machine is already empty.
    if (data.length === 0) return;
    this.machine.restore(data);
  }
}
