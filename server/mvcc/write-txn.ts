/**
 * One write transaction: every change gets main revision `currentRevision + 1` and the next sub
 * revision. Changes go straight into the key index, so reads inside the transaction see them (etcd
 * reads a write txn at its own pending revision once it has changes). `end()` commits: the
 * revision becomes current, the changes join the history and the listeners hear of them. A
 * transaction without changes leaves the revision alone.
 *
 * Atomicity comes from validating a whole request before the first change (put.ts, txn.ts): once a
 * WriteTxn changes anything, nothing in it can fail except an invariant.
 */
import { assert } from '../assert.js';
import { KeyIndex } from './key-index.js';
import {
  recordSizeBytes,
  tombstone,
  type KeyValue,
  type MvccEvent,
  type RevisionChanges,
} from './kv-types.js';
import type { LeaseAttacher, StoreState } from './store-state.js';

export type CommitListener = (changes: RevisionChanges) => void;

export class WriteTxn {
  readonly revision: number;
  private readonly events: MvccEvent[] = [];
  private readonly keys: string[] = [];
  /** Record bytes of this transaction's puts (the live records written at its revision). */
  private putBytes = 0;
  private readonly bytesBefore: number;
  private ended = false;

  constructor(
    private readonly state: StoreState,
    private readonly leases: LeaseAttacher | undefined,
    private readonly listeners: readonly CommitListener[],
  ) {
    this.revision = state.currentRevision + 1;
    this.bytesBefore = state.eventBytes;
  }

  /** The revision reads inside this transaction see. */
  get readRevision(): number {
    return this.events.length > 0 ? this.revision : this.state.currentRevision;
  }

  get changeCount(): number {
    return this.events.length;
  }

  /** Writes `key`; returns the previous live KeyValue. `keyBytes` is only used for a new key. */
  put(key: string, keyBytes: Uint8Array, value: Uint8Array, lease: number): KeyValue | undefined {
    assert(!this.ended, 'write-txn: put after end');
    let ki = this.state.index.get(key);
    if (ki === undefined) {
      ki = new KeyIndex(keyBytes.slice());
      this.state.index.set(key, ki);
      this.state.tree.insert(key);
    }
    const prev = ki.latest();
    const kv: KeyValue = {
      key: ki.key,
      createRevision: prev === undefined ? this.revision : prev.createRevision,
      modRevision: this.revision,
      version: prev === undefined ? 1 : prev.version + 1,
      value,
      lease,
    };
    ki.put(kv);
    const bytes = recordSizeBytes(kv);
    this.putBytes += bytes;
    this.state.liveBytes += bytes - (prev === undefined ? 0 : recordSizeBytes(prev));
    if (prev !== undefined && prev.lease !== 0 && prev.lease !== lease) this.leases?.detach(prev.lease, key);
    if (lease !== 0 && (prev === undefined || prev.lease !== lease)) this.leases?.attach(lease, key);
    this.record({ type: 'put', kv }, key);
    return prev;
  }

  /** Deletes `key` if it is live; returns the deleted KeyValue. */
  delete(key: string): KeyValue | undefined {
    assert(!this.ended, 'write-txn: delete after end');
    const ki = this.state.index.get(key);
    const prev = ki?.latest();
    if (ki === undefined || prev === undefined) return undefined;
    ki.tombstone(this.revision);
    this.state.liveBytes -= recordSizeBytes(prev);
    if (prev.lease !== 0) this.leases?.detach(prev.lease, key);
    this.record({ type: 'delete', kv: tombstone(ki.key, this.revision) }, key);
    return prev;
  }

  /** Commits; returns the store's revision afterwards. */
  end(): number {
    assert(!this.ended, 'write-txn: ended twice');
    this.ended = true;
    if (this.events.length === 0) return this.state.currentRevision;
    // Copies at their exact length: the history keeps them, and the arrays push grew carry ~17
    // slots of spare capacity each, most of it unused (one change per revision is the common case).
    const changes: RevisionChanges = {
      revision: this.revision,
      events: this.events.slice(),
      keys: this.keys.slice(),
    };
    // What a compaction to this revision would keep below it: the live records not written here.
    this.state.history.append(changes, this.state.liveBytes - this.putBytes, this.bytesBefore);
    this.state.currentRevision = this.revision;
    for (const listener of this.listeners) listener(changes);
    return this.revision;
  }

  private record(event: MvccEvent, key: string): void {
    this.events.push(event);
    this.keys.push(key);
    this.state.eventBytes += recordSizeBytes(event.kv);
  }
}
