/**
 * The lease requests of the client API (etcd's Lease service): grant, revoke, keep-alive renewals,
 * timeToLive and the lease list. Grants and revokes go through Raft; renewals are the leader's
 * lessor's (a follower answers NOT_LEADER with the leader's client URLs). Every method here runs
 * behind MemberBackend's permission gate (backend.ts), reached only from there.
 */
import type * as P from '../../client/protocol/index.js';
import { NotLeaderError, type BackendLeader, type CallOptions } from '../api/backend.js';
import { IdGenerator } from '../replica/id-generator.js';
import type { BackendCore } from './backend-core.js';
import { expectResult as expect } from './backend-helpers.js';
import { MemberAuth } from './auth-handlers.js';
import type { AuthRevision } from './kv-backend.js';
import type { ApplyCommand } from './maintenance-backend.js';
import type { HeaderAt } from './responses.js';

export class LeaseHandlers {
  private readonly leaseIds: IdGenerator;

  constructor(
    private readonly core: BackendCore,
    private readonly headerAt: HeaderAt,
    private readonly apply: ApplyCommand,
    private readonly leader: () => BackendLeader,
  ) {
    this.leaseIds = new IdGenerator(core.config.memberId, core.clock);
  }

  private header(): P.ResponseHeader {
    return this.headerAt(this.core.machine.store.currentRevision);
  }

  /** The attached keys of lease `id` (none if it does not exist): what revoking or renewing it needs. */
  keys(id: number): readonly Uint8Array[] {
    const lessor = this.core.machine.lessor;
    return lessor.hasLease(id) ? (lessor.timeToLive(id, true).keys ?? []) : [];
  }

  /** The attached keys of every lease: what listing the leases needs (auth on only: it walks them all). */
  *allKeys(): Iterable<Uint8Array> {
    for (const lease of this.core.machine.lessor.list()) yield* this.keys(lease.id);
  }

  async grant(req: P.LeaseGrantRequest, options: CallOptions): Promise<P.LeaseGrantResponse> {
    // The id is decided before proposing, so every member applies the same grant.
    const id = req.id !== 0 ? req.id : this.leaseIds.next();
    const r = expect(await this.apply({ type: 'leaseGrant', id, ttlSec: req.ttlSec }, options), 'leaseGrant');
    return { header: this.header(), id: r.id, ttlSec: r.ttlSec, error: '' };
  }

  async revoke(
    req: P.LeaseRevokeRequest,
    authRevision: AuthRevision,
    options: CallOptions,
  ): Promise<P.LeaseRevokeResponse> {
    const command = MemberAuth.guard({ type: 'leaseRevoke', id: req.id }, authRevision);
    const r = expect(await this.apply(command, options), 'leaseRevoke');
    return { header: this.headerAt(r.revision) };
  }

  renew(id: number): Promise<P.LeaseKeepAliveResponse> {
    const { replica, machine, clock } = this.core;
    if (!replica.isLeader() || !machine.lessor.isPrimary) {
      const leader = this.leader();
      return Promise.reject(new NotLeaderError(leader.id, leader.clientUrls));
    }
    try {
      const ttlSec = machine.lessor.renew(id, clock.nowMs());
      return Promise.resolve({ header: this.header(), id, ttlSec });
    } catch (err) {
      return Promise.reject(err);
    }
  }

  timeToLive(req: P.LeaseTimeToLiveRequest): Promise<P.LeaseTimeToLiveResponse> {
    const lessor = this.core.machine.lessor;
    // etcd answers a lease it does not have (never granted, revoked, expired) with TTL -1, not an
    // error: clients test for -1.
    if (!lessor.hasLease(req.id))
      return Promise.resolve({ header: this.header(), id: req.id, ttlSec: -1, grantedTtlSec: 0, keys: [] });
    const info = lessor.timeToLive(req.id, req.keys);
    return Promise.resolve({
      header: this.header(),
      id: info.id,
      ttlSec: info.remainingTtlSec,
      grantedTtlSec: info.ttlSec,
      keys: info.keys ?? [],
    });
  }

  leases(): Promise<P.LeaseLeasesResponse> {
    return Promise.resolve({
      header: this.header(),
      leases: this.core.machine.lessor.list().map((l) => ({ id: l.id })),
    });
  }
}
