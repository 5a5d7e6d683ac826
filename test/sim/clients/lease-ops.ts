/**
 * Leases and their keys (c/lease/N): grants of short leases, puts attached to them (each lease
 * mostly has its own key), keep-alives through the leader, revokes, and time-to-live queries that
 * find expired ones. A revoke's answer or a TTL of −1 records the lease as gone at that revision
 * (lease-revocation.ts then checks no read at or above it still shows its keys).
 */
import { ErrorCode } from '../../../client/protocol/error-codes.js';
import { LEASE_PREFIX } from './client-options.js';
import type { ClientContext, Worker } from './client-context.js';
import { codeOf, putReq } from './requests.js';

interface KnownLease {
  readonly id: number;
  /** The lease key its puts go to (c/lease/N): each lease mostly has its key to itself until it is gone. */
  readonly slot: number;
  readonly keepUntilMs: number;
  /** Most leases are left to expire; the others are revoked once no longer kept alive. */
  readonly revoke: boolean;
  gone: boolean;
}

export class LeaseOps {
  private readonly leases: KnownLease[] = [];
  private nextSlot = 0;

  constructor(private readonly cx: ClientContext) {}

  /** One of the last few leases (kept alive ones only if `alive`). */
  private someLease(alive: boolean): KnownLease | undefined {
    const now = this.cx.nowMs;
    const from = this.leases.filter((l) => !alive || (!l.gone && l.keepUntilMs > now));
    return from.length === 0
      ? undefined
      : from[from.length - 1 - this.cx.random.int(Math.min(from.length, 4))];
  }

  async grant(w: Worker): Promise<void> {
    const cx = this.cx;
    // A few leases at a time, so that their keys live until they expire.
    if (this.leases.filter((l) => !l.gone).length >= cx.o.liveLeases) return;
    const [lo, hi] = cx.o.leaseTtlSec;
    const ttlSec = lo + cx.random.int(hi - lo + 1);
    const r = await cx.calls.call(w.member, (b, o) => b.leaseGrant({ ttlSec, id: 0 }, o));
    if (!r.ok) return cx.failed(w, r);
    const keepUntilMs = cx.nowMs + cx.random.float() * cx.o.leaseKeepMaxMs;
    this.leases.push({
      id: r.value.id,
      slot: this.nextSlot++ % cx.o.leaseKeys,
      keepUntilMs,
      revoke: cx.random.chance(0.3),
      gone: false,
    });
    cx.note(w.member, `lease ${r.value.id} granted, ttl ${ttlSec}s`);
  }

  async leasedPut(w: Worker): Promise<void> {
    const cx = this.cx;
    const lease = this.someLease(true);
    if (lease === undefined) return this.grant(w);
    const key = `${LEASE_PREFIX}${lease.slot}`;
    const value = cx.value(w);
    const r = await cx.calls.call(w.member, (b, o) => b.put(putReq(key, value, lease.id), o));
    if (!r.ok) return cx.failed(w, r);
    cx.record.write(w, r.value.header.revision, [{ type: 'put', key, value, lease: lease.id }]);
  }

  /** Renews a lease through the leader: a follower answers NOT_LEADER naming it, and we go there. */
  async keepAlive(w: Worker): Promise<void> {
    const cx = this.cx;
    const lease = this.someLease(true);
    if (lease === undefined) return;
    let member = w.member;
    for (let attempt = 0; attempt < 3; attempt++) {
      const r = await cx.calls.call(member, (b, o) => b.leaseKeepAlive(lease.id, o));
      if (r.ok) {
        if (r.value.ttlSec <= 0) lease.gone = true;
        return;
      }
      const code = codeOf(r.error);
      if (code === ErrorCode.LeaseNotFound) {
        lease.gone = true;
        return;
      }
      if (code !== ErrorCode.NotLeader) return cx.failed(w, r);
      const leaderId = (r.error as { leaderId?: number }).leaderId ?? 0;
      member =
        leaderId !== 0 && cx.host.backend(leaderId) !== undefined
          ? leaderId
          : (cx.pickMember(member) ?? member);
    }
  }

  async revoke(w: Worker): Promise<void> {
    const cx = this.cx;
    const now = cx.nowMs;
    const lease = this.leases.find((l) => l.revoke && !l.gone && l.keepUntilMs <= now);
    if (lease === undefined) return;
    const r = await cx.calls.call(w.member, (b, o) => b.leaseRevoke({ id: lease.id }, o));
    if (!r.ok) {
      if (codeOf(r.error) === ErrorCode.LeaseNotFound) lease.gone = true;
      return cx.failed(w, r);
    }
    lease.gone = true;
    const revision = r.value.header.revision;
    cx.record.leaseGone({ lease: lease.id, revision, how: 'revoke', member: w.member, atMs: cx.nowMs });
    cx.note(w.member, `lease ${lease.id} revoked at ${revision}`);
  }

  async timeToLive(w: Worker): Promise<void> {
    const cx = this.cx;
    const lease = this.someLease(false);
    if (lease === undefined) return;
    const r = await cx.calls.call(w.member, (b, o) => b.leaseTimeToLive({ id: lease.id, keys: false }, o));
    if (!r.ok) return cx.failed(w, r);
    if (r.value.ttlSec !== -1) return;
    lease.gone = true;
    const revision = r.value.header.revision;
    cx.record.leaseGone({ lease: lease.id, revision, how: 'time-to-live', member: w.member, atMs: cx.nowMs });
  }
}
