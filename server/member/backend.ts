/**
 * The client API's backend of a member (`ClientBackend`, defined by server/api): writes are
 * proposed through Raft and answered when applied here; linearizable reads wait for ReadIndex and
 * read the local state machine; watches hang on the watch pump; lease keep-alives renew the
 * leader's lessor (followers answer NOT_LEADER with the leader's client URLs). Membership changes
 * are decided on the leader, which alone knows whether a change is pending and how far a learner
 * has caught up: a follower forwards them to the leader (leader-forward.ts), as etcd does, and
 * answers once the change is applied here too.
 *
 * It depends on ports only (`BackendCore`, backend-core.ts): the same request path serves a real
 * member and runs in the simulator, on virtual time, with no socket and no disk.
 */

/** etcd's rule: a learner may be promoted once its match index is within 90% of the leader's. */
export const LEARNER_READY_FRACTION = 0.9;
import { ErrorCode } from '../../client/protocol/error-codes.js';
import type * as P from '../../client/protocol/index.js';
import {
  STATE_SNAPSHOT_VERSION,
  type AlarmRecord,
  type ApplyResult,
  type Command,
  type CommandResponse,
} from '../apply/index.js';
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
import { ETCD_API_VERSION, packageVersion } from '../api/version.js';
import { memberIdOf } from '../cli/config.js';
import { ServerError, unavailable } from '../errors.js';
import { CompactedError } from '../mvcc/index.js';
import { ProposalRefusedError, RaftRefusal } from '../raft/index.js';
import { WAL_FORMAT_VERSION } from '../storage/wal/record.js';
import { ConfChangeType, type ConfChange } from '../raft/types.js';
import { IdGenerator } from '../replica/id-generator.js';
import { encodeMemberAttributes } from '../replica/members.js';
import type { WatchResponse } from '../watch/index.js';
import type { BackendCore, BackendNetwork, ForwardedMethod } from './backend-core.js';
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
import { proposeCommand } from './propose.js';
import { startStreamedBackup } from './snapshot-backup.js';
import { deleteRangeResponse, putResponse, rangeResponse, txnResponse, type HeaderAt } from './responses.js';

/** etcd's spelling of each alarm type (status errors, metric labels). */
const WIRE_ALARM: Readonly<Record<P.AlarmType, string>> = {
  none: 'NONE',
  noSpace: 'NOSPACE',
  corrupt: 'CORRUPT',
};

/** Where a follower forwards a membership change: the leader's client URLs, over its network. */
interface LeaderTarget {
  readonly urls: readonly string[];
  readonly network: BackendNetwork;
}

export class MemberBackend implements ClientBackend {
  private readonly leaseIds: IdGenerator;
  /** Access control: the auth methods, and the gate every request below passes first. */
  readonly auth: MemberAuth;

  constructor(private readonly core: BackendCore) {
    this.leaseIds = new IdGenerator(core.config.memberId, core.clock);
    this.auth = new MemberAuth({ ...core, header: () => this.header() }, core.auth);
  }

  /**
   * The permission check (auth-handlers.ts): undefined at once when auth is off, else the auth
   * revision the request was admitted at (writes are proposed guarded by it).
   */
  private gate(options: CallOptions, needs: () => readonly Need[]): Promise<number> | undefined {
    return this.auth.check(options, needs);
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

  async memberList(req: P.MemberListRequest, options: CallOptions): Promise<P.MemberListResponse> {
    if (req.linearizable) await this.core.replica.linearizableRead(signalOf(options));
    const checked = this.gate(options, () => []);
    if (checked !== undefined) await checked;
    return { header: this.header(), members: this.members() };
  }

  async memberAdd(req: P.MemberAddRequest, options: CallOptions): Promise<P.MemberAddResponse> {
    const checked = this.gate(options, () => ROOT_NEED);
    if (checked !== undefined) await checked;
    const leader = this.leaderToForwardTo();
    if (leader !== undefined) {
      const r = await this.forward(leader, 'cluster.memberAdd', req, options);
      return { ...r, header: this.header(), members: this.members() };
    }
    const { replica, config } = this.core;
    const id = memberIdOf(config.initialClusterToken, req.peerUrls);
    const members = replica.memberList();
    if (members.some((m) => m.id === id))
      throw new ServerError(ErrorCode.MemberExists, `member ID ${id} already exists`, false);
    const taken = req.peerUrls.find((url) => members.some((m) => m.peerUrls.includes(url)));
    if (taken !== undefined)
      throw new ServerError(ErrorCode.MemberExists, `peer URL ${taken} already exists`, false);
    await this.changeMembership(
      {
        type: req.isLearner ? ConfChangeType.AddLearner : ConfChangeType.AddVoter,
        nodeId: id,
        context: encodeMemberAttributes({ name: '', peerUrls: req.peerUrls, clientUrls: [] }),
      },
      options,
    );
    const after = this.members();
    const member = after.find((m) => m.id === id) ?? {
      id,
      name: '',
      peerUrls: [...req.peerUrls],
      clientUrls: [],
      isLearner: req.isLearner,
    };
    return { header: this.header(), member, members: after };
  }

  async memberRemove(req: P.MemberRemoveRequest, options: CallOptions): Promise<P.MemberRemoveResponse> {
    const checked = this.gate(options, () => ROOT_NEED);
    if (checked !== undefined) await checked;
    const leader = this.leaderToForwardTo();
    if (leader !== undefined) {
      await this.forward(leader, 'cluster.memberRemove', req, options);
      return { header: this.header(), members: this.members() };
    }
    if (!this.core.replica.memberList().some((m) => m.id === req.id))
      throw new ServerError(ErrorCode.MemberNotFound, `member ${req.id} not found`, false);
    await this.changeMembership({ type: ConfChangeType.RemoveNode, nodeId: req.id }, options);
    return { header: this.header(), members: this.members() };
  }

  async memberPromote(req: P.MemberPromoteRequest, options: CallOptions): Promise<P.MemberPromoteResponse> {
    const checked = this.gate(options, () => ROOT_NEED);
    if (checked !== undefined) await checked;
    const leader = this.leaderToForwardTo();
    if (leader !== undefined) {
      await this.forward(leader, 'cluster.memberPromote', req, options);
      return { header: this.header(), members: this.members() };
    }
    const { replica, config } = this.core;
    const member = replica.memberList().find((m) => m.id === req.id);
    if (member === undefined)
      throw new ServerError(ErrorCode.MemberNotFound, `member ${req.id} not found`, false);
    if (!member.isLearner)
      throw new ServerError(ErrorCode.MemberNotLearner, `member ${req.id} is already a voter`, false);
    const raft = replica.status().raft;
    const learnerMatch = raft.progress?.get(req.id)?.match ?? 0;
    const leaderMatch = raft.progress?.get(config.memberId)?.match ?? raft.lastIndex;
    if (learnerMatch < leaderMatch * LEARNER_READY_FRACTION) {
      throw new ServerError(
        ErrorCode.LearnerNotReady,
        `learner ${req.id} has replicated up to index ${learnerMatch}, the leader ${leaderMatch}: ` +
          `it must reach ${Math.ceil(leaderMatch * LEARNER_READY_FRACTION)} to be promoted`,
        true,
      );
    }
    // addVoter without a context keeps the member's name and URLs (MemberRegistry).
    await this.changeMembership({ type: ConfChangeType.AddVoter, nodeId: req.id }, options);
    return { header: this.header(), members: this.members() };
  }

  /**
   * Membership changes are decided on the leader: undefined on the leader, else the leader's
   * client URLs and the network to forward with. No leader: UNAVAILABLE; a member without a
   * network, or a leader that has not published its client URLs yet: NOT_LEADER (all retryable,
   * nothing was changed).
   */
  private leaderToForwardTo(): LeaderTarget | undefined {
    const { replica, network } = this.core;
    if (replica.isLeader()) return undefined;
    const leaderId = replica.leaderId();
    if (leaderId === 0) throw unavailable('no leader: membership cannot change now');
    const urls = replica.memberList().find((m) => m.id === leaderId)?.clientUrls ?? [];
    if (network === undefined) {
      throw new NotLeaderError(
        leaderId,
        urls,
        `etcdserver: not leader: membership changes are decided on the leader (${leaderId}), ` +
          'and this member does not forward them; send the request there',
      );
    }
    if (urls.length === 0) {
      throw new NotLeaderError(
        leaderId,
        [],
        `etcdserver: not leader: the leader (${leaderId}) has not published its client URLs yet; retry`,
      );
    }
    return { urls, network };
  }

  /**
   * Sends a membership change to the leader; once it answers, waits (a ReadIndex) until this member
   * has applied the change too, so the answer's member list and a following member/list here show
   * it. If that wait fails the change is still made: the leader's answer stands.
   */
  private async forward<M extends ForwardedMethod>(
    leader: LeaderTarget,
    method: M,
    params: P.MethodParams<M>,
    options: CallOptions,
  ): Promise<P.MethodResult<M>> {
    const result = await leader.network.forwardToLeader(
      method,
      params,
      leader.urls,
      options.signal,
      options.token,
    );
    try {
      await this.core.replica.linearizableRead(signalOf(options));
    } catch (err) {
      this.core.logger.warn('membership change made by the leader; not yet applied here', {
        method,
        error: err,
      });
    }
    return result;
  }

  private async changeMembership(cc: ConfChange, options: CallOptions): Promise<void> {
    try {
      await this.core.replica.changeMembership(cc, signalOf(options));
    } catch (err) {
      const cause = err instanceof Error ? err.cause : undefined;
      if (cause instanceof ProposalRefusedError && cause.reason === RaftRefusal.ConfChangePending) {
        throw new ServerError(
          ErrorCode.MembershipChangePending,
          'another membership change is not applied yet; retry when it is',
          true,
          { cause },
        );
      }
      throw err;
    }
  }

  private members(): P.Member[] {
    return this.core.replica.memberList().map((m) => ({
      id: m.id,
      name: m.name,
      peerUrls: [...m.peerUrls],
      clientUrls: [...m.clientUrls],
      isLearner: m.isLearner,
    }));
  }

  status(options: CallOptions): Promise<P.StatusResponse> {
    const checked = this.gate(options, () => []);
    if (checked !== undefined) return checked.then(() => this.statusNow());
    return this.statusNow();
  }

  private statusNow(): Promise<P.StatusResponse> {
    const { replica, machine, config } = this.core;
    const st = replica.status();
    const size = machine.store.sizeBytes;
    return Promise.resolve({
      header: this.header(),
      version: ETCD_API_VERSION,
      dbSizeBytes: size,
      leader: st.raft.lead,
      raftIndex: st.raft.commit,
      raftTerm: st.raft.term,
      raftAppliedIndex: st.appliedIndex,
      errors: this.statusErrors(),
      dbSizeInUseBytes: size,
      isLearner: st.raft.confState.learners.includes(config.memberId),
      // The data directory's format (the WAL's): what a restore or an upgrade must match.
      storageVersion: String(WAL_FORMAT_VERSION),
      dbSizeQuotaBytes: config.quotaBackendBytes,
      concordVersion: packageVersion(),
    });
  }

  /**
   * etcd's Alarm: GET lists the cluster's alarms (of one type, or all for NONE) after a ReadIndex;
   * ACTIVATE and DEACTIVATE go through Raft, so every member raises or clears the same alarms, and
   * answer with the alarm raised or the alarms cleared. ACTIVATE with member id 0 raises it for
   * this member; DEACTIVATE with member id 0 or type NONE matches every member or type (alarms.ts).
   */
  async alarm(req: P.AlarmRequest, options: CallOptions): Promise<P.AlarmResponse> {
    const checked = this.gate(options, () => ROOT_NEED);
    if (checked !== undefined) await checked;
    let records: readonly AlarmRecord[];
    switch (req.action) {
      case 'get':
        await this.core.replica.linearizableRead(signalOf(options));
        records = this.core.machine.alarms.list(req.alarm === 'none' ? undefined : req.alarm);
        break;
      case 'activate': {
        if (req.alarm === 'none') {
          records = [];
          break;
        }
        const memberId = req.memberId === 0 ? this.core.config.memberId : req.memberId;
        const r = await this.apply({ type: 'alarmActivate', memberId, alarm: req.alarm }, options);
        records = expect(r, 'alarmActivate').alarms;
        break;
      }
      case 'deactivate': {
        const command: Command =
          req.alarm === 'none'
            ? { type: 'alarmDeactivate', memberId: req.memberId }
            : { type: 'alarmDeactivate', memberId: req.memberId, alarm: req.alarm };
        records = expect(await this.apply(command, options), 'alarmDeactivate').alarms;
        break;
      }
    }
    return { header: this.header(), alarms: records.map((a) => ({ memberId: a.memberId, alarm: a.alarm })) };
  }

  /**
   * etcd's status errors: "etcdserver: no leader" without a leader, then each alarm as etcd prints
   * an AlarmMember (protobuf text: `memberID:<id> alarm:NOSPACE `, trailing space included, which
   * is what tools that grep for `alarm:NOSPACE` read); Concord adds a fatal storage error.
   */
  private statusErrors(): string[] {
    const { replica, machine } = this.core;
    const st = replica.status();
    const errors: string[] = [];
    if (st.raft.lead === 0) errors.push('etcdserver: no leader');
    for (const a of machine.alarms.list())
      errors.push(`memberID:${a.memberId} alarm:${WIRE_ALARM[a.alarm]} `);
    if (st.fatal !== undefined) errors.push(st.fatal.message);
    return errors;
  }

  private activeAlarms(): P.AlarmType[] {
    const { alarms } = this.core.machine;
    return (['noSpace', 'corrupt'] as const).filter((type) => alarms.has(type));
  }

  /**
   * The state now, streamed from a pinned view slice by slice (snapshot-backup.ts): never whole in
   * memory, never more than one slice of work between two turns of the event loop.
   */
  async snapshot(options: CallOptions): Promise<BackendSnapshot> {
    await this.core.replica.linearizableRead(signalOf(options));
    const checked = this.gate(options, () => ROOT_NEED);
    if (checked !== undefined) await checked;
    const header = this.header();
    const machine = this.core.machine;
    const pause = (): Promise<void> => new Promise((resolve) => this.core.defer(resolve));
    const { sizeBytes, chunks } = await startStreamedBackup(
      () => machine.beginSnapshot(),
      options.signal,
      pause,
    );
    return { header, sizeBytes, version: String(STATE_SNAPSHOT_VERSION), chunks };
  }

  health(): BackendHealth {
    return { leaderId: this.core.replica.leaderId(), alarms: this.activeAlarms() };
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
      const raised = this.activeAlarms();
      for (const type of ['noSpace', 'corrupt'] as const)
        alarms.set(raised.includes(type) ? 1 : 0, { alarm: WIRE_ALARM[type] });
      snapshots.setTotal(s.snapshotsTaken);
      restored.setTotal(s.snapshotsRestored);
      applySeconds.setTotal(s.applyMsTotal / 1000);
      if (network !== undefined) peerDrops?.setTotal(network.droppedPeerMessages());
    });
  }
}

function signalOf(options: CallOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

function expect<T extends CommandResponse['type']>(
  r: CommandResponse,
  type: T,
): Extract<CommandResponse, { type: T }> {
  if (r.type !== type)
    throw new ServerError(ErrorCode.Internal, `expected a ${type} result, got ${r.type}`, false);
  return r as Extract<CommandResponse, { type: T }>;
}
