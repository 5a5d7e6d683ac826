/**
 * The MVCC key-value store: one synchronous, deterministic object holding every key's history.
 * Each method validates the whole request before changing anything, so a request either applies
 * completely (as one revision when it writes) or throws a typed `StateMachineError` and changes
 * nothing.
 *
 * Listeners hear of every committed revision synchronously, in order (the watchable store is one).
 */
import {
  checkCompact,
  compact,
  compactionPending,
  dropCompactedBatch,
  COMPACTION_BATCH_EVENTS,
} from './compaction.js';
import { applyDelete, checkDelete, deleteKeys } from './delete.js';
import { CompactedError, FutureRevisionError, InvalidConfigError } from './errors.js';
import { entryAt, entryLatest } from './index-entry.js';
import { keyToString } from './key-bytes.js';
import type { KeyValue, RevisionChanges } from './kv-types.js';
import { applyPut, checkPut, putCostBytes } from './put.js';
import { checkQuota, DEFAULT_QUOTA_BYTES } from './quota.js';
import { range } from './range.js';
import type {
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from './requests.js';
import { decodeStore, encodeStore, hashStore, StoreSnapshotEncoder } from './snapshot-codec.js';
import { emptyState, latestOf, sizeBytes, type LeaseAttacher, type StoreState } from './store-state.js';
import { applyTxn, checkPath, evaluatePath, validateTxn, withRevision } from './txn.js';
import { WriteTxn, type CommitListener } from './write-txn.js';

export interface MvccOptions {
  /** Space quota over keys, values and history (default 2 GiB). */
  readonly quotaBytes?: number;
  /** Largest request accepted, key + value of a put included (default 1.5 MiB, as etcd). */
  readonly maxRequestBytes?: number;
  /** Most operations in one txn list: compares, success or failure (default 128, as etcd). */
  readonly maxTxnOps?: number;
}

export const MVCC_DEFAULTS = {
  quotaBytes: DEFAULT_QUOTA_BYTES,
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxTxnOps: 128,
} as const;

export type ResolvedMvccOptions = { readonly [K in keyof typeof MVCC_DEFAULTS]: number };

export function resolveMvccOptions(options: MvccOptions): ResolvedMvccOptions {
  const resolved = { ...MVCC_DEFAULTS, ...options };
  for (const [name, value] of Object.entries(resolved)) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new InvalidConfigError(`mvcc: ${name} must be a positive integer`);
  }
  return resolved;
}

/** A hold on the store's history at `revision` and above (see `MvccStore.pinRevision`). */
export interface StorePin {
  readonly revision: number;
  release(): void;
}

export class MvccStore {
  private state: StoreState = emptyState();
  private readonly listeners: CommitListener[] = [];
  /** `whenDropped` callers, resolved as physical compaction passes their revision. */
  private dropWaiters: { readonly revision: number; readonly resolve: () => void }[] = [];
  private readonly pins = new Set<StorePin>();
  readonly options: ResolvedMvccOptions;

  constructor(
    options: MvccOptions = {},
    private readonly leases?: LeaseAttacher,
  ) {
    this.options = resolveMvccOptions(options);
  }

  get currentRevision(): number {
    return this.state.currentRevision;
  }

  get compactRevision(): number {
    return this.state.compactRevision;
  }

  /** Bytes counted against the quota (of the logical state: physical compaction does not move it). */
  get sizeBytes(): number {
    return sizeBytes(this.state);
  }

  /**
   * Keys in the index (live or with history still retained). Physical: it drops as physical
   * compaction runs, at different moments on different members; never replicate it.
   */
  get indexedKeyCount(): number {
    return this.state.index.size;
  }

  /**
   * Whether the NOSPACE alarm is raised: set by the owner of the alarms (the state machine), read by
   * the quota check, which then refuses every write that adds data (quota.ts).
   */
  noSpaceAlarm = false;

  /** Adds a listener called after every committed revision; returns its removal. */
  subscribe(listener: CommitListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  range(req: RangeRequest): RangeResponse {
    return range(this.state, req, this.state.currentRevision);
  }

  put(req: PutRequest): PutResponse {
    checkPut(this.state, req, this.leases, this.options.maxRequestBytes);
    checkQuota(this.state, putCostBytes(this.state, req), this.options.quotaBytes, this.noSpaceAlarm);
    const txn = this.begin();
    const resp = applyPut(txn, this.state, req);
    txn.end();
    return resp;
  }

  deleteRange(req: DeleteRangeRequest): DeleteRangeResponse {
    checkDelete(req);
    const txn = this.begin();
    const resp = applyDelete(txn, this.state, req);
    return { ...resp, revision: txn.end() };
  }

  txn(req: TxnRequest): TxnResponse {
    validateTxn(req, this.options);
    const path = evaluatePath(this.state, req, this.state.currentRevision);
    checkQuota(
      this.state,
      checkPath(this.state, req, path, this.leases, this.options),
      this.options.quotaBytes,
      this.noSpaceAlarm,
    );
    const txn = this.begin();
    const resp = applyTxn(txn, this.state, req, path);
    return withRevision(resp, txn.end());
  }

  /** Deletes the given keys (binary strings, see key-bytes.ts) in one revision; returns the revision. */
  deleteKeys(keys: readonly string[]): number {
    const txn = this.begin();
    deleteKeys(txn, keys);
    return txn.end();
  }

  /**
   * INJECTED BUG (simulator self-tests only, never in production): the live `keys` vanish from
   * every read at the current revision and above — ranges, compares, deletes — without a new
   * revision, a history entry or a watch event. The key index and the history keep them, so the
   * hash and the snapshot do not see it (a store restored from a snapshot has them again).
   * Returns the current revision, unchanged.
   */
  vanishKeysWithoutRevision(keys: readonly string[]): number {
    const vanished = (this.state.vanished ??= new Map());
    for (const key of keys) {
      if (latestOf(this.state, key) !== undefined) vanished.set(key, this.state.currentRevision);
    }
    return this.state.currentRevision;
  }

  /** Throws CompactedError / FutureRevisionError if `revision` cannot be a compaction point. */
  checkCompact(revision: number): void {
    checkCompact(this.state, revision);
  }

  /**
   * Compacts to `revision` logically, in constant time: reads and watches below it fail from now
   * on and the quota no longer counts what it frees. The history is dropped later, in batches, by
   * `dropCompactedBatch` (compaction.ts).
   */
  compact(revision: number): CompactResponse {
    compact(this.state, revision);
    return { revision: this.state.currentRevision, compactRevision: revision };
  }

  /** Whether compacted history is still physically held (`dropCompactedBatch` has work). */
  get compactionPending(): boolean {
    return compactionPending(this.state, this.pinnedRevision);
  }

  /**
   * Physical compaction: drops at most `maxEvents` events of the history below the compaction
   * point, and what the key index no longer needs for them. Changes nothing any read, watch,
   * hash, snapshot or quota decision sees. Returns whether more remains.
   */
  dropCompactedBatch(maxEvents: number = COMPACTION_BATCH_EVENTS): boolean {
    // Never past a pin: a snapshot being written still reads the history and index from there.
    const more = dropCompactedBatch(this.state, maxEvents, this.pinnedRevision);
    this.wakeDropWaiters();
    return more;
  }

  /**
   * Resolves once the history below `revision` is physically dropped on this store (at once when
   * it already is): what a compaction with `physical` waits for before answering, as etcd.
   */
  whenDropped(revision: number): Promise<void> {
    if (this.state.history.firstRevision >= revision) return Promise.resolve();
    return new Promise((resolve) => this.dropWaiters.push({ revision, resolve }));
  }

  /** Refuses with NO_SPACE as a write adding `costBytes` would be (used for lease grants). */
  checkQuota(costBytes: number): void {
    checkQuota(this.state, costBytes, this.options.quotaBytes, this.noSpaceAlarm);
  }

  /** The changes of revision `revision`, if in the history (never below the compaction point). */
  changesAt(revision: number): RevisionChanges | undefined {
    if (revision < this.state.compactRevision) return undefined;
    return this.state.history.at(revision);
  }

  /**
   * The KeyValue of `key` (binary string) at `revision`, or undefined when it does not exist there
   * or `revision` is below the compaction point.
   */
  getAt(key: string, revision: number): KeyValue | undefined {
    if (revision < this.state.compactRevision || revision > this.state.currentRevision) return undefined;
    return entryAt(this.state.index.get(key), revision);
  }

  /**
   * Visits every live key at the current revision, in key order, with its binary string (the one
   * the store holds: keeping it costs no copy, unlike `keyToString(kv.key)`).
   */
  forEachLive(visit: (kv: KeyValue, key: string) => void): void {
    this.state.index.scan('', undefined, (key, entry) => {
      const kv = entryLatest(entry);
      if (kv !== undefined) visit(kv, key);
      return true;
    });
  }

  /** The state hash up to `revision` (default: current); equal stores give equal hashes. */
  hash(revision = this.state.currentRevision): string {
    if (revision < this.state.compactRevision) throw new CompactedError(this.state.compactRevision);
    if (revision > this.state.currentRevision)
      throw new FutureRevisionError(revision, this.state.currentRevision);
    return hashStore(this.state, revision);
  }

  snapshot(): Uint8Array {
    return encodeStore(this.state);
  }

  /**
   * Holds everything a read at `revision` or above needs (history and key-index entries) until
   * `release()`: while pins are held, physical compaction (`dropCompactedBatch`) stops at the
   * lowest, `pinnedRevision` (logical compaction goes on: it drops nothing). Snapshots being written
   * (`beginSnapshot`) pin the compaction point they started from.
   */
  pinRevision(revision: number): StorePin {
    const pins = this.pins;
    const pin: StorePin = {
      revision,
      release: () => {
        pins.delete(pin);
      },
    };
    pins.add(pin);
    return pin;
  }

  /** The lowest pinned revision (physical compaction stays at or below it), undefined when none. */
  get pinnedRevision(): number | undefined {
    let lowest: number | undefined;
    for (const pin of this.pins) if (lowest === undefined || pin.revision < lowest) lowest = pin.revision;
    return lowest;
  }

  /**
   * A consistent view of the store now, serialised slice by slice while writes go on (see
   * StoreSnapshotEncoder). Release the pin when done or abandoned.
   */
  beginSnapshot(sliceBytes?: number): { encoder: StoreSnapshotEncoder; pin: StorePin } {
    const pin = this.pinRevision(this.state.compactRevision);
    return { encoder: new StoreSnapshotEncoder(this.state, sliceBytes), pin };
  }

  /**
   * Replaces the whole state with a decoded snapshot. Throws SnapshotDecodeError — or whatever
   * `checkLive` throws for a live key of the decoded state — and then keeps the old state.
   * `checkLive` sees every live key once, with the key's string as the index holds it.
   */
  restore(bytes: Uint8Array, checkLive?: (kv: KeyValue, key: string) => void): void {
    const next = decodeStore(bytes);
    if (checkLive !== undefined) {
      // A scan, not the `values()` generator: a resumed generator per key was 6 % of a restore.
      next.index.scan('', undefined, (_key, entry) => {
        const kv = entryLatest(entry);
        if (kv !== undefined) checkLive(kv, kv.keyString);
        return true;
      });
    }
    this.state = next;
    // Encoders still running read the old state, which nothing changes any more.
    this.pins.clear();
    this.wakeDropWaiters();
  }

  /** A key as the binary string the store indexes it by. */
  static keyOf(key: Uint8Array): string {
    return keyToString(key);
  }

  private wakeDropWaiters(): void {
    if (this.dropWaiters.length === 0) return;
    const first = this.state.history.firstRevision;
    const due = this.dropWaiters.filter((w) => w.revision <= first);
    this.dropWaiters = this.dropWaiters.filter((w) => w.revision > first);
    for (const w of due) w.resolve();
  }

  private begin(): WriteTxn {
    return new WriteTxn(this.state, this.leases, this.listeners);
  }
}
