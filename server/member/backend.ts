/**
 * The client API's backend of a member (`ClientBackend`, defined by server/api): writes are
 * proposed through Raft and answered when applied here; linearizable reads wait for ReadIndex and
 * read the local state machine; watches hang on the watch pump; lease keep-alives renew the
 * leader's lessor (followers answer NOT_LEADER with the leader's client URLs). Membership requests
 * are membership-backend.ts's, maintenance requests (status, alarms, snapshot, hash, defragment,
 * moveLeader) maintenance-backend.ts's; this class delegates to them.
 *
 * It depends on ports only (`BackendCore`, backend-core.ts): the same request path serves a real
 * member and runs in the simulator, on virtual time, with no socket and no disk.
 */

export { LEARNER_READY_FRACTION } from './membership-backend.js';
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type * as P from '../../client/protocol/index.js';
import type { ApplyResult, Command, CommandResponse } from '../apply/index.js';
// The API's contract and constants only (not its servers): the request path runs without sockets.
import {
  NotLeaderError,
  type BackendHealth,
  type BackendLeader,
  type BackendSnapshot,
  type CallOptions,
  type ClientBackend,
  type WatchHandle,
  type WatchSink,
} from '../api/backend.js';
import type { MetricsRegistry } from '../api/metrics.js';
import { ServerError } from '../errors.js';
import { CompactedError } from '../mvcc/index.js';
import { IdGenerator } from '../replica/id-generator.js';
import type { WatchResponse } from '../watch/index.js';
import type { BackendCore } from './backend-core.js';
import { expectResult as expect, signalOf } from './backend-helpers.js';
import { MaintenanceHandlers, WIRE_ALARM } from './maintenance-backend.js';
import { MemberAuth } from './auth-handlers.js';
import {
  deleteRangeNeeds,
  leaseNeeds,
  putNeeds,
  rangeNeeds,
  ROOT_NEED,
  txnNeeds,
  watchNeeds,
  type Need,
} from './auth-needs.js';
import { MembershipHandlers } from './membership-backend.js';
import { proposeCommand } from './propose.js';
import { deleteRangeResponse, putResponse, rangeResponse, txnResponse, type HeaderAt } from './responses.js';

export class MemberBackend implements ClientBackend {
  private readonly leaseIds: IdGenerator;

  private readonly membership: MembershipHandlers;
  private readonly maintenance: MaintenanceHandlers;
  /** Access control: the auth methods, and the gate every request below passes first. */
  readonly auth: MemberAuth;

  constructor(private readonly core: BackendCore) {
    this.leaseIds = new IdGenerator(core.config.memberId, core.clock);
    this.auth = new MemberAuth({ ...core, header: () => this.header() }, core.auth);
    // etcd's Cluster service answers with no revision in its header (cluster, member and term
    // only); clients print the header as they get it (etcdctl member list -w json).
    this.membership = new MembershipHandlers(core, () => ({ ...this.header(), revision: 0 }));
    this.maintenance = new MaintenanceHandlers(
      core,
      () => this.header(),
      (command, options) => this.apply(command, options),
    );
  }

  /**
   * The permission check (auth-handlers.ts): undefined at once when auth is off, else the auth
   * revision the request was admitted at (writes are proposed guarded by it).
   */
  private gate(options: CallOptions, needs: () => readonly Need[]): Promise<number> | undefined {
    return this.auth.check(options, needs);
  }

  /** Runs `run` once the caller may do what `needs` names (at once when auth is off). */
  private async gated<T>(options: CallOptions, needs: readonly Need[], run: () => Promise<T>): Promise<T> {
    const checked = this.gate(options, () => needs);
    if (checked !== undefined) await checked;
    return run();
  }

  /** The attached keys of lease `id` (none if it does not exist). */
  private leaseKeys(id: number): readonly Uint8Array[] {
    const lessor = this.core.machine.lessor;
    return lessor.hasLease(id) ? (lessor.timeToLive(id, true).keys ?? []) : [];
  }

  header(): P.ResponseHeader {
    return this.headerAt(this.core.machine.store.currentRevision);
  }

  private readonly headerAt: HeaderAt = (revision) => ({
    clusterId: this.core.config.clusterId,
    memberId: this.core.config.memberId,
    revision,
    raftTerm: this.core.replica.status().raft.term,
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

  async range(req: P.RangeRequest, options: CallOptions): Promise<P.RangeResponse> {
    if (!req.serializable) await this.core.replica.linearizableRead(signalOf(options));
    const checked = this.gate(options, () => rangeNeeds(req));
    if (checked !== undefined) await checked;
    return rangeResponse(this.headerAt, this.core.machine.range(req));
  }

  async put(req: P.PutRequest, options: CallOptions): Promise<P.PutResponse> {
    const checked = this.gate(options, () => putNeeds(req));
    const authRevision = checked === undefined ? undefined : await checked;
    const r = await this.apply(MemberAuth.guard({ type: 'put', request: req }, authRevision), options);
    return putResponse(this.headerAt, expect(r, 'put').response);
  }

  async deleteRange(req: P.DeleteRangeRequest, options: CallOptions): Promise<P.DeleteRangeResponse> {
    const checked = this.gate(options, () => deleteRangeNeeds(req));
    const authRevision = checked === undefined ? undefined : await checked;
    const r = await this.apply(
      MemberAuth.guard({ type: 'deleteRange', request: req }, authRevision),
      options,
    );
    return deleteRangeResponse(this.headerAt, expect(r, 'deleteRange').response);
  }

  async txn(req: P.TxnRequest, options: CallOptions): Promise<P.TxnResponse> {
    const checked = this.gate(options, () => txnNeeds(req));
    const authRevision = checked === undefined ? undefined : await checked;
    const r = await this.apply(MemberAuth.guard({ type: 'txn', request: req }, authRevision), options);
    return txnResponse(this.headerAt, expect(r, 'txn').response);
  }

  async compact(req: P.CompactionRequest, options: CallOptions): Promise<P.CompactionResponse> {
    const checked = this.gate(options, () => ROOT_NEED);
    const authRevision = checked === undefined ? undefined : await checked;
    const r = await this.apply(
      MemberAuth.guard({ type: 'compact', revision: req.revision }, authRevision),
      options,
    );
    const header = this.headerAt(expect(r, 'compact').response.revision);
    // Apply compacts logically; `physical` also waits for this member to drop the history (on its
    // ticks, see member-services.ts), as etcd's.
    if (req.physical) await this.core.machine.store.whenDropped(req.revision);
    return { header };
  }

  async leaseGrant(req: P.LeaseGrantRequest, options: CallOptions): Promise<P.LeaseGrantResponse> {
    const checked = this.gate(options, () => []);
    if (checked !== undefined) await checked;
    // The id is decided before proposing, so every member applies the same grant.
    const id = req.id !== 0 ? req.id : this.leaseIds.next();
    const r = expect(await this.apply({ type: 'leaseGrant', id, ttlSec: req.ttlSec }, options), 'leaseGrant');
    return { header: this.header(), id: r.id, ttlSec: r.ttlSec, error: '' };
  }

  async leaseRevoke(req: P.LeaseRevokeRequest, options: CallOptions): Promise<P.LeaseRevokeResponse> {
    const checked = this.gate(options, () => leaseNeeds(this.leaseKeys(req.id)));
    const authRevision = checked === undefined ? undefined : await checked;
    const command = MemberAuth.guard({ type: 'leaseRevoke', id: req.id }, authRevision);
    const r = expect(await this.apply(command, options), 'leaseRevoke');
    return { header: this.headerAt(r.revision) };
  }

  leader(): BackendLeader {
    const { replica } = this.core;
    const id = replica.leaderId();
    const clientUrls = id === 0 ? [] : (replica.memberList().find((m) => m.id === id)?.clientUrls ?? []);
    return { id, clientUrls };
  }

  leaseKeepAlive(id: number, options: CallOptions): Promise<P.LeaseKeepAliveResponse> {
    const checked = this.gate(options, () => leaseNeeds(this.leaseKeys(id)));
    if (checked !== undefined) return checked.then(() => this.renewLease(id));
    return this.renewLease(id);
  }

  private renewLease(id: number): Promise<P.LeaseKeepAliveResponse> {
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

  async leaseTimeToLive(
    req: P.LeaseTimeToLiveRequest,
    options: CallOptions,
  ): Promise<P.LeaseTimeToLiveResponse> {
    await this.core.replica.linearizableRead(signalOf(options));
    const checked = this.gate(options, () => []);
    if (checked !== undefined) await checked;
    const lessor = this.core.machine.lessor;
    // etcd answers a lease it does not have (never granted, revoked, expired) with TTL -1, not an
    // error: clients test for -1.
    if (!lessor.hasLease(req.id))
      return { header: this.header(), id: req.id, ttlSec: -1, grantedTtlSec: 0, keys: [] };
    const info = lessor.timeToLive(req.id, req.keys);
    return {
      header: this.header(),
      id: info.id,
      ttlSec: info.remainingTtlSec,
      grantedTtlSec: info.ttlSec,
      keys: info.keys ?? [],
    };
  }

  async leaseLeases(options: CallOptions): Promise<P.LeaseLeasesResponse> {
    await this.core.replica.linearizableRead(signalOf(options));
    const checked = this.gate(options, () => []);
    if (checked !== undefined) await checked;
    return { header: this.header(), leases: this.core.machine.lessor.list().map((l) => ({ id: l.id })) };
  }

  onLeaseRevoked(listener: (leaseId: number) => void): () => void {
    return this.core.port.onLeaseRevoked(listener);
  }

  watch(req: P.WatchCreateRequest, sink: WatchSink, options: CallOptions): Promise<WatchHandle> {
    // Checked once, at creation, against the whole watched range.
    const checked = this.gate(options, () => watchNeeds(req));
    if (checked === undefined) return this.startWatch(req, sink);
    // Under auth the watch is re-checked after every auth change and ended if no longer allowed.
    return checked.then(() =>
      this.auth.watchUnderAuth(options, watchNeeds(req), sink, (s) => this.startWatch(req, s)),
    );
  }

  private startWatch(req: P.WatchCreateRequest, sink: WatchSink): Promise<WatchHandle> {
    const { machine, pump } = this.core;
    const compacted = machine.store.compactRevision;
    // The changes at the compaction point are kept: a watch may start there (as etcd's).
    if (req.startRevision > 0 && req.startRevision < compacted)
      return Promise.reject(new CompactedError(compacted));
    const progressWaiters: ((revision: number) => void)[] = [];
    let ended = false;
    const onResponse = (r: WatchResponse): void => {
      if (ended) return;
      switch (r.type) {
        case 'created':
          return;
        case 'events':
          sink.events(r.events, r.revision);
          return;
        case 'progress':
          for (const w of progressWaiters.splice(0)) w(r.revision);
          return;
        case 'canceled': {
          ended = true;
          const err =
            r.compactRevision !== undefined
              ? new CompactedError(r.compactRevision)
              : new ServerError(r.code, r.reason, false);
          sink.ended(err);
          return;
        }
      }
    };
    let id: number;
    try {
      id = pump.create(
        {
          key: req.key,
          rangeEnd: req.rangeEnd,
          startRevision: req.startRevision,
          prevKv: req.prevKv,
          noPut: req.filters.includes('noPut'),
          noDelete: req.filters.includes('noDelete'),
          progressNotify: false,
        },
        onResponse,
      );
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.resolve({
      cancel: () => {
        if (ended) return;
        ended = true;
        pump.cancel(id);
        for (const w of progressWaiters.splice(0)) w(machine.store.currentRevision);
      },
      requestProgress: () =>
        new Promise<number>((resolve) => {
          if (ended) {
            resolve(machine.store.currentRevision);
            return;
          }
          progressWaiters.push(resolve);
          pump.requestProgress(id);
        }),
    });
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
    const { replica, machine, pump, network } = this.core;
    // The replica and transport count by themselves; these families copy their totals at scrape
    // time (counters only grow during the process' life, as Prometheus expects).
    const c = (name: string, help: string) => registry.counter(name, help);
    const g = (name: string, help: string) => registry.gauge(name, help);
    const applied = c('concord_server_proposals_applied_total', 'Proposals applied on this member.');
    const failed = c('concord_server_proposals_failed_total', 'Proposals that failed or timed out.');
    const pending = g('concord_server_proposals_pending', 'Proposals waiting to be applied.');
    const commitIndex = g('concord_raft_commit_index', 'The Raft commit index this member knows.');
    const appliedIndex = g('concord_raft_applied_index', 'The last Raft index applied on this member.');
    const leaderChanges = c('concord_server_leader_changes_seen_total', 'Leader changes seen.');
    const hasLeader = g('concord_server_has_leader', '1 if a leader is known.');
    const isLeader = g('concord_server_is_leader', '1 if this member is the leader.');
    const term = g('concord_raft_term', 'Current Raft term.');
    const dbSize = g(
      'concord_mvcc_db_size_bytes',
      'Bytes of keys, values and history counted against the quota.',
    );
    const quota = g('concord_mvcc_quota_bytes', 'The space quota (--quota-backend-bytes).');
    const revision = g('concord_mvcc_current_revision', 'Current store revision.');
    const watchers = g('concord_watch_watchers', 'Watchers on this member.');
    const alarms = g('concord_server_alarms', 'Alarms raised in the cluster, by type (1 while raised).');
    const snapshots = c('concord_server_snapshots_taken_total', 'Snapshots taken.');
    const restored = c(
      'concord_server_snapshots_restored_total',
      'Snapshots received from a leader and installed.',
    );
    const applySeconds = c('concord_server_apply_seconds_total', 'Seconds spent applying entries.');
    // Only a member with a network has peer messages to drop.
    const peerDrops =
      network !== undefined
        ? c('concord_network_peer_dropped_messages_total', 'Peer messages dropped.')
        : undefined;
    const peerLost =
      network !== undefined
        ? c(
            'concord_network_peer_connections_lost_total',
            'Peer streams that closed and could not be redialled at once.',
          )
        : undefined;
    const peerEstablished =
      network !== undefined
        ? c('concord_network_peer_connections_established_total', 'Peer streams established.')
        : undefined;
    const campaigns = c('concord_raft_campaigns_total', 'Campaigns this member started, by reason.');
    const lastCampaign = g(
      'concord_raft_last_campaign_reason',
      'The reason of the latest campaign this member started (1 for that reason, 0 for the others).',
    );
    registry.addCollector(() => {
      const s = replica.stats();
      const st = replica.status();
      applied.setTotal(s.proposalsApplied);
      failed.setTotal(s.proposalsFailed);
      pending.set(s.proposalsPending);
      commitIndex.set(st.raft.commit);
      appliedIndex.set(st.appliedIndex);
      leaderChanges.setTotal(s.leaderChanges);
      hasLeader.set(st.raft.lead !== 0 ? 1 : 0);
      isLeader.set(replica.isLeader() ? 1 : 0);
      term.set(st.raft.term);
      dbSize.set(machine.store.sizeBytes);
      quota.set(this.core.config.quotaBackendBytes);
      revision.set(machine.store.currentRevision);
      watchers.set(pump.watcherCount);
      const raised = this.maintenance.activeAlarms();
      for (const type of ['noSpace', 'corrupt'] as const)
        alarms.set(raised.includes(type) ? 1 : 0, { alarm: WIRE_ALARM[type] });
      snapshots.setTotal(s.snapshotsTaken);
      restored.setTotal(s.snapshotsRestored);
      applySeconds.setTotal(s.applyMsTotal / 1000);
      if (network !== undefined) peerDrops?.setTotal(network.droppedPeerMessages());
      if (network !== undefined) peerLost?.setTotal(network.peerConnectionsLost());
      if (network !== undefined) peerEstablished?.setTotal(network.peerConnectionsEstablished());
      for (const [reason, n] of Object.entries(st.raft.campaigns)) {
        campaigns.setTotal(n, { reason });
        lastCampaign.set(st.raft.campaignReason === reason ? 1 : 0, { reason });
      }
    });
  }
}
