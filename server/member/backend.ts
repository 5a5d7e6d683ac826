/**
 * The client API's backend of a member (`ClientBackend`, defined by server/api), and its one
 * permission gate. Every request passes `gated` here first (or is named below as served without a
 * token, as etcd serves it), then goes to the handlers of its seam: KV requests to kv-backend.ts,
 * leases to lease-backend.ts, watches to watch-backend.ts, membership to membership-backend.ts,
 * maintenance (status, alarms, snapshot, hash, defragment, moveLeader) to maintenance-backend.ts.
 * The handlers are private to this class, so no front door reaches one past the gate. Writes are
 * proposed through Raft and answered when applied here (`apply`, with the NOSPACE alarm rule);
 * linearizable reads wait for ReadIndex before the gate, so the check sees the current auth state.
 *
 * It depends on ports only (`BackendCore`, backend-core.ts): the same request path serves a real
 * member and runs in the simulator, on virtual time, with no socket and no disk.
 */

export { LEARNER_READY_FRACTION } from './membership-backend.js';
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type * as P from '../../client/protocol/index.js';
import type { ApplyResult, Command, CommandResponse } from '../apply/index.js';
// The API's contract and constants only (not its servers): the request path runs without sockets.
import type {
  BackendHealth,
  BackendLeader,
  BackendSnapshot,
  CallOptions,
  ClientBackend,
  WatchHandle,
  WatchSink,
} from '../api/backend.js';
import type { MetricsRegistry } from '../api/metrics.js';
import { ServerError } from '../errors.js';
import type { BackendCore } from './backend-core.js';
import { signalOf } from './backend-helpers.js';
import { MaintenanceHandlers } from './maintenance-backend.js';
import { MemberAuth } from './auth-handlers.js';
import {
  deleteRangeNeeds,
  leaseKeysReadNeeds,
  leaseNeeds,
  putNeeds,
  rangeNeeds,
  ROOT_NEED,
  txnNeeds,
  watchNeeds,
  type Need,
} from './auth-needs.js';
import { KvHandlers, type AuthRevision } from './kv-backend.js';
import { LeaseHandlers } from './lease-backend.js';
import { registerMemberMetrics } from './member-metrics.js';
import { MembershipHandlers } from './membership-backend.js';
import { proposeCommand } from './propose.js';
import type { HeaderAt } from './responses.js';
import { startWatch } from './watch-backend.js';

export class MemberBackend implements ClientBackend {
  private readonly kv: KvHandlers;
  private readonly leases: LeaseHandlers;
  private readonly membership: MembershipHandlers;
  private readonly maintenance: MaintenanceHandlers;
  /** Access control: the auth methods, and the gate every request below passes first. */
  readonly auth: MemberAuth;

  constructor(private readonly core: BackendCore) {
    this.auth = new MemberAuth({ ...core, header: () => this.header() }, core.auth);
    const apply = (command: Command, options: CallOptions): Promise<CommandResponse> =>
      this.apply(command, options);
    this.kv = new KvHandlers(core, this.headerAt, apply);
    this.leases = new LeaseHandlers(core, this.headerAt, apply, () => this.leader());
    // etcd's Cluster service answers with no revision in its header (cluster, member and term
    // only); clients print the header as they get it (etcdctl member list -w json).
    this.membership = new MembershipHandlers(core, () => ({ ...this.header(), revision: 0 }));
    this.maintenance = new MaintenanceHandlers(core, () => this.header(), apply);
  }

  /**
   * The permission gate (auth-handlers.ts): runs `run` once the caller may do what `needs` names,
   * with the auth revision it was admitted at (writes are proposed guarded by it); at once, with
   * no revision, when auth is off. Every handler call below goes through here.
   */
  private gated<T>(
    options: CallOptions,
    needs: readonly Need[] | (() => readonly Need[]),
    run: (authRevision: AuthRevision) => Promise<T>,
  ): Promise<T> {
    try {
      const checked = this.auth.check(options, typeof needs === 'function' ? needs : () => needs);
      return checked === undefined ? run(undefined) : checked.then(run);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** A linearizable read's ReadIndex wait: before the gate, so the check sees current auth state. */
  private readIndex(options: CallOptions): Promise<void> {
    return this.core.replica.linearizableRead(signalOf(options));
  }

  header(): P.ResponseHeader {
    return this.headerAt(this.core.machine.store.currentRevision);
  }

  private readonly headerAt: HeaderAt = (revision) => ({
    clusterId: this.core.config.clusterId,
    memberId: this.core.config.memberId,
    revision,
    raftTerm: this.core.replica.term,
  });

  private async apply(command: Command, options: CallOptions): Promise<CommandResponse> {
    const result: ApplyResult = await proposeCommand(this.core.replica, command, signalOf(options));
    switch (result.status) {
      case 'ok':
        return result.response;
      case 'error':
        if (result.error.code === ErrorCode.NoSpace) await this.raiseNoSpace(options);
        throw result.error;
      case 'skipped':
        throw new ServerError(ErrorCode.Internal, `entry ${result.index} was skipped`, false);
    }
  }

  /**
   * The space quota refused a write this member proposed: raise the NOSPACE alarm under this
   * member's id, as etcd's quota check does, before answering NO_SPACE (so the client that sees
   * NO_SPACE also sees the alarm). Best effort: the refusal is the answer either way.
   */
  private async raiseNoSpace(options: CallOptions): Promise<void> {
    if (this.core.machine.alarms.has('noSpace')) return;
    const command: Command = { type: 'alarmActivate', memberId: this.core.config.memberId, alarm: 'noSpace' };
    try {
      await proposeCommand(this.core.replica, command, signalOf(options));
      this.core.logger.warn('space quota exceeded: NOSPACE alarm raised', {
        quotaBytes: this.core.config.quotaBackendBytes,
      });
    } catch (err) {
      this.core.logger.warn('space quota exceeded; raising the NOSPACE alarm failed', { error: err });
    }
  }

  // ---- KV (kv-backend.ts) --------------------------------------------------------------------

  async range(req: P.RangeRequest, options: CallOptions): Promise<P.RangeResponse> {
    if (!req.serializable) await this.readIndex(options);
    return this.gated(
      options,
      () => rangeNeeds(req),
      () => this.kv.range(req),
    );
  }

  put(req: P.PutRequest, options: CallOptions): Promise<P.PutResponse> {
    return this.gated(
      options,
      () => putNeeds(req),
      (rev) => this.kv.put(req, rev, options),
    );
  }

  deleteRange(req: P.DeleteRangeRequest, options: CallOptions): Promise<P.DeleteRangeResponse> {
    return this.gated(
      options,
      () => deleteRangeNeeds(req),
      (rev) => this.kv.deleteRange(req, rev, options),
    );
  }

  txn(req: P.TxnRequest, options: CallOptions): Promise<P.TxnResponse> {
    return this.gated(
      options,
      () => txnNeeds(req),
      (rev) => this.kv.txn(req, rev, options),
    );
  }

  compact(req: P.CompactionRequest, options: CallOptions): Promise<P.CompactionResponse> {
    return this.gated(options, ROOT_NEED, (rev) => this.kv.compact(req, rev, options));
  }

  // ---- Leases (lease-backend.ts) -------------------------------------------------------------

  leaseGrant(req: P.LeaseGrantRequest, options: CallOptions): Promise<P.LeaseGrantResponse> {
    return this.gated(options, [], () => this.leases.grant(req, options));
  }

  leaseRevoke(req: P.LeaseRevokeRequest, options: CallOptions): Promise<P.LeaseRevokeResponse> {
    return this.gated(
      options,
      () => leaseNeeds(this.leases.keys(req.id)),
      (rev) => this.leases.revoke(req, rev, options),
    );
  }

  leaseKeepAlive(id: number, options: CallOptions): Promise<P.LeaseKeepAliveResponse> {
    return this.gated(
      options,
      () => leaseNeeds(this.leases.keys(id)),
      () => this.leases.renew(id),
    );
  }

  async leaseTimeToLive(
    req: P.LeaseTimeToLiveRequest,
    options: CallOptions,
  ): Promise<P.LeaseTimeToLiveResponse> {
    await this.readIndex(options);
    // The keys in the answer are names the caller must be able to read (etcd 3.5's rule).
    return this.gated(
      options,
      () => (req.keys ? leaseKeysReadNeeds(this.leases.keys(req.id)) : []),
      () => this.leases.timeToLive(req),
    );
  }

  async leaseLeases(options: CallOptions): Promise<P.LeaseLeasesResponse> {
    await this.readIndex(options);
    // Which leases exist says who holds keys where: read on every attached key (etcd's rule).
    return this.gated(
      options,
      () => leaseKeysReadNeeds(this.leases.allKeys()),
      () => this.leases.leases(),
    );
  }

  leader(): BackendLeader {
    const { replica } = this.core;
    const id = replica.leaderId();
    const clientUrls = id === 0 ? [] : (replica.memberList().find((m) => m.id === id)?.clientUrls ?? []);
    return { id, clientUrls };
  }

  onLeaseRevoked(listener: (leaseId: number) => void): () => void {
    return this.core.port.onLeaseRevoked(listener);
  }

  // ---- Watches (watch-backend.ts) ------------------------------------------------------------

  watch(req: P.WatchCreateRequest, sink: WatchSink, options: CallOptions): Promise<WatchHandle> {
    // Checked once, at creation, against the whole watched range; under auth the watch is
    // re-checked after every auth change and ended if no longer allowed.
    return this.gated(
      options,
      () => watchNeeds(req),
      (rev) =>
        rev === undefined
          ? startWatch(this.core, req, sink)
          : this.auth.watchUnderAuth(options, watchNeeds(req), sink, (s) => startWatch(this.core, req, s)),
    );
  }

  // ---- Membership (membership-backend.ts) ----------------------------------------------------

  /**
   * Served without a token, as etcd 3.4 serves it with auth on (checked against a live etcd):
   * members and URLs, no key or value; clients find the cluster's endpoints with it.
   */
  memberList(req: P.MemberListRequest, options: CallOptions): Promise<P.MemberListResponse> {
    return this.membership.memberList(req, options);
  }

  memberAdd(req: P.MemberAddRequest, options: CallOptions): Promise<P.MemberAddResponse> {
    return this.gated(options, ROOT_NEED, () => this.membership.memberAdd(req, options));
  }

  memberRemove(req: P.MemberRemoveRequest, options: CallOptions): Promise<P.MemberRemoveResponse> {
    return this.gated(options, ROOT_NEED, () => this.membership.memberRemove(req, options));
  }

  memberPromote(req: P.MemberPromoteRequest, options: CallOptions): Promise<P.MemberPromoteResponse> {
    return this.gated(options, ROOT_NEED, () => this.membership.memberPromote(req, options));
  }

  memberUpdate(req: P.MemberUpdateRequest, options: CallOptions): Promise<P.MemberUpdateResponse> {
    return this.gated(options, ROOT_NEED, () => this.membership.memberUpdate(req, options));
  }

  // ---- Maintenance (maintenance-backend.ts) --------------------------------------------------

  /** Served without a token, as etcd 3.4 does (leader, indexes, sizes; no key or value): health checks rely on it. */
  status(options: CallOptions): Promise<P.StatusResponse> {
    return this.maintenance.status(options);
  }

  alarm(req: P.AlarmRequest, options: CallOptions): Promise<P.AlarmResponse> {
    return this.gated(options, ROOT_NEED, () => this.maintenance.alarm(req, options));
  }

  snapshot(options: CallOptions): Promise<BackendSnapshot> {
    return this.gated(options, ROOT_NEED, () => this.maintenance.snapshot(options));
  }

  hash(options: CallOptions): Promise<P.HashResponse> {
    return this.gated(options, ROOT_NEED, () => this.maintenance.hash(options));
  }

  hashKV(req: P.HashKVRequest, options: CallOptions): Promise<P.HashKVResponse> {
    return this.gated(options, ROOT_NEED, () => this.maintenance.hashKV(req, options));
  }

  defragment(options: CallOptions): Promise<P.DefragmentResponse> {
    return this.gated(options, ROOT_NEED, () => this.maintenance.defragment(options));
  }

  moveLeader(req: P.MoveLeaderRequest, options: CallOptions): Promise<P.MoveLeaderResponse> {
    return this.gated(options, ROOT_NEED, () => this.maintenance.moveLeader(req, options));
  }

  health(): BackendHealth {
    return { leaderId: this.core.replica.leaderId(), alarms: this.maintenance.activeAlarms() };
  }

  onLeaderChange(listener: (leaderId: number) => void): () => void {
    return this.core.replica.onLeaderChange((leader) => listener(leader));
  }

  registerMetrics(registry: MetricsRegistry): void {
    registerMemberMetrics(registry, this.core, () => this.maintenance.activeAlarms());
  }
}
