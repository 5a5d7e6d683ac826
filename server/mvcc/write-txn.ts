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
import { entryKey, entryLatest, indexPut, indexTombstone } from './index-entry.js';
import {
  recordSizeBytes,
  StoredKeyValue,
  tombstone,
  type RevisionChanges,
  type StoredChanges,
  type StoredEvent,
} from './kv-types.js';
import type { LeaseAttacher, StoreState } from './store-state.js';

export type CommitListener = (changes: RevisionChanges) => void;

export class WriteTxn {
  readonly revision: number;
  private readonly events: StoredEvent[] = [];
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

  /**
   * Writes `key` (a binary string) with `value` (a latin1 string, latin1.ts); returns the previous
   * live KeyValue. A new key's string becomes the one the index and every KeyValue share.
   */
  put(key: string, value: string, lease: number): StoredKeyValue | undefined {
    assert(!this.ended, 'write-txn: put after end');
    const entry = this.state.index.get(key);
    const shared = entry === undefined ? key : entryKey(entry);
    const prev = entryLatest(entry);
    const kv = new StoredKeyValue(
      shared,
      prev === undefined ? this.revision : prev.createRevision,
      this.revision,
      prev === undefined ? 1 : prev.version + 1,
      value,
      lease,
    );
    indexPut(this.state.index, kv);
    const bytes = recordSizeBytes(kv);
    this.putBytes += bytes;
    this.state.liveBytes += bytes - (prev === undefined ? 0 : recordSizeBytes(prev));
    if (prev !== undefined && prev.lease !== 0 && prev.lease !== lease)
      this.leases?.detach(prev.lease, shared);
    if (lease !== 0 && (prev === undefined || prev.lease !== lease)) this.leases?.attach(lease, shared);
    this.record({ type: 'put', kv }, shared);
    return prev;
  }

  /** Deletes `key` if it is live; returns the deleted KeyValue. */
  delete(key: string): StoredKeyValue | undefined {
    assert(!this.ended, 'write-txn: delete after end');
    const prev = entryLatest(this.state.index.get(key));
    if (prev === undefined) return undefined;
    const shared = prev.keyString;
    indexTombstone(this.state.index, shared, this.revision);
    this.state.liveBytes -= recordSizeBytes(prev);
    if (prev.lease !== 0) this.leases?.detach(prev.lease, shared);
    this.record({ type: 'delete', kv: tombstone(shared, this.revision) }, shared);
    return prev;
  }

  /** Commits; returns the store's revision afterwards. */
  end(): number {
    assert(!this.ended, 'write-txn: ended twice');
    this.ended = true;
    if (this.events.length === 0) return this.state.currentRevision;
    // Copies at their exact length: the history keeps them, and the arrays push grew carry ~17
    // slots of spare capacity each, most of it unused (one change per revision is the common case).
    const changes: StoredChanges = {
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

  private record(event: StoredEvent, key: string): void {
    this.events.push(event);
    this.keys.push(key);
    this.state.eventBytes += recordSizeBytes(event.kv);
  }
}
