/**
 * The state machine Raft drives: `apply(index, command)` for every committed entry, in index order,
 * on every member. Synchronous, deterministic, no clock: the same entries give the same state and
 * the same results everywhere (checked by `hash()`).
 *
 * Idempotent through the applied index (etcd's consistent index): an entry at or below
 * `appliedIndex` is skipped, so replaying the log after a restart from a snapshot is harmless.
 * Indexes may skip (Raft's empty and membership entries never reach here), never go back.
 *
 * A refused command (lease not found, compacted, no space, …) is still applied: the index advances
 * and every member returns the same typed error. Only a broken invariant throws (AssertionError).
 *
 * Composition: the MVCC store, the lessor (which deletes a revoked lease's keys through the store)
 * and the watchable store (which hears each committed revision from the store).
 *
 * What the replica layer does around it (time enters only there):
 * - for each Ready: `lessor.observeTime(nowMs)`, then `applyEntry(index, data)` for every committed
 *   normal entry (conf changes stay with Raft), then `watchable.sync()` and hand
 *   `watchable.pendingWatchIds()` → `watchable.take(id)` to the watch streams;
 * - on becoming leader `lessor.promote(nowMs, electionTimeoutMs)`, on losing it `lessor.demote()`;
 * - on the leader, every tick: propose `leaseRevoke` for each id of `lessor.expired(nowMs)`, a
 *   `leaseCheckpoint` with `lessor.dueCheckpoints(nowMs)` when not empty, and a `compact` when
 *   `AutoCompactionPolicy.maybeCompact(nowMs, store.currentRevision)` says so;
 * - on every member, from its ticks: `store.dropCompactedBatch()` while `store.compactionPending`
 *   (a compact command only compacts logically in apply; see server/mvcc/compaction.ts);
 * - keep-alives: `lessor.renew(id, nowMs)` on the leader (not through the log);
 * - `watchable.progressTick(nowMs)` now and then; `snapshot()` / `restore(bytes)` with Raft's
 *   snapshots; `hash()` to compare members.
 *
 * `injectedBugs` (injected-bugs.ts) are for the simulator's self-tests only, never production.
 */
import { ErrorCode } from '../../client/protocol/error-codes.js';
import { assert, unreachable } from '../assert.js';
import { Lessor, type LessorOptions } from '../lease/index.js';
import {
  Hasher,
  LeaseNotFoundError,
  MvccStore,
  NoSpaceError,
  RECORD_OVERHEAD_BYTES,
  SnapshotDecodeError,
  StateMachineError,
  type MvccOptions,
  type RangeRequest,
  type RangeResponse,
  type TxnResponse,
} from '../mvcc/index.js';
import { WatchableStore, type WatchableStoreOptions, type WatchSink } from '../watch/index.js';
import { authErrors } from '../auth/errors.js';
import { AuthStore } from '../auth/store.js';
import { AlarmSet } from './alarms.js';
import type { ApplyResult, Command, CommandResponse } from './command.js';
import { decodeCommand } from './command-codec.js';
import { TxnSecondEventHider, type StateMachineInjectedBugs } from './injected-bugs.js';
import { decodeStateSnapshot, encodeStateSnapshot, encodeStateSnapshotHead } from './state-snapshot.js';
import { StateSnapshotStream } from './state-snapshot-stream.js';

export interface StateMachineOptions {
  readonly mvcc?: MvccOptions;
  readonly lessor?: LessorOptions;
  readonly watch?: WatchableStoreOptions;
  readonly watchSink?: WatchSink;
  /** Never set in production (see StateMachineInjectedBugs). */
  readonly injectedBugs?: StateMachineInjectedBugs;
}

/** Commands refused while the CORRUPT alarm is raised (etcd's corrupt applier): every write. */
const REFUSED_WHILE_CORRUPT: ReadonlySet<Command['type']> = new Set([
  'put',
  'deleteRange',
  'txn',
  'range',
  'compact',
  'leaseGrant',
  'leaseRevoke',
]);

/** A write refused because the CORRUPT alarm is raised. */
export class CorruptError extends StateMachineError {
  override readonly name = 'CorruptError';
  constructor() {
    super(ErrorCode.Corrupt, 'apply: the CORRUPT alarm is raised; writes are refused until it is cleared');
  }
}

/** What a lease grant counts against the quota. */
const LEASE_COST_BYTES = RECORD_OVERHEAD_BYTES;

export class StateMachine {
  readonly store: MvccStore;
  readonly lessor: Lessor;
  readonly watchable: WatchableStore;
  /** The cluster's alarms (alarms.ts): replicated, in the snapshot and the hash. */
  readonly alarms = new AlarmSet();
  /** Users, roles, permissions (server/auth): replicated, in the snapshot and the hash. */
  readonly auth = new AuthStore();
  private applied = 0;
  private readonly bugs: StateMachineInjectedBugs;
  /** Only with the injected bug `skipTxnSecondWatchEvent`. */
  private readonly txnEventHider: TxnSecondEventHider | undefined;

  constructor(options: StateMachineOptions = {}) {
    this.bugs = options.injectedBugs ?? {};
    const deleteKeys =
      this.bugs.expireLeaseWithoutRevision === true
        ? (keys: readonly string[]): number => this.store.vanishKeysWithoutRevision(keys)
        : (keys: readonly string[]): number => this.store.deleteKeys(keys);
    this.lessor = new Lessor(deleteKeys, options.lessor);
    this.store = new MvccStore(options.mvcc, this.lessor);
    this.txnEventHider =
      this.bugs.skipTxnSecondWatchEvent === true ? new TxnSecondEventHider(this.store) : undefined;
    this.watchable = new WatchableStore(this.txnEventHider ?? this.store, options.watch, options.watchSink);
  }

  /** The index of the last entry applied (0 before the first). */
  get appliedIndex(): number {
    return this.applied;
  }

  /** Applies one committed command at `index`. */
  apply(index: number, command: Command): ApplyResult {
    assert(Number.isSafeInteger(index) && index > 0, () => `apply: bad index ${index}`);
    if (index <= this.applied) return { status: 'skipped', index };
    this.applied = index;
    try {
      // A client write admitted while auth was off carries no guard (no check was made): once auth
      // is on it must not land, as etcd refuses a request without a user name at apply.
      if (this.auth.isEnabled && isClientWrite(command)) throw authErrors.userEmpty();
      const response = this.dispatch(command);
      return { status: 'ok', index, revision: this.store.currentRevision, response };
    } catch (err) {
      if (err instanceof StateMachineError)
        return { status: 'error', index, revision: this.store.currentRevision, error: err };
      throw err;
    }
  }

  /**
   * Applies an encoded command (a Raft entry's data). Undecodable data is applied as a refusal
   * (INVALID_ARGUMENT / REQUEST_TOO_LARGE): every member decodes it the same way.
   */
  applyEntry(index: number, data: Uint8Array): ApplyResult {
    assert(Number.isSafeInteger(index) && index > 0, () => `apply: bad index ${index}`);
    if (index <= this.applied) return { status: 'skipped', index };
    if (data.length === 0) {
      // Raft's empty entries (a new leader's no-op) carry no command: just advance.
      this.applied = index;
      return { status: 'skipped', index };
    }
    let command: Command;
    try {
      command = decodeCommand(data, this.store.options.maxRequestBytes + 4096);
    } catch (err) {
      if (!(err instanceof StateMachineError)) throw err;
      this.applied = index;
      return { status: 'error', index, revision: this.store.currentRevision, error: err };
    }
    return this.apply(index, command);
  }

  /** A local (serializable) read: no log entry, no apply. */
  range(request: RangeRequest): RangeResponse {
    return this.store.range(request);
  }

  /** The whole snapshot at once (tests, small states); the replica streams `beginSnapshot()`. */
  snapshot(): Uint8Array {
    return encodeStateSnapshot({
      appliedIndex: this.applied,
      mvcc: this.store.snapshot(),
      leases: this.lessor.replicatedState(),
      alarms: this.alarms.list(),
      auth: this.auth.state(),
    });
  }

  /**
   * A consistent view of the state at the applied index, taken now in time proportional to the
   * leases and alarms only (copied), and serialised slice by slice — each `next()` a bounded amount
   * of work — while later entries are applied in between. Same bytes as `snapshot()` would have
   * given now. See StateSnapshotStream.
   */
  beginSnapshot(sliceBytes?: number): StateSnapshotStream {
    const head = encodeStateSnapshotHead({
      appliedIndex: this.applied,
      leases: this.lessor.replicatedState(),
      alarms: this.alarms.list(),
      auth: this.auth.state(),
    });
    const { encoder, pin } = this.store.beginSnapshot(sliceBytes);
    return new StateSnapshotStream(this.applied, head, encoder, pin);
  }

  /**
   * Replaces the whole state with a snapshot (from `snapshot()`, possibly another member's).
   * Validates everything first: on SnapshotDecodeError the old state stays. Watchers catch up from
   * the new history on the next `watchable.sync()` (or are cancelled with COMPACTED).
   */
  restore(bytes: Uint8Array): void {
    const snap = decodeStateSnapshot(bytes);
    const leaseIds = new Set(snap.leases.map((l) => l.id));
    // With the injected bug `expireLeaseWithoutRevision`, a revoked lease's keys are still in the
    // store (hidden from reads): they come back attached to no lease, and are hidden again.
    const hideOrphans = this.bugs.expireLeaseWithoutRevision === true;
    // One pass over the live keys (a million at 256 MiB) both checks them and finds the attached
    // ones, which are attached once the new state is in place.
    const attached: { readonly lease: number; readonly key: string }[] = [];
    const orphans: string[] = [];
    this.store.restore(snap.mvcc, (kv, key) => {
      if (kv.lease === 0) return;
      if (leaseIds.has(kv.lease)) attached.push({ lease: kv.lease, key });
      else if (hideOrphans) orphans.push(key);
      else throw new SnapshotDecodeError(`key attached to missing lease ${kv.lease}`);
    });
    this.lessor.restore(snap.leases);
    // The store's own key string: the lessor then shares it instead of holding a copy per key.
    for (const { lease, key } of attached) this.lessor.attach(lease, key);
    if (orphans.length > 0) this.store.vanishKeysWithoutRevision(orphans);
    this.alarms.restore(snap.alarms);
    this.alarmsChanged();
    this.auth.restore(snap.auth);
    this.applied = snap.appliedIndex;
    this.watchable.resync();
  }

  /** A hash of the replicated state: equal on members that applied the same entries. */
  hash(): string {
    const h = new Hasher();
    h.uint(this.applied);
    h.string(this.store.hash());
    for (const a of this.alarms.list()) {
      h.uint(a.memberId);
      h.string(a.alarm);
    }
    for (const l of this.lessor.replicatedState()) {
      h.uint(l.id);
      h.uint(l.ttlSec);
      h.uint(l.remainingTtlSec);
    }
    this.auth.hashInto(h);
    return h.digest();
  }

  /** The store refuses writes that add data while NOSPACE is raised: it mirrors the alarm set. */
  private alarmsChanged(): void {
    this.store.noSpaceAlarm = this.alarms.has('noSpace');
  }

  private dispatch(c: Command): CommandResponse {
    if (this.alarms.has('corrupt') && REFUSED_WHILE_CORRUPT.has(c.type)) throw new CorruptError();
    switch (c.type) {
      case 'put':
        return { type: 'put', response: this.store.put(c.request) };
      case 'deleteRange':
        return { type: 'deleteRange', response: this.store.deleteRange(c.request) };
      case 'txn': {
        const run = (): TxnResponse => this.store.txn(c.request);
        const hider = this.txnEventHider;
        return { type: 'txn', response: hider === undefined ? run() : hider.duringTxn(run) };
      }
      case 'range':
        return { type: 'range', response: this.store.range(c.request) };
      case 'compact':
        return { type: 'compact', response: this.store.compact(c.revision) };
      case 'leaseGrant': {
        this.store.checkQuota(LEASE_COST_BYTES);
        const lease = this.lessor.grant(c.id, c.ttlSec);
        return { type: 'leaseGrant', id: lease.id, ttlSec: lease.ttlSec };
      }
      case 'leaseRevoke':
        if (!this.lessor.hasLease(c.id)) throw new LeaseNotFoundError(c.id);
        return { type: 'leaseRevoke', revision: this.lessor.revoke(c.id) };
      case 'leaseCheckpoint':
        this.lessor.checkpoint(c.checkpoints);
        return { type: 'leaseCheckpoint' };
      case 'alarmActivate': {
        const record = this.alarms.activate(c.memberId, c.alarm);
        this.alarmsChanged();
        return { type: 'alarmActivate', alarms: [record] };
      }
      case 'alarmDeactivate': {
        const cleared = this.alarms.deactivate(c.memberId, c.alarm);
        this.alarmsChanged();
        return { type: 'alarmDeactivate', alarms: cleared };
      }
      case 'auth':
        return { type: 'auth', revision: this.auth.apply(c.op).revision };
      case 'authGuarded':
        if (c.authRevision < this.auth.revision && this.bugs.skipAuthGuard !== true)
          throw authErrors.oldRevision(c.authRevision, this.auth.revision);
        return this.dispatch(c.command);
      default:
        return unreachable(c);
    }
  }
}

/** A write only clients propose (guarded by the check that admitted it while auth is on). */
function isClientWrite(c: Command): boolean {
  return c.type === 'put' || c.type === 'deleteRange' || c.type === 'txn';
}
