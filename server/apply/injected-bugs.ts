/**
 * Deliberately wrong behaviours of the state machine that only the simulator's self-tests switch
 * on, to prove that its checkers catch them. Never set in production: no CLI flag, config key or
 * MemberOptions reaches them (test/unit/cli/no-injected-bugs.test.ts). All default off.
 *
 * All are deterministic — every member that applies the same entries misbehaves the same way —
 * and the first two touch neither what `StateMachine.hash()` covers (the MVCC history and kept records, the
 * leases, the alarms), so members keep agreeing on the hash: the simulator has to catch them
 * through what clients see.
 */
import type { KeyValue, MvccStore, RevisionChanges } from '../mvcc/index.js';
import type { WatchSource } from '../watch/index.js';

export interface StateMachineInjectedBugs {
  /**
   * In a txn whose executed branch writes two or more keys, the watch event of the second write
   * is never delivered (live or when a watcher catches up); the write itself, its revision and the
   * store are unchanged. A member restored from a snapshot taken later delivers it again.
   */
  readonly skipTxnSecondWatchEvent?: boolean;
  /**
   * Applying a lease revoke (an expiry is one) hides the lease's keys from every read without a
   * new revision: the current revision does not move and no delete event is emitted, so a read at
   * the unchanged revision changes under a client and a watcher never learns the keys went.
   */
  readonly expireLeaseWithoutRevision?: boolean;
  /**
   * Applying a guarded write (`authGuarded`) skips its auth-revision check: a write admitted by
   * the permission check before a permission was revoked (or a user deleted, or auth changed in
   * any way) is applied under the new auth state instead of being refused with AUTH_OLD_REVISION.
   * This one does change the hashed state, identically on every member.
   */
  readonly skipAuthGuard?: boolean;
}

/**
 * The MVCC store as the watchable store sees it, minus the second event of each txn revision
 * (`skipTxnSecondWatchEvent`). The state machine runs each txn inside `duringTxn`, so that the
 * revision it commits — heard synchronously by the subscribers — is known to be a txn's.
 */
export class TxnSecondEventHider implements WatchSource {
  private inTxn = false;
  /** Revisions written by a txn with two or more changes (compacted ones are pruned now and then). */
  private readonly hidden = new Set<number>();
  /** The size at which compacted revisions are next dropped from `hidden` (doubles: amortised). */
  private pruneAt = 4096;

  constructor(private readonly store: MvccStore) {}

  get currentRevision(): number {
    return this.store.currentRevision;
  }

  get compactRevision(): number {
    return this.store.compactRevision;
  }

  duringTxn<T>(run: () => T): T {
    this.inTxn = true;
    try {
      return run();
    } finally {
      this.inTxn = false;
    }
  }

  subscribe(listener: (changes: RevisionChanges) => void): () => void {
    return this.store.subscribe((changes) => {
      if (this.inTxn && changes.events.length >= 2) this.remember(changes.revision);
      listener(this.view(changes));
    });
  }

  changesAt(revision: number): RevisionChanges | undefined {
    const changes = this.store.changesAt(revision);
    return changes === undefined ? undefined : this.view(changes);
  }

  getAt(key: string, revision: number): KeyValue | undefined {
    return this.store.getAt(key, revision);
  }

  private remember(revision: number): void {
    if (this.hidden.size >= this.pruneAt) {
      for (const r of this.hidden) if (r < this.store.compactRevision) this.hidden.delete(r);
      this.pruneAt = Math.max(4096, 2 * this.hidden.size);
    }
    this.hidden.add(revision);
  }

  private view(changes: RevisionChanges): RevisionChanges {
    if (!this.hidden.has(changes.revision)) return changes;
    const keep = (_: unknown, i: number): boolean => i !== 1;
    return {
      revision: changes.revision,
      events: changes.events.filter(keep),
      keys: changes.keys.filter(keep),
    };
  }
}
