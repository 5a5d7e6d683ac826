/**
 * The lessor: leases, their TTLs and the keys attached to them.
 *
 * Two kinds of state live here, kept apart on purpose (etcd's `lessor.go`):
 * - Replicated state, changed only by applying log entries: which leases exist, their granted TTL,
 *   the checkpointed remaining TTL, and the attached keys (`grant`, `revoke`, `checkpoint`,
 *   `attach`/`detach`). It is in the snapshot and the hash, identical on every member.
 * - Primary-local state, meaningful only on the leader: the expiry deadline of each lease.
 *   Time decides when to *propose* a revoke (`expired(nowMs)`); only the applied revoke changes the
 *   replicated state, so every member deletes the keys at the same index. Keep-alives (`renew`)
 *   move the deadline and never go through the log.
 *
 * No clock is read: every time is a number of milliseconds passed in (`nowMs`). The lessor
 * remembers the latest `nowMs` it was given, and uses it to start the deadline of a lease granted
 * on the primary (the replica calls `observeTime(nowMs)` before applying a batch).
 *
 * A new leader calls `promote(nowMs, extendMs)`: every lease gets a fresh deadline from its full
 * TTL, or from its checkpointed remaining TTL, plus `extendMs`, so a leader change never expires a
 * lease early. `demote()` drops the deadlines.
 */
import { InvalidArgumentError, InvalidConfigError, NoSpaceError, keyFromString } from '../mvcc/index.js';
import type { LeaseAttacher } from '../mvcc/index.js';
import { LeaseExistsError, LeaseNotFoundError, LeaseTtlTooLargeError, NotPrimaryError } from './errors.js';
import { keyList, withKey, withoutKey, type AttachedKeys } from './attached-keys.js';
import { LeaseQueue } from './lease-queue.js';

/** Deletes the given keys (binary strings) in one revision and returns that revision. */
export type RangeDeleter = (keys: readonly string[]) => number;

export interface LessorOptions {
  /** A granted TTL below this is raised to it (default 2 s, etcd's minimum for default ticks). */
  readonly minTtlSec?: number;
  /** A TTL above this is refused with LEASE_TTL_TOO_LARGE (default 9e9 s, as etcd). */
  readonly maxTtlSec?: number;
  /** After `expired()` returns a lease, it is offered again after this long if still there (default 3 s). */
  readonly expiredRetryMs?: number;
  /** How often the primary checkpoints each lease's remaining TTL (default 5 min; 0 disables). */
  readonly checkpointIntervalMs?: number;
  /** Most lease ids one `expired()` or `dueCheckpoints()` call returns (default 1000). */
  readonly maxPerCall?: number;
  /** Most leases at once; a grant beyond is refused with NO_SPACE (default 1,000,000). */
  readonly maxLeases?: number;
}

export const LESSOR_DEFAULTS = {
  minTtlSec: 2,
  maxTtlSec: 9_000_000_000,
  expiredRetryMs: 3000,
  checkpointIntervalMs: 5 * 60 * 1000,
  maxPerCall: 1000,
  maxLeases: 1_000_000,
} as const;

interface Lease {
  readonly id: number;
  readonly ttlSec: number;
  /** Checkpointed remaining TTL; 0 means none (use the full TTL). */
  remainingTtlSec: number;
  /** The attached keys (attached-keys.ts: none, one string, or a Set). */
  keys: AttachedKeys;
  /** Primary only: when the lease expires. */
  expiryMs: number;
  /** Primary only: the deadline the expiry queue holds for it (stale entries differ). */
  queuedAtMs: number;
  /** Primary only: when its next checkpoint is due. */
  checkpointAtMs: number;
}

export interface LeaseInfo {
  readonly id: number;
  readonly ttlSec: number;
  /** Seconds left: from the deadline on the primary, else the checkpointed or full TTL. */
  readonly remainingTtlSec: number;
  /** The attached keys, in key order. */
  readonly keys?: readonly Uint8Array[];
}

export interface LeaseCheckpoint {
  readonly id: number;
  readonly remainingTtlSec: number;
}

export class Lessor implements LeaseAttacher {
  private readonly leases = new Map<number, Lease>();
  private readonly expiryQueue = new LeaseQueue();
  private readonly checkpointQueue = new LeaseQueue();
  private primary = false;
  private nowMs = 0;
  readonly options: { readonly [K in keyof typeof LESSOR_DEFAULTS]: number };

  constructor(
    private readonly deleteKeys: RangeDeleter,
    options: LessorOptions = {},
  ) {
    const o = { ...LESSOR_DEFAULTS, ...options };
    for (const [name, v] of Object.entries(o)) {
      if (!Number.isSafeInteger(v) || v < 0)
        throw new InvalidConfigError(`lessor: ${name} must be a non-negative integer`);
    }
    if (o.minTtlSec < 1 || o.maxTtlSec < o.minTtlSec)
      throw new InvalidConfigError('lessor: need 1 ≤ minTtlSec ≤ maxTtlSec');
    if (o.maxPerCall < 1 || o.maxLeases < 1)
      throw new InvalidConfigError('lessor: maxPerCall and maxLeases must be ≥ 1');
    this.options = o;
  }

  get isPrimary(): boolean {
    return this.primary;
  }

  get size(): number {
    return this.leases.size;
  }

  // ---- replicated state (apply path) ----

  /** Grants lease `id` (decided before proposing) with `ttlSec` raised to the minimum. */
  grant(id: number, ttlSec: number): LeaseInfo {
    if (!Number.isSafeInteger(id) || id <= 0)
      throw new InvalidArgumentError('lease: id must be a positive integer');
    if (!Number.isSafeInteger(ttlSec) || ttlSec < 0)
      throw new InvalidArgumentError('lease: TTL must be a non-negative integer');
    if (ttlSec > this.options.maxTtlSec) throw new LeaseTtlTooLargeError(ttlSec, this.options.maxTtlSec);
    if (this.leases.has(id)) throw new LeaseExistsError(id);
    if (this.leases.size >= this.options.maxLeases)
      throw new NoSpaceError(`lease: too many leases (max ${this.options.maxLeases})`);
    const lease: Lease = {
      id,
      ttlSec: Math.max(ttlSec, this.options.minTtlSec),
      remainingTtlSec: 0,
      keys: undefined,
      expiryMs: Infinity,
      queuedAtMs: Infinity,
      checkpointAtMs: Infinity,
    };
    this.leases.set(id, lease);
    if (this.primary) this.schedule(lease, this.nowMs + lease.ttlSec * 1000);
    return { id, ttlSec: lease.ttlSec, remainingTtlSec: lease.ttlSec };
  }

  /** Revokes lease `id`: deletes its keys in one revision (returned) and forgets it. */
  revoke(id: number): number {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    const revision = this.deleteKeys(keyList(lease.keys));
    this.leases.delete(id);
    return revision;
  }

  /** Records checkpointed remaining TTLs (unknown ids are skipped: they were revoked meanwhile). */
  checkpoint(checkpoints: readonly LeaseCheckpoint[]): void {
    for (const c of checkpoints) {
      const lease = this.leases.get(c.id);
      if (lease !== undefined) lease.remainingTtlSec = Math.max(0, Math.min(c.remainingTtlSec, lease.ttlSec));
    }
  }

  hasLease(id: number): boolean {
    return this.leases.has(id);
  }

  attach(id: number, key: string): void {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    lease.keys = withKey(lease.keys, key);
  }

  detach(id: number, key: string): void {
    const lease = this.leases.get(id);
    if (lease !== undefined) lease.keys = withoutKey(lease.keys, key);
  }

  // ---- primary-local state (time passed in) ----

  /** Remembers the time; a lease granted on the primary starts its deadline from it. */
  observeTime(nowMs: number): void {
    this.nowMs = Math.max(this.nowMs, nowMs);
  }

  /** Becomes primary: every lease gets a fresh deadline (checkpointed remaining or full TTL). */
  promote(nowMs: number, extendMs = 0): void {
    this.observeTime(nowMs);
    this.primary = true;
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    for (const lease of this.sortedLeases()) {
      lease.checkpointAtMs = Infinity;
      const ttlSec = lease.remainingTtlSec > 0 ? lease.remainingTtlSec : lease.ttlSec;
      this.schedule(lease, this.nowMs + ttlSec * 1000 + extendMs);
    }
  }

  demote(): void {
    this.primary = false;
    this.expiryQueue.clear();
    this.checkpointQueue.clear();
    for (const lease of this.leases.values()) {
      lease.expiryMs = Infinity;
      lease.queuedAtMs = Infinity;
      lease.checkpointAtMs = Infinity;
    }
  }

  /**
   * Keep-alive on the primary: the deadline restarts from the full TTL. Returns the TTL. An already
   * expired lease is not renewed (its revoke is on its way): LEASE_NOT_FOUND.
   */
  renew(id: number, nowMs: number): number {
    if (!this.primary) throw new NotPrimaryError();
    this.observeTime(nowMs);
    const lease = this.leases.get(id);
    if (lease === undefined || lease.expiryMs <= this.nowMs) throw new LeaseNotFoundError(id);
    this.schedule(lease, this.nowMs + lease.ttlSec * 1000);
    // A stale checkpoint would shorten the lease after a leader change: checkpoint it right away.
    if (lease.remainingTtlSec > 0) this.scheduleCheckpoint(lease, this.nowMs);
    return lease.ttlSec;
  }

  /**
   * The leases whose deadline passed, for the leader to propose revokes, oldest first (at most
   * `maxPerCall`). Each is offered again after `expiredRetryMs` if it is still there.
   */
  expired(nowMs: number): number[] {
    this.observeTime(nowMs);
    const out: number[] = [];
    if (!this.primary) return out;
    while (out.length < this.options.maxPerCall) {
      const top = this.expiryQueue.peek();
      if (top === undefined || top.atMs > this.nowMs) break;
      this.expiryQueue.pop();
      const lease = this.leases.get(top.id);
      if (lease === undefined || lease.queuedAtMs !== top.atMs) continue;
      out.push(lease.id);
      lease.queuedAtMs = this.nowMs + this.options.expiredRetryMs;
      this.expiryQueue.push({ atMs: lease.queuedAtMs, id: lease.id });
    }
    return out;
  }

  /** Remaining TTLs the primary should propose as a checkpoint now (at most `maxPerCall`). */
  dueCheckpoints(nowMs: number): LeaseCheckpoint[] {
    this.observeTime(nowMs);
    const out: LeaseCheckpoint[] = [];
    if (!this.primary || this.options.checkpointIntervalMs === 0) return out;
    while (out.length < this.options.maxPerCall) {
      const top = this.checkpointQueue.peek();
      if (top === undefined || top.atMs > this.nowMs) break;
      this.checkpointQueue.pop();
      const lease = this.leases.get(top.id);
      if (lease === undefined || lease.checkpointAtMs !== top.atMs) continue;
      const remainingTtlSec = Math.max(0, Math.ceil((lease.expiryMs - this.nowMs) / 1000));
      out.push({ id: lease.id, remainingTtlSec });
      this.scheduleCheckpoint(lease, this.nowMs + this.options.checkpointIntervalMs);
    }
    return out;
  }

  timeToLive(id: number, withKeys = false): LeaseInfo {
    const lease = this.leases.get(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    return this.info(lease, withKeys);
  }

  /** Every lease, by id. */
  list(): LeaseInfo[] {
    return this.sortedLeases().map((l) => this.info(l, false));
  }

  /** The replicated state, by id: what snapshots and hashes hold. */
  replicatedState(): { id: number; ttlSec: number; remainingTtlSec: number }[] {
    return this.sortedLeases().map((l) => ({
      id: l.id,
      ttlSec: l.ttlSec,
      remainingTtlSec: l.remainingTtlSec,
    }));
  }

  /** Replaces every lease (keys are re-attached by the caller); the primary gets fresh deadlines. */
  restore(leases: readonly { id: number; ttlSec: number; remainingTtlSec: number }[]): void {
    this.leases.clear();
    for (const l of leases) {
      this.leases.set(l.id, {
        id: l.id,
        ttlSec: l.ttlSec,
        remainingTtlSec: l.remainingTtlSec,
        keys: undefined,
        expiryMs: Infinity,
        queuedAtMs: Infinity,
        checkpointAtMs: Infinity,
      });
    }
    if (this.primary) this.promote(this.nowMs);
  }

  private info(lease: Lease, withKeys: boolean): LeaseInfo {
    const remainingTtlSec = this.primary
      ? Math.max(0, Math.ceil((lease.expiryMs - this.nowMs) / 1000))
      : lease.remainingTtlSec > 0
        ? lease.remainingTtlSec
        : lease.ttlSec;
    const base = { id: lease.id, ttlSec: lease.ttlSec, remainingTtlSec };
    return withKeys ? { ...base, keys: keyList(lease.keys).sort().map(keyFromString) } : base;
  }

  private schedule(lease: Lease, expiryMs: number): void {
    lease.expiryMs = expiryMs;
    lease.queuedAtMs = expiryMs;
    this.expiryQueue.push({ atMs: expiryMs, id: lease.id });
    if (this.options.checkpointIntervalMs > 0 && lease.checkpointAtMs === Infinity) {
      this.scheduleCheckpoint(lease, this.nowMs + this.options.checkpointIntervalMs);
    }
  }

  private scheduleCheckpoint(lease: Lease, atMs: number): void {
    if (this.options.checkpointIntervalMs === 0) return;
    lease.checkpointAtMs = atMs;
    this.checkpointQueue.push({ atMs, id: lease.id });
  }

  private sortedLeases(): Lease[] {
    return [...this.leases.values()].sort((a, b) => a.id - b.id);
  }
}
